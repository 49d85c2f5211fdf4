"""Limits (sim.limits) and the incentive-exhaustion policy: each limit is recorded when, and
only when, it binds; the policy decides what the offer and the media do afterwards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.limits import LIMIT_SUMMARY, limit_summary, limits_overview, limits_table
from sim.runner import run_model, run_replications
from tests.conftest import DEPOSIT, SCENARIOS, small

# the deposit sprint's incentive pool cut to a sliver by the marketing share
TINY_POOL = ["budget.marketing_share=0.99"]


def _limit(res, limit: str, channel: str = "") -> pd.Series:
    t = res.limits
    return t[(t["limit"] == limit) & (t["channel"] == channel)].iloc[0]


def test_incentive_pool_exhaustion_is_recorded_with_its_day() -> None:
    res = run_model(small(DEPOSIT, 1500, TINY_POOL), 1)
    row = _limit(res, "incentive_pool_exhausted")
    off = res.daily.loc[~res.daily["incentives_on"].astype(bool), "day"]
    assert row["binds"] and row["first_day"] == off.min() < 10
    assert res.summary["incentive_pool_exhausted_day"] == row["first_day"]
    assert row["amount"] >= 0  # money left in the pool when it could not pay a customer
    roomy = run_model(small(DEPOSIT, 1500, ["budget.marketing_share=0.05"]), 1)
    assert not _limit(roomy, "incentive_pool_exhausted")["binds"]
    assert np.isnan(roomy.summary["incentive_pool_exhausted_day"])


@pytest.mark.parametrize("policy", ["continue_without_bonus", "stop_offer", "end_campaign"])
def test_policy_on_incentive_exhaustion(policy: str) -> None:
    sc = small(DEPOSIT, 1500, [*TINY_POOL, f"offer.on_incentive_exhausted={policy!r}"])
    res = run_model(sc, 1)
    out = int(res.summary["incentive_pool_exhausted_day"])
    after = res.daily[(res.daily["day"] > out) & (res.daily["day"] < sc.calendar.days)]
    sales, media = after["new_conversions"].sum(), after["marketing_spend"].sum()
    if policy == "continue_without_bonus":
        assert sales > 0 and media > 0  # the offer goes on at base terms
    elif policy == "stop_offer":
        assert sales == 0 and media > 0  # closed; the media already booked runs on
    else:
        assert sales == 0 and media == 0  # closed, and the rest of the media cancelled
        assert res.summary["channel_budget_unspent"] > 0
    assert after["incentive_cost"].sum() == 0


def test_default_policy_leaves_runs_unchanged() -> None:
    a = run_model(small(DEPOSIT, 1500, TINY_POOL), 2).daily
    b = run_model(
        small(DEPOSIT, 1500, [*TINY_POOL, "offer.on_incentive_exhausted='continue_without_bonus'"]), 2
    )
    pd.testing.assert_frame_equal(a, b.daily)


def test_quota_sold_out_day() -> None:
    res = run_model(small(DEPOSIT, 1500, ["offer.quota=5000"]), 1)
    row = _limit(res, "quota_sold_out")
    sold = res.daily.loc[res.daily["quota_remaining"] <= 0, "day"]
    assert row["binds"] and row["first_day"] == sold.min()
    assert not _limit(run_model(small(DEPOSIT, 1500), 1), "quota_sold_out")["binds"]


def test_capacity_and_unspent_budget_of_a_channel() -> None:
    res = run_model(small(DEPOSIT, 1500, ["channels.branch.daily_capacity=1000"]), 1)
    cap = _limit(res, "channel_capacity_saturated", "branch")
    assert cap["binds"] and cap["first_day"] <= 1 and cap["days"] >= 29  # day 0: a warm-up budget
    unspent = _limit(res, "channel_budget_unspent", "branch")
    spent = res.channels.loc[res.channels["channel"] == "branch", "spend"].sum()
    assert unspent["binds"] and unspent["amount"] > 0.5 * spent
    roomy = run_model(small(DEPOSIT, 1500, ["channels.branch.daily_capacity=10000000"]), 1)
    assert not _limit(roomy, "channel_capacity_saturated", "branch")["binds"]


def test_frequency_cap_binds_when_money_outlasts_the_customers() -> None:
    sets = ["channels.branch.frequency_cap=1", "population.represents=300"]
    res = run_model(small(DEPOSIT, 300, sets), 1)
    row = _limit(res, "frequency_cap_binding", "branch")
    assert row["binds"] and res.summary["days_frequency_capped"] >= row["days"] > 0
    loose = run_model(small(DEPOSIT, 300, ["channels.branch.frequency_cap=1000"]), 1)
    assert not _limit(loose, "frequency_cap_binding", "branch")["binds"]


def test_limits_table_by_hand() -> None:
    sc = small(DEPOSIT, 1000, ["calendar.days=3", "calendar.phases=[]", "calendar.observation_days=1"])
    names = list(sc.channels)
    daily = pd.DataFrame(
        {
            "day": [0, 1, 2, 3],
            "incentives_on": [True, False, False, False],
            "incentive_cost": [1.0, 0, 0, 0],
            "reward_cost": [0.0, 0, 0, 0],
            "marketing_spend": [0.0, 0, 0, 0],
            "quota_remaining": [5.0, 0, 0, 0],
        }
    )
    rows = [
        {"day": d, "channel": c, "spend": 0.0, "allowance": 1e6, "open": True,
         "capacity_bound": c == names[0], "frequency_capped": d == 2}
        for d in range(3) for c in names
    ]  # fmt: skip
    t = limits_table(sc, daily, pd.DataFrame(rows))
    first = t.set_index(["limit", "channel"])["first_day"]
    assert first[("incentive_pool_exhausted", "")] == 1 and first[("quota_sold_out", "")] == 1
    assert first[("channel_capacity_saturated", names[0])] == 0
    assert first[("frequency_cap_binding", names[1])] == 2
    assert first[("channel_budget_unspent", names[1])] == 0  # nothing spent of a positive plan
    s = limit_summary(t, sc)
    assert set(s) == set(LIMIT_SUMMARY) and s["channel_budget_unspent_share"] == pytest.approx(1.0)
    assert s["days_capacity_saturated"] == 3 and s["days_frequency_capped"] == len(names)


def test_overview_counts_runs_and_days() -> None:
    reps = run_replications(small(DEPOSIT, 1000, TINY_POOL), 3, seed=4)
    ov = limits_overview(reps.limits, 3).set_index(["limit", "channel"])
    row = ov.loc[("incentive_pool_exhausted", "")]
    assert row["runs"] == 3 and row["share"] == 1.0
    assert row["first_day_median"] == reps.summary["incentive_pool_exhausted_day"].median()


def test_every_shipped_scenario_chooses_its_exhaustion_policy_with_a_reason() -> None:
    for path in sorted(SCENARIOS.glob("*.toml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        at = [i for i, line in enumerate(lines) if line.startswith("on_incentive_exhausted")]
        assert at, f"{path.name} does not set offer.on_incentive_exhausted"
        i = at[0]
        assert "#" in lines[i] or lines[i - 1].lstrip().startswith("#"), f"{path.name}: say why"
