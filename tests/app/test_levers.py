"""Lever edits -> validated scenario, problems attached to controls, channel mix rebalancing."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from sim.app.levers import check, levers_for, owner, rebalance
from sim.loading import resolve_bases
from sim.scenario import Scenario
from tests.app.conftest import SCENARIO


def _raw():
    return resolve_bases(SCENARIO)


def test_levers_carry_schema_bounds_units_and_scenario_values():
    raw = _raw()
    levers = {lv.key: lv for lv in levers_for(raw)}
    bonus = levers["offer.bonus_bp"]
    assert bonus.high == 2000 and bonus.base == raw["offer"]["bonus_bp"]
    # every slider starts on its own grid, so rendering it never snaps the value (an edit)
    for lv in levers.values():
        if lv.kind != "toggle":
            steps = (float(lv.base) - lv.low) / lv.step
            assert math.isclose(steps, round(steps), abs_tol=1e-6), lv
    assert levers["budget.total"].unit == "CNY" and levers["budget.total"].low == 0
    assert levers["calendar.days"].low == 1 and levers["calendar.days"].kind == "int"
    shares = [lv.base for lv in levers.values() if lv.group == "mix"]
    assert math.isclose(sum(shares), 1.0)
    assert levers["shocks.0.on"].kind == "toggle" and levers["shocks.0.size"].base == 1.0


def test_valid_edits_give_the_scenario_the_file_schema_would():
    raw = _raw()
    levers = levers_for(raw)
    c = check(raw, {"offer.bonus_bp": 75, "calendar.days": 20, "offer.quota": 0}, levers, "t")
    assert isinstance(c.scenario, Scenario) and not c.problems
    assert c.scenario.offer.bonus_bp == 75 and c.scenario.offer.quota is None
    assert all(p.end < 20 for p in c.scenario.calendar.phases)  # phases stretched with the length


def test_shock_switched_off_and_resized():
    raw = _raw()
    c = check(raw, {"shocks.1.on": False, "shocks.0.size": 2.0}, levers_for(raw), "t")
    assert c.scenario.shocks[1].probability == 0
    rate = c.scenario.shocks[0].rate_pp
    assert (rate.low, rate.high) == (0.6, 1.2)


def test_invalid_combination_is_attached_to_its_lever_not_raised():
    raw = _raw()
    levers = levers_for(raw)
    c = check(raw, {"budget.total": 100_000}, levers, "t")
    assert c.scenario is None
    assert "fixed_costs exceed" in c.problems["budget.total"][0]
    c = check(raw, {"offer.bonus_bp": 5000}, levers, "t")
    assert list(c.problems) == ["offer.bonus_bp"] and "2000" in c.problems["offer.bonus_bp"][0]


def test_owner_falls_back_to_section_and_general():
    levers = levers_for(_raw())
    assert owner("channels: budget_share must sum to 1, they sum to 1.2", levers) == "mix"
    assert owner("shocks.0.rate_pp: bad", levers) == "shocks.0.size"
    assert owner("segments.0.share: bad", levers) == ""


@given(
    st.lists(st.floats(0, 1), min_size=2, max_size=8).filter(lambda xs: sum(xs) > 1e-3),
    st.floats(0, 1),
    st.integers(0, 7),
)
def test_rebalance_keeps_the_mix_summing_to_one(weights, value, which):
    shares = {f"c{i}": w / sum(weights) for i, w in enumerate(weights)}
    key = f"c{which % len(weights)}"
    out = rebalance(shares, key, value)
    assert math.isclose(sum(out.values()), 1.0, abs_tol=1e-9)
    assert math.isclose(out[key], value) and all(v >= 0 for v in out.values())
