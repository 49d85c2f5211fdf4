"""Tests for sim.behaviour: hand-computed cases for every equation, and properties
(probabilities stay in [0, 1], monotone where the equation says so)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import behaviour as bh

prob = st.floats(0.0, 1.0)
pp = st.floats(-20.0, 20.0)
alpha = st.floats(0.2, 1.0)
lam = st.floats(1.0, 4.0)

# w(0.5) for gamma = 0.61, by hand: 0.5^0.61 = e^(-0.61 ln 2) = 0.655197;
# (2 x 0.655197)^(1/0.61) = 1.310393^1.639344 = e^(0.270327 x 1.639344) = e^0.443160 = 1.557621;
# w = 0.655197 / 1.557621 = 0.420639.
W_GAIN_HALF = 0.420639
# w(0.5) for delta = 0.69: 0.5^0.69 = 0.619854; 1.239708^(1/0.69) = e^(0.214876 x 1.449275)
# = e^0.311414 = 1.365354; w = 0.619854 / 1.365354 = 0.453988.
W_LOSS_HALF = 0.453988


# ---------------------------------------------------------------- prospect value
def test_prospect_value_hand_cases() -> None:
    assert bh.prospect_value(1.0, 0.88, 2.25) == pytest.approx(1.0)
    assert bh.prospect_value(-1.0, 0.88, 2.25) == pytest.approx(-2.25)
    assert bh.prospect_value(0.0, 0.88, 2.25) == 0.0
    assert bh.prospect_value(4.0, 0.5, 2.0) == pytest.approx(2.0)
    assert bh.prospect_value(-4.0, 0.5, 2.0) == pytest.approx(-4.0)
    # 2^0.88 = e^(0.88 x 0.693147) = e^0.609970 = 1.840375
    assert bh.prospect_value(2.0, 0.88, 2.25) == pytest.approx(1.840375, rel=1e-6)


@given(x=st.floats(0.01, 20), a=alpha, la=lam)
def test_losses_loom_larger_than_gains(x: float, a: float, la: float) -> None:
    assert -bh.prospect_value(-x, a, la) >= bh.prospect_value(x, a, la) - 1e-12


@given(x=pp, y=pp, a=alpha, la=lam)
def test_prospect_value_is_increasing(x: float, y: float, a: float, la: float) -> None:
    lo, hi = sorted((x, y))
    assert bh.prospect_value(lo, a, la) <= bh.prospect_value(hi, a, la) + 1e-12


# ---------------------------------------------------------------- probability weight
def test_probability_weight_hand_cases() -> None:
    assert bh.probability_weight(0.5, 0.61) == pytest.approx(W_GAIN_HALF, abs=1e-6)
    assert bh.probability_weight(0.5, 0.69) == pytest.approx(W_LOSS_HALF, abs=1e-6)
    assert bh.probability_weight(0.0, 0.61) == 0.0
    assert bh.probability_weight(1.0, 0.61) == pytest.approx(1.0)
    assert bh.probability_weight(0.3, 1.0) == pytest.approx(0.3)  # gamma = 1: no distortion
    # inverse S: small probabilities overweighted, large ones underweighted
    assert bh.probability_weight(0.05, 0.61) > 0.05
    assert bh.probability_weight(0.95, 0.61) < 0.95


@given(p=prob, r=prob, g=st.floats(0.3, 1.0))
def test_probability_weight_in_unit_interval_and_monotone(p: float, r: float, g: float) -> None:
    lo, hi = sorted((p, r))
    w_lo, w_hi = bh.probability_weight(lo, g), bh.probability_weight(hi, g)
    assert 0.0 <= w_lo <= 1.0 + 1e-12 and 0.0 <= w_hi <= 1.0 + 1e-12
    assert w_lo <= w_hi + 1e-12


# ---------------------------------------------------------------- CPT value
def test_cpt_value_branches_by_hand() -> None:
    # guaranteed (p = 0): the value of the good outcome
    assert bh.cpt_value(2.0, -5.0, 0.0, 0.88, 2.25) == pytest.approx(1.840375, rel=1e-6)
    # both gains, alpha = 1: V = 1 + w+(0.5) (4 - 1)
    assert bh.cpt_value(4.0, 1.0, 0.5, 1.0, 2.0) == pytest.approx(1 + 3 * W_GAIN_HALF, abs=1e-5)
    # mixed: V = w+(0.5) x 1 + w-(0.5) x (-2 x 1)
    assert bh.cpt_value(1.0, -1.0, 0.5, 1.0, 2.0) == pytest.approx(W_GAIN_HALF - 2 * W_LOSS_HALF, abs=1e-5)
    # both losses: V = v(-1) + w-(0.5) (v(-3) - v(-1)) = -2 + w-(0.5) (-6 + 2)
    assert bh.cpt_value(-1.0, -3.0, 0.5, 1.0, 2.0) == pytest.approx(-2 - 4 * W_LOSS_HALF, abs=1e-5)
    # certain loss (p = 1): the value of the bad outcome
    assert bh.cpt_value(1.0, -1.0, 1.0, 1.0, 2.0) == pytest.approx(-2.0)


@given(g=pp, gap=st.floats(0.0, 20.0), p=prob, q=prob, a=alpha, la=lam)
def test_cpt_value_falls_with_loss_probability(
    g: float, gap: float, p: float, q: float, a: float, la: float
) -> None:
    lo, hi = sorted((p, q))
    v_lo = bh.cpt_value(g, g - gap, lo, a, la)
    v_hi = bh.cpt_value(g, g - gap, hi, a, la)
    assert v_hi <= v_lo + 1e-9
    # and it lies between the values of its two outcomes
    assert bh.prospect_value(g - gap, a, la) - 1e-9 <= v_hi <= bh.prospect_value(g, a, la) + 1e-9


# ---------------------------------------------------------------- anchoring
def test_anchored_reference_by_hand() -> None:
    assert bh.anchored_reference(1.0, 3.0, 0.25) == pytest.approx(1.5)
    assert bh.anchored_reference(1.0, 3.0, 0.0) == pytest.approx(1.0)
    assert bh.anchored_reference(1.0, 3.0, 1.0) == pytest.approx(3.0)
    np.testing.assert_allclose(bh.anchored_reference(np.array([0.0, 2.0]), 1.0, 0.5), [0.5, 1.5])


@given(r=pp, t=pp, k=prob)
def test_anchor_moves_part_way(r: float, t: float, k: float) -> None:
    new = bh.anchored_reference(r, t, k)
    assert min(r, t) - 1e-9 <= new <= max(r, t) + 1e-9


def test_offer_outcomes_by_hand() -> None:
    good, bad = bh.offer_outcomes(2.0, 0.4, 0.1, 0.2, 5.0, 1.5)
    assert good == pytest.approx(0.8)  # 2 + 0.4 + 0.1 - 0.2 - 1.5
    assert bad == pytest.approx(-6.2)  # -5 + 0.4 + 0.1 - 0.2 - 1.5


# ---------------------------------------------------------------- urgency, social proof
def test_urgency_by_hand() -> None:
    assert bh.urgency(0, 1.0, 1.0, 5.0, 1.0) == pytest.approx(1.0)  # deadline day, full quota
    assert bh.urgency(5, 1.0, 2.0, 5.0, 1.0) == pytest.approx(2 * math.exp(-1))
    assert bh.urgency(100, 0.5, 1.0, 5.0, 2.0) == pytest.approx(math.exp(-20) + 2 * 0.25)
    assert bh.urgency(-3, 1.0, 1.0, 5.0, 1.0) == pytest.approx(1.0)  # past the deadline: as on it


@given(d1=st.floats(0, 60), d2=st.floats(0, 60), q1=prob, q2=prob, f=st.floats(0, 3))
def test_urgency_rises_as_deadline_and_quota_run_out(
    d1: float, d2: float, q1: float, q2: float, f: float
) -> None:
    near, far = sorted((d1, d2))
    low_q, high_q = sorted((q1, q2))
    assert bh.urgency(near, 1.0, f, 5.0, 1.0) >= bh.urgency(far, 1.0, f, 5.0, 1.0) - 1e-12
    assert bh.urgency(10, low_q, f, 5.0, 1.0) >= bh.urgency(10, high_q, f, 5.0, 1.0) - 1e-12
    assert bh.urgency(far, low_q, f, 5.0, 1.0) >= 0.0


def test_social_proof_by_hand() -> None:
    assert bh.social_proof(0.5, 2.0) == pytest.approx(1.0)
    assert bh.social_proof(0.0, 2.0) == 0.0


# ---------------------------------------------------------------- choice
def test_logistic_by_hand() -> None:
    assert bh.logistic(0.0) == pytest.approx(0.5)
    assert bh.logistic(math.log(3)) == pytest.approx(0.75)
    assert bh.logistic(-math.log(3)) == pytest.approx(0.25)
    with np.errstate(all="raise"):  # no overflow for extreme utilities
        assert bh.logistic(1000.0) == 1.0
        assert bh.logistic(-1000.0) == 0.0


@given(u=st.floats(-50, 50), v=st.floats(-50, 50))
def test_logistic_in_unit_interval_and_increasing(u: float, v: float) -> None:
    lo, hi = sorted((u, v))
    assert 0.0 <= bh.logistic(lo) <= bh.logistic(hi) <= 1.0


def test_conversion_probability_by_hand() -> None:
    # u = 2 x 1 + 0.5 + 0.25 + 0.25 - 3 = 0 -> d x 0.5
    assert bh.conversion_probability(1.0, 2.0, 0.5, 0.25, 0.25, 3.0, 0.3) == pytest.approx(0.15)
    # u = ln 3 -> d x 0.75
    p = bh.conversion_probability(math.log(3), 1.0, 0.0, 0.0, 0.0, 0.0, 0.2)
    assert p == pytest.approx(0.15)


@given(
    v1=st.floats(-10, 10),
    v2=st.floats(-10, 10),
    beta=st.floats(0, 5),
    c1=st.floats(-3, 3),
    c2=st.floats(-3, 3),
    d=prob,
)
def test_conversion_probability_bounded_and_monotone(
    v1: float, v2: float, beta: float, c1: float, c2: float, d: float
) -> None:
    lo, hi = sorted((v1, v2))
    c_lo, c_hi = sorted((c1, c2))
    p_lo = bh.conversion_probability(lo, beta, 0.2, 0.1, 0.0, c_lo, d)
    p_hi = bh.conversion_probability(hi, beta, 0.2, 0.1, 0.0, c_lo, d)
    assert 0.0 <= p_lo <= p_hi + 1e-12 <= d + 1e-12
    # a higher threshold never makes converting more likely
    assert bh.conversion_probability(hi, beta, 0.2, 0.1, 0.0, c_hi, d) <= p_hi + 1e-12


def test_combine_and_hazard_by_hand() -> None:
    assert bh.combine_probabilities(0.5, 0.5) == pytest.approx(0.75)
    assert bh.combine_probabilities(0.2, 0.0) == pytest.approx(0.2)
    np.testing.assert_allclose(bh.combine_probabilities(np.array([0.1, 1.0]), 0.5), [0.55, 1.0])
    assert bh.hazard_probability(math.log(2)) == pytest.approx(0.5)
    assert bh.hazard_probability(0.0) == 0.0


def test_bass_probability_by_hand() -> None:
    # h = 0.01 + 0.3 * 0.5 = 0.16 a day; P = 1 - e^-0.16
    assert bh.bass_probability(0.01, 0.3, 0.5) == pytest.approx(1 - math.exp(-0.16))
    assert bh.bass_probability(0.0, 0.0, 1.0) == 0.0
    # nobody adopted yet: only innovation acts
    assert bh.bass_probability(0.02, 0.4, 0.0) == pytest.approx(1 - math.exp(-0.02))


@given(p=st.floats(0, 1), q=st.floats(0, 1), s1=prob, s2=prob)
def test_bass_probability_grows_with_adopted_share(p: float, q: float, s1: float, s2: float) -> None:
    lo, hi = sorted((s1, s2))
    a, b = bh.bass_probability(p, q, np.array([lo, hi]))
    assert 0.0 <= a <= b <= 1.0


@given(p=prob, q=prob)
def test_combined_probability_bounds(p: float, q: float) -> None:
    c = bh.combine_probabilities(p, q)
    assert max(p, q) - 1e-12 <= c <= 1.0


# ---------------------------------------------------------------- churn
def test_churn_probability_by_hand() -> None:
    # h (1 + c b) = ln2/2 x (1 + 1 x 1) = ln 2 -> 1 - 1/2
    assert bh.churn_probability(math.log(2) / 2, 1.0, 1.0) == pytest.approx(0.5)
    assert bh.churn_probability(0.01, 0.0, 5.0) == pytest.approx(1 - math.exp(-0.01))
    assert bh.churn_probability(0.0, 3.0, 1.0) == 0.0


@given(h=st.floats(0, 1), b1=st.floats(0, 10), b2=st.floats(0, 10), c=st.floats(0, 3))
def test_churn_in_unit_interval_and_rises_with_bonus(h: float, b1: float, b2: float, c: float) -> None:
    lo, hi = sorted((b1, b2))
    p_lo, p_hi = bh.churn_probability(h, lo, c), bh.churn_probability(h, hi, c)
    assert 0.0 <= p_lo <= p_hi + 1e-12 <= 1.0 + 1e-12


# ---------------------------------------------------------------- Bass
def test_bass_adoption_by_hand() -> None:
    assert bh.bass_adoption(0.0, 0.01, 0.25) == 0.0
    assert bh.bass_adoption(1e4, 0.01, 0.25) == pytest.approx(1.0)
    # q = 0 is pure innovation: F = 1 - e^-pt
    assert bh.bass_adoption(10.0, 0.05, 0.0) == pytest.approx(1 - math.exp(-0.5))
    # p = 0.01, q = 0.25, t = 10: e = e^-2.6 = 0.074274; F = 0.925726 / (1 + 25 x 0.074274)
    assert bh.bass_adoption(10.0, 0.01, 0.25) == pytest.approx(0.925726 / 2.856838, rel=1e-5)


def test_bass_adoption_solves_the_bass_equation() -> None:
    p, q, h = 0.01, 0.25, 1e-4
    t = np.linspace(0.5, 40, 50)
    f = bh.bass_adoption(t, p, q)
    slope = (bh.bass_adoption(t + h, p, q) - bh.bass_adoption(t - h, p, q)) / (2 * h)
    np.testing.assert_allclose(slope, (p + q * f) * (1 - f), rtol=1e-5)


@given(t1=st.floats(0, 500), t2=st.floats(0, 500), p=st.floats(1e-4, 0.5), q=st.floats(0, 2))
def test_bass_adoption_is_a_cdf(t1: float, t2: float, p: float, q: float) -> None:
    lo, hi = sorted((t1, t2))
    f_lo, f_hi = bh.bass_adoption(lo, p, q), bh.bass_adoption(hi, p, q)
    assert 0.0 <= f_lo <= f_hi + 1e-12 <= 1.0 + 1e-12
