"""What-if comparison: paired differences by hand, and common random numbers (A vs A
gives exactly zero differences; a known cost shows up in every pair)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.compare import analyse, compare, p_best, paired_differences, summarize_pairs
from sim.loading import load_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "deposit_sprint.toml"
TINY = [
    "population.size=300",
    "population.agents=false",
    "calendar.phases=[]",
    "calendar.days=10",
    "calendar.observation_days=5",
]


def test_paired_summary_by_hand() -> None:
    a = pd.DataFrame(
        {
            "replication": [0, 1, 2, 3],
            "conversions": [10.0, 20, 30, 40],
            "complaints": [1.0, 1, 1, 1],
            "total_cost": [5.0, 5, 5, 5],
        }
    )
    b = pd.DataFrame(
        {
            "replication": [3, 2, 1, 0],
            "conversions": [40.0, 33, 25, 9],
            "complaints": [2.0, 0, 1, 0],
            "total_cost": [6.0, 6, 6, 6],
        }
    )
    paired = paired_differences(a, b, kpis=("conversions", "complaints", "total_cost"))
    t = summarize_pairs(paired).set_index("kpi")
    # conversion diffs by replication: -1, +5, +3, 0
    assert t.loc["conversions", "diff_median"] == pytest.approx(1.5)
    assert t.loc["conversions", "p_b_better"] == pytest.approx(0.5)
    assert t.loc["conversions", "p_tie"] == pytest.approx(0.25)
    # complaint diffs -1, 0, -1, +1: fewer is better
    assert t.loc["complaints", "p_b_better"] == pytest.approx(0.5)
    assert np.isnan(t.loc["total_cost", "p_b_better"]) and t.loc["total_cost", "p_b_higher"] == 1.0


def test_non_finite_pairs_are_left_out() -> None:
    a = pd.DataFrame({"replication": [0, 1], "roi": [1.0, np.nan]})
    b = pd.DataFrame({"replication": [0, 1], "roi": [2.0, 3.0]})
    t = summarize_pairs(paired_differences(a, b, kpis=("roi",)))
    assert t["pairs"].tolist() == [1] and t["diff_median"].tolist() == [1.0]


def test_common_random_numbers_make_a_vs_a_exactly_zero() -> None:
    sc = load_scenario(SCENARIO, TINY)
    cmp = compare([sc, sc, sc], n=3, seed=5)
    assert cmp.options == ["deposit_sprint", "deposit_sprint#2", "deposit_sprint#3"]
    assert (cmp.paired["diff_median"].fillna(0) == 0).all() and len(cmp.runs) == 9
    # identical options tie in every replication: P(best) is shared equally
    best = cmp.best[cmp.best["kpi"] == "net_value"]
    assert best["p_best"].tolist() == pytest.approx([1 / 3] * 3)


def test_a_known_change_shows_up_in_every_pair() -> None:
    a = load_scenario(SCENARIO, [*TINY, "budget.fixed_costs=0"])
    # the same marketing and incentive pools: the budget grows by what the fixed cost takes
    total = a.budget.total + 1e6 / (1 - a.budget.risk_reserve_share)
    b = load_scenario(SCENARIO, [*TINY, "budget.fixed_costs=1e6", f"budget.total={total}"])
    cmp = compare({"lean": a, "heavy": b}, n=4, seed=1)
    t = cmp.paired.set_index("kpi")
    assert t.loc["fixed_cost", "diff_p05"] == t.loc["fixed_cost", "diff_p95"] == pytest.approx(1e6)
    assert t.loc["fixed_cost", "p_higher"] == 1.0 and (t["option"] == "heavy").all()
    # a million more fixed cost in every pair: lean always has the higher net value
    best = cmp.best[cmp.best["kpi"] == "net_value"].set_index("option")
    assert best.loc["lean", "p_best"] == 1.0 and best.loc["heavy", "p_best"] == 0.0
    assert "lean has the highest median" in cmp.verdict


def test_p_best_by_hand_with_ties_and_directions() -> None:
    runs = pd.DataFrame(
        {
            "option": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
            "replication": [0, 1, 2, 3] * 3,
            "net_value": [1.0, 5, 3, 2, 2, 5, 1, 2, 0, 0, 9, 1],
            "cost_per_acquisition": [1.0, 1, 1, 1, 2, 2, 2, 2, 0.5, 3, 3, np.nan],
        }
    )
    t = p_best(runs, kpis=("net_value", "cost_per_acquisition")).set_index(["kpi", "option"])
    # net value: b; a and b tie; c; a and b tie -> a 1, b 2, c 1 of 4
    assert t.loc[("net_value", "a"), "p_best"] == pytest.approx(0.25)
    assert t.loc[("net_value", "b"), "p_best"] == pytest.approx(0.5)
    assert t.loc[("net_value", "c"), "p_best"] == pytest.approx(0.25)
    # lower is better; replication 3 has a NaN and is left out: c, a, a
    assert t.loc[("cost_per_acquisition", "a"), "p_best"] == pytest.approx(2 / 3)
    assert t.loc[("cost_per_acquisition", "a"), "replications"] == 3
    lo, hi = t.loc[("net_value", "b"), ["lower", "upper"]]
    assert lo < 0.5 < hi


def test_thin_probabilities_warn() -> None:
    n = 5
    runs = pd.DataFrame(
        {"option": ["a"] * n + ["b"] * n, "replication": list(range(n)) * 2}
        | {
            k: np.linspace(-1, 1, 2 * n)
            for k in ("roi", "incremental_roi", "net_value", "incremental_net_value")
        }
    )
    daily = pd.DataFrame(columns=["option", "replication", "day", "new_conversions", "new_balance"])
    cmp = analyse(["a", "b"], runs, daily)
    assert any("P(ROI < 0) of a" in w and "wider than 20 points" in w for w in cmp.warnings)
    assert cmp.risk.set_index(["option", "kpi"]).loc[("a", "roi"), "p"] == 1.0
