"""Tests for sim.model.CampaignModel: conservation, money, determinism, Mesa views, and the
direction of the main effects (budget, bonus, competitor, outage, quota).

Effects are compared as means over a few seeds at small sizes; each comparison has a
margin far beyond the seed-to-seed noise observed for these settings.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.kpis import DAILY_COLUMNS, PAIRED_DAILY_COLUMNS
from sim.model import CampaignModel
from sim.runner import run_model
from sim.scenario import STAGES, Scenario
from tests.conftest import DEPOSIT, ETF, small

SEEDS = range(4)
# The deposit sprint with its quota out of the way and its shocks switched off, so that
# money is the binding constraint.
NO_QUOTA = ["offer.quota=100000000", "shocks.0.probability=0", "shocks.1.probability=0"]


def mean_kpi(sc: Scenario, kpi: str, seeds: range = SEEDS) -> float:
    return float(np.mean([run_model(sc, s).summary[kpi] for s in seeds]))


def test_population_is_conserved_every_step(deposit_small: Scenario) -> None:
    model = CampaignModel(deposit_small, seed=3, agents=False)
    n = deposit_small.population.size
    while model.running:
        model.step()
        counts = np.bincount(model.pop.stage, minlength=len(STAGES))
        assert counts.sum() == n and counts.size == len(STAGES)
    daily = pd.DataFrame.from_records(model.records)
    real = n * deposit_small.population.scale
    np.testing.assert_allclose(daily[list(STAGES)].sum(axis=1), real)
    assert len(daily) == deposit_small.horizon


@pytest.mark.parametrize("total", [600_000, 3_000_000, 50_000_000])
def test_spend_never_exceeds_budget(total: int) -> None:
    sc = small(DEPOSIT, overrides=[*NO_QUOTA, f"budget.total={total}", "budget.fixed_costs=100000"])
    res = run_model(sc, 1)
    spent = res.daily["marketing_spend"] + res.daily["incentive_cost"] + res.daily["reward_cost"]
    used = sc.budget.fixed_costs + spent.cumsum()
    reserve = total * sc.budget.risk_reserve_share
    assert (used <= total - reserve + 1e-6).all()
    assert (res.daily["budget_remaining"] >= reserve - 1e-6).all()
    assert res.summary["budget_used"] <= total + 1e-6
    marketing_pool = (total - reserve - sc.budget.fixed_costs) * sc.budget.marketing_share
    assert res.summary["marketing_spend"] <= marketing_pool + 1e-6
    assert res.channels.groupby("day")["spend"].sum().sum() == pytest.approx(res.summary["marketing_spend"])


def test_small_budget_binds() -> None:
    """The spend tests above are meaningful: without a quota the money runs out and all but
    the risk reserve (10%) is used."""
    sc = small(DEPOSIT, size=5000, overrides=[*NO_QUOTA, "budget.total=6000000"])
    res = run_model(sc, 1)
    assert res.summary["budget_used_share"] > 0.8
    assert not res.daily["incentives_on"].iloc[-1]


def test_same_seed_same_frames_and_other_seed_differs(deposit_small: Scenario) -> None:
    a, b, c = run_model(deposit_small, 7), run_model(deposit_small, 7), run_model(deposit_small, 8)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.channels, b.channels)
    assert a.summary == pytest.approx(b.summary, nan_ok=True)
    assert not a.daily["new_conversions"].equals(c.daily["new_conversions"])
    assert list(a.daily.columns) == [*DAILY_COLUMNS, *PAIRED_DAILY_COLUMNS]


def test_agents_on_or_off_gives_identical_frames(deposit_small: Scenario) -> None:
    on = run_model(deposit_small, np.random.SeedSequence(11), agents=True)
    off = run_model(deposit_small, np.random.SeedSequence(11), agents=False)
    pd.testing.assert_frame_equal(on.daily, off.daily)
    pd.testing.assert_frame_equal(on.channels, off.channels)


def test_mesa_agent_views_read_and_write_columns() -> None:
    sc = small(DEPOSIT, size=600)
    model = CampaignModel(sc, seed=2, agents=True)
    for _ in range(12):
        model.step()
    agents = model.agents
    assert len(agents) == sc.population.size
    stage = model.pop.stage
    converted = agents.select(lambda a: a.stage in ("converted", "retained"))
    assert len(converted) == int(np.isin(stage, [3, 4]).sum()) > 0
    assert agents.agg("trust", np.mean) == pytest.approx(float(model.pop.trust.mean()), rel=1e-5)
    by_stage = agents.groupby("stage").count()
    assert by_stage == {STAGES[k]: int(v) for k, v in enumerate(np.bincount(stage)) if v}
    by_segment = agents.groupby("segment").count()
    sizes = np.bincount(model.pop.segment)
    assert by_segment == {model.segment_names[k]: int(v) for k, v in enumerate(sizes)}
    # writing through an agent changes the model's column
    first = next(iter(agents))
    first.stage = "dropped"
    assert model.pop.stage[first.row] == STAGES.index("dropped")


def test_mesa_datacollector_with_agent_reporter() -> None:
    sc = small(DEPOSIT, size=400)
    model = CampaignModel(sc, seed=5, agents=True)
    dc = mesa.DataCollector(
        model_reporters={"converted": lambda m: int((m.pop.stage == STAGES.index("converted")).sum())},
        agent_reporters={"stage": "stage", "trust": "trust"},
    )
    for _ in range(5):
        model.step()
        dc.collect(model)
    agent_df = dc.get_agent_vars_dataframe()
    assert len(agent_df) == 5 * sc.population.size
    last = agent_df.xs(agent_df.index.get_level_values(0).max(), level=0)
    assert (last["stage"] == "converted").sum() == dc.get_model_vars_dataframe()["converted"].iloc[-1]


# ---------------------------------------------------------------- effects
def test_conversions_rise_with_budget() -> None:
    lean = small(DEPOSIT, overrides=[*NO_QUOTA, "budget.total=1500000"])
    rich = small(DEPOSIT, overrides=[*NO_QUOTA, "budget.total=6000000"])
    assert mean_kpi(rich, "conversions") > 1.3 * mean_kpi(lean, "conversions")


def test_conversions_rise_with_bonus_rate() -> None:
    ample = [*NO_QUOTA, "budget.total=100000000"]
    none = small(DEPOSIT, overrides=[*ample, "offer.bonus_bp=0"])
    high = small(DEPOSIT, overrides=[*ample, "offer.bonus_bp=120"])
    assert mean_kpi(high, "conversions") > 1.15 * mean_kpi(none, "conversions")


def test_competitor_shock_lowers_conversions() -> None:
    base = [*NO_QUOTA, "budget.total=100000000", "shocks.0.start=3", "shocks.0.duration=30"]
    calm = small(DEPOSIT, overrides=base)
    rival = small(
        DEPOSIT, overrides=[*base, "shocks.0.probability=1", "shocks.0.pull=0.1", "shocks.0.reach=0.9"]
    )
    assert mean_kpi(rival, "conversions") < 0.9 * mean_kpi(calm, "conversions")


def test_outage_adds_complaints_and_closes_online_channels() -> None:
    over = ["shocks.1.probability=0", "complaints.outage=0.5"]
    up = small(ETF, size=3000, overrides=[*over, "shocks.0.probability=0"])
    down = small(ETF, size=3000, overrides=[*over, "shocks.0.probability=1", "shocks.0.duration=4"])
    assert mean_kpi(down, "complaints") > mean_kpi(up, "complaints") + 100
    res = run_model(down, 0)
    online = [n for n, ch in down.channels.items() if ch.kind == "online"]
    hit = res.channels[res.channels["day"].between(2, 5) & res.channels["channel"].isin(online)]
    assert len(hit) and (hit["contacts"] == 0).all()


def test_quota_is_respected() -> None:
    sc = small(ETF, size=4000, overrides=["offer.quota=2000"])
    scale = sc.population.scale
    for seed in range(3):
        res = run_model(sc, seed)
        sim_quota = round(2000 / scale)
        assert res.daily["new_conversions"].sum() <= sim_quota * scale + 1e-6
        assert (res.daily["quota_remaining"] >= 0).all()
    assert res.daily["quota_remaining"].iloc[-1] == 0  # the quota binds at this size


def test_outage_complaints_come_from_everyone_who_tried_not_only_blocked_buyers() -> None:
    """With nobody deciding (decision_rate 0) no buyer is blocked, yet the day the app is
    down still brings complaints from considering customers who tried to act."""
    quiet = ["behaviour.decision_rate=0", "shocks.1.probability=0", "complaints.outage=0.05"]
    daily = run_model(small(ETF, 3000, quiet), 3).daily.set_index("day")
    control = run_model(small(ETF, 3000, [*quiet, "shocks.0.probability=0"]), 3).daily.set_index("day")
    assert daily["new_conversions"].sum() == 0
    outage_day = 2  # the shipped one-day crash
    extra = daily.loc[outage_day, "complaints_expected"] - control.loc[outage_day, "complaints_expected"]
    assert extra > 0
    considering = control.loc[outage_day - 1, "considering"]
    # about outage x digital affinity x considering customers (blocked factor unused)
    assert extra < 0.05 * considering


def test_rate_pass_through_keeps_the_margin_when_rates_move() -> None:
    """A 1.5 pp rise in market rates from day 0 raises what money earns elsewhere. With the
    product's rate fixed it sells less; passed through one for one, the margin is the same
    as without the move, and so are the sales (up to float rounding in the comparisons). The
    creative's "was" rate is a printed number that does not move, so it is taken out, and
    references adjust at once (they follow a move at anchor_speed a day)."""
    base = [*NO_QUOTA, "budget.total=100000000", "shocks.1.start=0", "shocks.1.duration=200"]
    base += ["offer.list_rate_pp=50", *(f"segments.{i}.anchor_speed=1" for i in range(6))]
    rise = [*base, "shocks.1.probability=1", "shocks.1.rate_pp=1.5"]
    calm = mean_kpi(small(DEPOSIT, overrides=base), "conversions")
    fixed = mean_kpi(small(DEPOSIT, overrides=rise), "conversions")
    half = mean_kpi(small(DEPOSIT, overrides=[*rise, "offer.rate_pass_through=0.5"]), "conversions")
    passed = mean_kpi(small(DEPOSIT, overrides=[*rise, "offer.rate_pass_through=1"]), "conversions")
    assert fixed < half < 0.97 * passed
    assert passed == pytest.approx(calm, rel=0.01)
