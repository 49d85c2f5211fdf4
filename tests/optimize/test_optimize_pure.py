"""Pure parts of the optimiser: the bounded channel-mix simplex, scores, Pareto front, spec rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.optimize.evaluate import constraint_score, paired_better, statistic
from sim.optimize.levers import fill_simplex
from sim.optimize.search import pareto_front
from sim.optimize.spec import Constraint, Lever, Objective


@st.composite
def boxes(draw):
    k = draw(st.integers(2, 8))
    lower = np.array(draw(st.lists(st.floats(0, 0.2), min_size=k, max_size=k)))
    upper = lower + np.array(draw(st.lists(st.floats(0.05, 0.8), min_size=k, max_size=k)))
    upper = np.minimum(upper, 1.0)
    hi = float(min(upper.sum(), 1.0))
    total = draw(st.floats(float(lower.sum()), hi)) if lower.sum() <= hi else None
    u = np.array(draw(st.lists(st.floats(0, 1), min_size=k, max_size=k)))
    return u, lower, upper, total


@given(boxes())
def test_fill_simplex_respects_bounds_and_sum(box) -> None:
    u, lower, upper, total = box
    if total is None:
        return
    s = fill_simplex(u, lower, upper, total)
    assert s.sum() == pytest.approx(total, abs=1e-9)
    assert np.all(s >= lower - 1e-9) and np.all(s <= upper + 1e-9)


def test_fill_simplex_with_a_subnormal_weight() -> None:
    # hypothesis found it: free * 5e-324 underflowed to 0 and nothing was shared out
    s = fill_simplex(np.array([5e-324, 0.0]), np.zeros(2), np.ones(2), 0.5)
    assert s.sum() == pytest.approx(0.5)


def test_fill_simplex_by_hand() -> None:
    # 0.6 above the lower bounds, split by weight x room (0.8 : 0.4)
    s = fill_simplex(np.array([1.0, 1.0]), np.array([0.1, 0.1]), np.array([0.9, 0.5]), 0.8)
    assert s == pytest.approx([0.5, 0.3])
    s = fill_simplex(np.array([0.25, 1.0]), np.array([0.0, 0.0]), np.array([1.0, 0.5]), 1.0)
    assert s == pytest.approx([0.5, 0.5])  # 0.2 : 0.8 wanted, second capped at 0.5


def test_statistics_and_constraints_by_hand() -> None:
    x = np.array([-1.0, 2, 3, 4, np.nan])
    assert statistic(x, Objective(kpi="roi")) == 2.5
    assert statistic(x, Objective(kpi="roi", statistic="p_below", threshold=0)) == 0.25
    c = constraint_score(x, Constraint(kpi="roi", below=0, max_probability=0.1))
    assert c["value"] == 0.25 and c["slack"] == pytest.approx(0.15) and 0 < c["lower"] < 0.25 < c["upper"]
    assert 0 < c["p_met"] < 0.5
    b = constraint_score(x, Constraint(kpi="budget_used", statistic="median", at_most=3))
    assert b["value"] == 2.5 and b["slack"] < 0 and b["p_met"] == 1.0


def test_paired_better_counts_ties_half() -> None:
    r = paired_better(np.array([2.0, 1, 3, 5]), np.array([1.0, 1, 4, np.nan]), "maximize")
    assert r["pairs"] == 3 and r["p_better"] == pytest.approx(0.5)


def test_pareto_front_by_hand() -> None:
    df = pd.DataFrame({"objective": [1.0, 2, 3, 2.5, 1], "objective_2": [0.1, 0.2, 0.5, 0.6, 0.3]})
    front = pareto_front(df, ["objective", "objective_2"], ["maximize", "minimize"])
    assert front.index.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "budget.total", "low": 2, "high": 1}, "must be greater"),
        ({"path": "budget.total", "low": 0, "high": 10, "step": 3}, "must divide"),
        ({"channels": ["a"]}, "two different channels"),
        ({"channels": ["a", "b"], "lower": {"c": 0.1}}, "not one of channels"),
        ({"channels": ["a", "b"], "lower": {"a": 0.6}, "upper": {"a": 0.5}}, "above upper.a"),
    ],
)
def test_lever_rules(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Lever(**kwargs)


def test_api_optimize_returns_the_trial_table(tmp_path) -> None:
    from pathlib import Path

    from sim import api

    spec = Path(__file__).resolve().parents[2] / "experiments" / "deposit_sprint_optimize.toml"
    tiny = ["population.size=300", "population.agents=false", "calendar.phases=[]", "calendar.days=10"]
    tiny += ["calendar.observation_days=5", "levers.duration.low=5", "levers.duration.high=10"]
    tiny += ["replications=2", "search.trials=2", "search.batch=2", "confirm.top=1", "confirm.replications=2"]
    tiny += ["analysis.curve_points=0", "analysis.marginal_share=0"]
    trials = api.optimize(spec, tiny, tmp_path / "o")
    assert len(trials) == 2 and "objective" in trials and isinstance(trials.attrs["verdict"], str)
    assert trials.attrs["curves"].empty and trials.attrs["folder"].endswith("o")
