"""The campaign-off counterfactual and the incremental KPIs measured against it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.baseline import campaign_off
from sim.kpis import INCREMENTAL_KPIS, PAIRED_DAILY_COLUMNS, incremental
from sim.runner import run_model, run_replications, spawn_seeds
from sim.scenario import Scenario
from tests.conftest import DEPOSIT, small


def _edit(sc: Scenario, **sections: dict) -> Scenario:
    data = sc.model_dump()
    for key, value in sections.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return Scenario.model_validate(data)


def test_campaign_off_switches_off_every_campaign_mechanism(deposit_small: Scenario) -> None:
    before = deposit_small.model_dump()
    off = campaign_off(deposit_small)
    assert deposit_small.model_dump() == before  # pure: the scenario given is untouched
    assert all(ch.daily_capacity == 0 for ch in off.channels.values())
    assert set(off.channels) == set(deposit_small.channels)  # shocks may still name them
    assert (off.budget.total, off.budget.fixed_costs, off.budget.risk_reserve_share) == (0, 0, 0)
    o = off.offer
    assert (o.bonus_bp, o.cashback, o.perk_value) == (0, 0, 0)
    assert (o.list_rate_pp, o.quota, o.claims) == (None, None, ())
    assert off.referral.invite_rate == off.referral.inviter_reward == off.referral.invitee_reward == 0
    assert off.baseline is False
    # what carries on is untouched
    assert off.segments == deposit_small.segments and off.shocks == deposit_small.shocks
    assert off.behaviour == deposit_small.behaviour and off.diffusion == deposit_small.diffusion
    assert off.offer.base_rate_pp == deposit_small.offer.base_rate_pp
    assert off.offer.margin_bp == deposit_small.offer.margin_bp
    assert campaign_off(off) == off  # idempotent


def test_paired_run_reports_incremental_kpis(deposit_small: Scenario) -> None:
    res = run_model(deposit_small, 3)
    s = res.summary
    assert set(INCREMENTAL_KPIS) <= set(s)
    assert set(PAIRED_DAILY_COLUMNS) <= set(res.daily.columns)
    assert s["baseline_conversions"] == res.daily["baseline_new_conversions"].sum()
    assert 0 < s["baseline_conversions"] < s["conversions"]
    assert s["incremental_conversions"] == s["conversions"] - s["baseline_conversions"]
    assert s["cost_per_incremental_conversion"] > s["cost_per_acquisition"]
    # the baseline arm is the campaign-off scenario run alone from the same seed
    alone = run_model(campaign_off(deposit_small), 3)
    assert alone.summary["conversions"] == s["baseline_conversions"]
    # opting out leaves the gross KPIs as they are and the incremental ones NaN
    gross = run_model(deposit_small.model_copy(update={"baseline": False}), 3).summary
    assert gross["conversions"] == s["conversions"]
    assert all(np.isnan(gross[k]) for k in INCREMENTAL_KPIS)


def test_incremental_by_hand() -> None:
    gross = {"conversions": 100.0, "net_value": 50.0, "total_cost": 200.0, "incremental_balance": 1e6,
             "referral_share": 0.2}  # fmt: skip
    base = {"conversions": 60.0, "net_value": 30.0, "total_cost": 0.0, "incremental_balance": 4e5,
            "referral_share": 0.0}  # fmt: skip
    got = incremental(gross, base)
    assert got == {
        "baseline_conversions": 60.0,
        "incremental_conversions": 40.0,
        "incremental_new_money": 6e5,
        "incremental_net_value": 20.0,
        "incremental_roi": 0.1,
        "cost_per_incremental_conversion": 5.0,
        "incremental_referral_share": 0.5,
    }
    assert np.isnan(incremental({**gross, "conversions": 60.0}, base)["cost_per_incremental_conversion"])


def test_campaign_off_in_the_scenario_itself_has_zero_incremental_kpis() -> None:
    """Zero budget, zero bonus, no referral, no anchor: both arms are the same world."""
    sc = small(
        DEPOSIT,
        1500,
        ["budget.total=0", "budget.fixed_costs=0", "offer.bonus_bp=0", "offer.list_rate_pp=1.55",
         "offer.quota_visible=false", "referral.invite_rate=0", "calendar.observation_days=5"],
    )  # fmt: skip
    s = run_replications(sc, 6, seed=5).summary
    for kpi in ("incremental_conversions", "incremental_new_money", "incremental_net_value"):
        x = s[kpi].to_numpy()
        se = x.std(ddof=1) / np.sqrt(x.size) if x.std() > 0 else 0.0
        assert abs(x.mean()) <= 3 * se + 1e-6 * max(1.0, s["conversions"].abs().max()), kpi
    assert (s["baseline_conversions"] > 0).all()  # the business that comes anyway is still there


def test_campaign_reaching_only_sure_converters_adds_nothing(deposit_small: Scenario) -> None:
    """Marketing that contacts only customers who were going to convert anyway buys no
    conversions and no money: its incremental value is its cost, lost."""
    segs = [
        # no churn: converting earlier would otherwise expose the money to churn for longer
        {**seg, "initially_aware": 1.0 if i == 0 else 0.0, "threshold": -10.0, "churn_hazard": 0.0}
        for i, seg in enumerate(deposit_small.model_dump()["segments"])
    ]
    first = segs[0]["name"]
    channels = {
        n: {**ch, "reach": {first: 1.0}, "default_reach": 0.0}
        for n, ch in deposit_small.model_dump()["channels"].items()
    }
    sc = _edit(
        deposit_small,
        segments=segs,
        channels=channels,
        shocks=(),
        offer={"bonus_bp": 0.0, "list_rate_pp": None, "quota": None, "min_amount": 0.0},
        referral={"invite_rate": 0.0},
        behaviour={"word_of_mouth": 0.0, "consider_rate": 0.5, "decision_rate": 1.0, "drop_rate": 0.0},
        calendar={"observation_days": 5},
    )
    runs = [run_model(sc, ss).summary for ss in spawn_seeds(9, 3)]
    for s in runs:
        assert s["marketing_spend"] > 0
        assert abs(s["incremental_conversions"]) <= 0.02 * s["conversions"]
        assert abs(s["incremental_new_money"]) <= 0.01 * abs(s["incremental_balance"])
        assert s["incremental_roi"] == pytest.approx(-1.0, abs=0.1)
