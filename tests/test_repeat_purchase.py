"""Repeat purchase (``behaviour.repeat_purchase``): the equation by hand and as a property,
the engine unchanged when it is 0, and, when it is not, units, money and the budget
adding up (sim.equations.repeat_purchase_probability, sim.sales.sell_again)."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import behaviour as bh
from sim import equations as eq
from sim.kpis import DAILY_COLUMNS, SUMMARY_KPIS
from sim.loading import SpecError, load_scenario
from sim.model import CampaignModel
from sim.population import CHURNED, CONVERTED, RETAINED
from sim.runner import run_model
from tests.conftest import DEPOSIT, SCENARIOS, small

ADDED = {"repeat_purchases", "repeat_balance", "purchases"}  # columns added with repeat purchase
LATER = {"purchases_by_contact_day"}  # columns added since, not in the pinned digests


def test_repeat_purchase_probability_by_hand() -> None:
    # r = 0.65, one unit held, a fresh contact (F = 1): the data's 65%
    assert eq.repeat_purchase_probability(0.65, 1.0, 1.0) == pytest.approx(0.65)
    # r = 0.5, two units held, one earlier contact at fatigue 0.3: 0.5^2 x e^-0.3 = 0.25 x 0.740818
    assert eq.repeat_purchase_probability(0.5, 2.0, math.exp(-0.3)) == pytest.approx(0.1852045, rel=1e-6)
    # r = 0.8, three units: 0.512
    assert eq.repeat_purchase_probability(0.8, 3.0, 1.0) == pytest.approx(0.512)
    assert eq.repeat_purchase_probability(0.0, 1.0, 1.0) == 0.0  # off: nobody buys twice
    assert eq.repeat_purchase_probability(1.0, 5.0, 0.25) == 0.25  # only fatigue left
    assert eq.repeat_purchase_probability(0.4, 0.0, 1.0) == pytest.approx(0.4)  # a holder holds >= 1
    np.testing.assert_allclose(
        bh.repeat_purchase_probability(0.5, np.array([1.0, 2.0, 3.0]), 1.0), [0.5, 0.25, 0.125]
    )


@given(
    r=st.floats(0, 1),
    r2=st.floats(0, 1),
    h=st.integers(1, 50),
    h2=st.integers(1, 50),
    f=st.floats(0, 1),
)
def test_repeat_purchase_probability_bounded_and_monotone(
    r: float, r2: float, h: int, h2: int, f: float
) -> None:
    p = eq.repeat_purchase_probability(r, float(h), f)
    assert 0.0 <= p <= f + 1e-15
    assert bh.repeat_purchase_probability(r, float(h), f) == p  # the array form is the scalar
    lo, hi = sorted((r, r2))
    assert eq.repeat_purchase_probability(lo, float(h), f) <= eq.repeat_purchase_probability(hi, float(h), f)
    few, many = sorted((h, h2))
    assert eq.repeat_purchase_probability(r, float(many), f) <= eq.repeat_purchase_probability(
        r, float(few), f
    )


# sha256 (first 16 hex) of the summary and daily columns of a 1,500-customer run, seed 7,
# computed with the engine before repeat purchase existed (commit 1228832); the columns
# added with it are left out. The two playbooks' digests depend on the installed libraries:
# the first of each pair was computed on 2026-12-01's packages, the second on 2026-12-02's
# (numpy 2.5.5, scipy 1.18.1, pandas 3.1.1, numba 0.68.1), where commit 1228832 itself
# gives it. Either is the old engine's own output.
PINNED = {
    "festival_pace_playbook": {"e51e68b40f7d3c43", "df7efc4608762e5b"},  # incentives running out, rules
    "viral_referral": {"9eb08042e240b792"},  # invitations and rewards
    "deposit_rate_match_playbook": {"16bf6ed3d154fde1", "0542365a8c7d26d8"},
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_repeat_purchase_zero_is_bit_identical_to_before(name: str) -> None:
    sc = load_scenario(SCENARIOS / f"{name}.toml", ["population.size=1500", "behaviour.repeat_purchase=0"])
    res = run_model(sc, seed=7)
    h = hashlib.sha256()
    for k in SUMMARY_KPIS:
        if k not in ADDED:
            h.update(f"{k}={res.summary[k]!r};".encode())
    for c in DAILY_COLUMNS:
        if c not in ADDED | LATER:
            h.update(f"{c}={res.daily[c].tolist()!r};".encode())
    assert h.hexdigest()[:16] in PINNED[name]
    assert res.summary["repeat_purchases"] == 0.0
    assert res.summary["purchases"] == res.summary["conversions"]


def repeat_model(rate: float, seed: int = 2, extra: tuple[str, ...] = ()) -> CampaignModel:
    sc = small(
        DEPOSIT,
        2000,
        [f"behaviour.repeat_purchase={rate}", "offer.quota=100000000", "shocks.0.probability=0",
         "shocks.1.probability=0", *extra],
    )  # fmt: skip
    m = CampaignModel(sc, seed=seed)
    m.run()
    return m


def test_repeat_purchases_add_units_and_money_and_keep_the_budget() -> None:
    m = repeat_model(0.6)
    pop, scale = m.pop, m.scale
    daily = {
        k: np.array([r[k] for r in m.records]) for k in ("new_conversions", "repeat_purchases", "purchases")
    }
    repeats = daily["repeat_purchases"].sum()
    assert repeats > 0
    # new_conversions counts customers; every further unit is a repeat purchase
    assert daily["new_conversions"].sum() == pytest.approx(np.count_nonzero(pop.held) * scale)
    assert repeats == pytest.approx((pop.held[pop.held > 0] - 1).sum() * scale)
    np.testing.assert_allclose(daily["purchases"], daily["new_conversions"] + daily["repeat_purchases"])
    # only holders buy again, and only customers ever converted hold units
    assert (pop.converted_day[pop.held > 1] >= 0).all()
    assert set(np.unique(pop.stage[pop.held > 1])) <= {CONVERTED, RETAINED, CHURNED}
    # the ledger books what the units cost: money never exceeds the budget
    led, total = m.ledger, m.sc.budget.total
    assert led.used <= total + 1e-6
    assert led.incentives + led.rewards <= led.incentive_pool + 1e-6
    assert min(r["budget_remaining"] for r in m.records) >= -1e-6


def test_repeat_purchases_count_against_the_quota() -> None:
    sc = small(DEPOSIT, 2000, ["behaviour.repeat_purchase=1", "offer.quota=30000"])
    res = run_model(sc, seed=1, baseline=False)
    assert res.summary["repeat_purchases"] > 0
    assert res.summary["purchases"] <= 30000 + 1e-6


def test_margin_and_new_money_grow_with_repeat_purchase() -> None:
    off = [run_model(small(DEPOSIT, 2000, ["behaviour.repeat_purchase=0"]), seed=s).summary for s in range(2)]
    on = [
        run_model(small(DEPOSIT, 2000, ["behaviour.repeat_purchase=0.8"]), seed=s).summary for s in range(2)
    ]
    for a, b in zip(off, on, strict=True):
        assert b["repeat_purchases"] > 0 and a["repeat_purchases"] == 0
        assert b["purchases"] > a["purchases"]
        assert b["incremental_balance"] > a["incremental_balance"]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("behaviour.repeat_purchase=1.5", "behaviour.repeat_purchase"),
        ("behaviour.repeat_purchase=-0.1", "behaviour.repeat_purchase"),
        ("behaviour.repeat_purchase=nan", "behaviour.repeat_purchase"),
        ("behaviour.repeat_purchases=0.5", "did you mean 'repeat_purchase'?"),
    ],
)
def test_repeat_purchase_is_validated(override: str, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        load_scenario(DEPOSIT, [override])
    assert expected in str(info.value)
