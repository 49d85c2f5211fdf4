"""What-if comparison: paired differences by hand, and common random numbers (A vs A
gives exactly zero differences; a known cost shows up in every pair)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.compare import compare, paired_differences, summarize_pairs
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
    cmp = compare(sc, sc, n=3, seed=5)
    assert (cmp.paired["diff"].fillna(0) == 0).all()
    assert set(cmp.runs["scenario"]) == {"A", "B"} and len(cmp.runs) == 6


def test_a_known_change_shows_up_in_every_pair() -> None:
    a = load_scenario(SCENARIO, [*TINY, "budget.fixed_costs=0"])
    b = load_scenario(SCENARIO, [*TINY, "budget.fixed_costs=1e6"])
    t = compare(a, b, n=4, seed=1).table.set_index("kpi")
    assert t.loc["fixed_cost", "diff_p05"] == t.loc["fixed_cost", "diff_p95"] == pytest.approx(1e6)
    assert t.loc["fixed_cost", "p_b_higher"] == 1.0
