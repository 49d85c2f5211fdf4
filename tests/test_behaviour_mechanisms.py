"""Tests for the evidence-sized mechanisms of sim.behaviour (framing, anchors, market
drops, urgency pace, rumour transmission, outage complaints): hand-computed cases and
properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import behaviour as bh

prob = st.floats(0.0, 1.0)
pp = st.floats(-20.0, 20.0)
level = st.integers(1, 5)


# ---------------------------------------------------------------- framing
def test_logit_effect_size_by_hand() -> None:
    # p 0.1 -> 0.2: logit -2.197225 -> -1.386294, diff 0.810930; x sqrt(3)/pi = 0.447089
    assert bh.logit_effect_size(0.1, 0.2) == pytest.approx(0.810930 * 0.551329, abs=1e-5)
    assert bh.logit_effect_size(0.3, 0.3) == 0.0
    assert pytest.approx(0.551329, abs=1e-6) == bh.LOGIT_TO_D


@given(p=st.floats(0.001, 0.999), q=st.floats(0.001, 0.999))
def test_logit_effect_size_is_antisymmetric_and_signed(p: float, q: float) -> None:
    d = bh.logit_effect_size(p, q)
    assert d == pytest.approx(-bh.logit_effect_size(q, p))
    assert np.sign(d) == np.sign(q - p) or p == q


def test_frame_tilt_by_hand() -> None:
    assert bh.frame_tilt(1, True, 2.5, 1.5) == -1.0  # a guaranteed product is the sure option
    assert bh.frame_tilt(4, False, 2.5, 1.5) == pytest.approx(1.0)
    assert bh.frame_tilt(2, False, 2.5, 1.5) == pytest.approx(-1 / 3)
    assert bh.frame_tilt(5, False, 2.5, 1.0) == 1.0  # clipped


@given(a=level, b=level)
def test_frame_tilt_bounded_and_rising_with_risk(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    t_lo, t_hi = bh.frame_tilt(lo, False, 2.5, 1.5), bh.frame_tilt(hi, False, 2.5, 1.5)
    assert -1.0 <= t_lo <= t_hi <= 1.0


def test_framing_shift_by_hand() -> None:
    assert bh.framing_shift(True, 0.5, 0.2) == pytest.approx(0.1)
    assert bh.framing_shift(True, -1.0, 0.2) == pytest.approx(-0.2)
    assert bh.framing_shift(False, 1.0, 0.2) == 0.0


@given(t=st.floats(-1, 1), s=st.floats(0, 1), la1=st.floats(1, 4), la2=st.floats(1, 4), x=st.floats(0.1, 10))
def test_framing_is_bounded_and_never_cancels_loss_aversion(
    t: float, s: float, la1: float, la2: float, x: float
) -> None:
    du = bh.framing_shift(True, t, s)
    assert abs(du) <= s + 1e-12
    # under either frame a more loss-averse customer values a mixed prospect less
    lo, hi = sorted((la1, la2))
    for loss_framed in (False, True):
        shift = bh.framing_shift(loss_framed, t, s)
        v_lo = bh.cpt_value(x, -x, 0.25, 0.88, lo) + shift
        v_hi = bh.cpt_value(x, -x, 0.25, 0.88, hi) + shift
        assert v_hi <= v_lo + 1e-12


# ---------------------------------------------------------------- anchors
def test_anchor_target_by_hand() -> None:
    assert bh.anchor_target(1.0, 3.0, 0.25) == pytest.approx(1.5)
    assert bh.anchor_target(1.0, math.nan, 0.9) == pytest.approx(1.0)  # no anchor seen
    np.testing.assert_allclose(
        bh.anchor_target(np.array([1.0, 2.0]), np.array([3.0, np.nan]), 0.5), [2.0, 2.0]
    )


@given(own=pp, a=pp, w1=prob, w2=prob)
def test_heavier_anchor_weight_moves_the_reference_further(
    own: float, a: float, w1: float, w2: float
) -> None:
    lo, hi = sorted((w1, w2))
    assert abs(bh.anchor_target(own, a, hi) - own) >= abs(bh.anchor_target(own, a, lo) - own) - 1e-9
    assert min(own, a) - 1e-9 <= bh.anchor_target(own, a, hi) <= max(own, a) + 1e-9


def test_advertised_anchor_by_hand() -> None:
    assert bh.advertised_anchor(1.45, 1.95, None) == 1.45  # "was 1.45%, now 1.95%"
    assert bh.advertised_anchor(7.0, 7.0, None) != bh.advertised_anchor(7.0, 7.0, None)  # NaN: no contrast
    assert bh.advertised_anchor(None, 6.0, 1.5) == 1.5  # contrast group: deposits earned 1.5%
    assert bh.advertised_anchor(1.2, 6.0, 1.5) == 1.2
    assert math.isnan(bh.advertised_anchor(None, 2.0, None))


# ---------------------------------------------------------------- market drops
def test_market_exposure_by_hand() -> None:
    assert bh.market_exposure(4, False) == 1.0
    assert bh.market_exposure(2, False) == 0.15
    assert bh.market_exposure(5, True) == 0.0


def test_felt_downside_by_hand() -> None:
    # ETF: p 0.25, L 5, 10% drop, beta 1, salience 2: hit 0.2, p' = 1 - 0.75 x 0.8 = 0.4, L' = 10
    p, loss = bh.felt_downside(0.25, 5.0, 0.1, 1.0, 2.0)
    assert p == pytest.approx(0.4) and loss == pytest.approx(10.0)
    # R2: beta 0.15: hit 0.03, p' = 1 - 0.94 x 0.97 = 0.0882, L' = max(2, 1.5) = 2
    p, loss = bh.felt_downside(0.06, 2.0, 0.1, 0.15, 2.0)
    assert p == pytest.approx(0.0882) and loss == pytest.approx(2.0)
    p, loss = bh.felt_downside(0.0, 0.0, 0.3, 0.0, 2.0)  # guaranteed: untouched
    assert p == 0.0 and loss == 0.0


@given(p=prob, drop=st.floats(0, 1), b1=st.floats(0, 2), b2=st.floats(0, 2), k=st.floats(0, 5))
def test_felt_downside_grows_with_exposure(p: float, drop: float, b1: float, b2: float, k: float) -> None:
    lo, hi = sorted((b1, b2))
    p_lo, l_lo = bh.felt_downside(p, 1.0, drop, lo, k)
    p_hi, l_hi = bh.felt_downside(p, 1.0, drop, hi, k)
    assert p - 1e-12 <= p_lo <= p_hi + 1e-12 <= 1.0 + 1e-12
    assert l_lo <= l_hi + 1e-12


def test_flight_to_safety_by_hand() -> None:
    assert bh.flight_to_safety(0.1, True, 3.0) == pytest.approx(0.3)
    assert bh.flight_to_safety(0.1, False, 3.0) == 0.0


# ---------------------------------------------------------------- urgency
def test_urgency_shape_by_hand() -> None:
    # concave counter: half the quota gone gives 0.5^0.5 = 0.7071 of the scarcity weight
    assert bh.urgency(100, 0.5, 1.0, 2.0, 1.0, 0.5) == pytest.approx(math.exp(-50) + 0.707107, abs=1e-6)
    assert bh.urgency(2, 1.0, 1.0, 2.0, 1.0, 0.5) == pytest.approx(math.exp(-1))


def test_decision_pace_by_hand() -> None:
    # d = 0.1, U = 1, k = 3: 1 - 0.9^4 = 0.3439
    assert bh.decision_pace(0.1, 1.0, 3.0) == pytest.approx(0.3439)
    assert bh.decision_pace(0.1, 5.0, 0.0) == pytest.approx(0.1)
    assert bh.decision_pace(1.0, 0.0, 1.0) == pytest.approx(1.0)


@given(d=prob, u1=st.floats(0, 10), u2=st.floats(0, 10), k=st.floats(0, 10))
def test_decision_pace_in_unit_interval_and_rising_with_urgency(
    d: float, u1: float, u2: float, k: float
) -> None:
    lo, hi = sorted((u1, u2))
    p_lo, p_hi = bh.decision_pace(d, lo, k), bh.decision_pace(d, hi, k)
    assert d - 1e-9 <= p_lo <= p_hi + 1e-12 <= 1.0 + 1e-12


def test_last_days_rush_from_a_short_deadline_scale() -> None:
    # tau = 2 days: the last three days' urgency is ~8x the week before's
    last = np.mean([bh.urgency(t, 1.0, 1.0, 2.0, 0.0) for t in range(3)])
    before = np.mean([bh.urgency(t, 1.0, 1.0, 2.0, 0.0) for t in range(3, 10)])
    assert last / before > 5


# ---------------------------------------------------------------- rumours, outages
def test_transmission_probability_by_hand() -> None:
    np.testing.assert_allclose(
        bh.transmission_probability(2.0, np.array([0, 1, 4, 20_000])), [0, 1, 0.5, 1e-4]
    )


@given(c=st.floats(0, 50), k=st.integers(1, 100_000))
def test_tellers_reach_about_c_people_whatever_the_degree(c: float, k: int) -> None:
    assert bh.transmission_probability(c, k) * k == pytest.approx(min(c, k))


def test_outage_complaint_probability_by_hand() -> None:
    np.testing.assert_allclose(
        bh.outage_complaint_probability(np.array([1, 1, 0]), np.array([False, True, False]), 0.01, 5.0),
        [0.01, 0.05, 0.0],
    )
