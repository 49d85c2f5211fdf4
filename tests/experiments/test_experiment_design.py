"""Design expansion: grid products, LHS and Sobol sizes and bounds, grouped channel mixes,
common random numbers and stable run keys."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.design import expand_design, problem, run_plan
from sim.experiments.spec import load_experiment

MIX = """
[factors.mix]
role = "lever"
channels = ["branch", "wechat", "app_push"]
low = 0.5
high = 2.0
"""


def continuous(kind: str, n: int) -> str:
    return f"""
kpis = ["net_value"]
[design]
kind = "{kind}"
n = {n}
[factors.budget]
role = "lever"
path = "budget.total"
low = 5_000_000
high = 9_000_000
[factors.days]
role = "lever"
path = "calendar.days"
low = 5
high = 20
[factors.frame]
role = "uncertainty"
path = "offer.frame"
levels = ["gain", "loss"]
{MIX}"""


def test_grid_is_the_product_of_levels(write_experiment, grid: str) -> None:
    exp = load_experiment(write_experiment(grid, replications=2))
    d = expand_design(exp)
    pairs = list(zip(d.points["budget"], d.points["bonus"], strict=True))
    assert pairs == [(b, r) for b in (6e6, 9e6) for r in (20.0, 40.0, 60.0)]
    plan = run_plan(exp, d)
    assert len(plan) == 12
    assert plan["run_id"].tolist() == list(range(12))


def test_lhs_stratifies_each_factor_and_respects_bounds(write_experiment) -> None:
    exp = load_experiment(write_experiment(continuous("lhs", 10)))
    d = expand_design(exp)
    assert len(d.values) == 10
    budget = np.sort(d.points["budget"].to_numpy())
    # one sample in each tenth of [5M, 9M]
    assert np.array_equal(np.floor((budget - 5e6) / 0.4e6), np.arange(10))
    assert set(d.points["days"]) <= set(range(5, 21)) and d.points["days"].dtype.kind == "i"
    assert set(d.points["frame"]) == {"gain", "loss"}
    mix = d.points[["mix.branch", "mix.wechat", "mix.app_push"]]
    assert mix.nunique().min() > 1  # each channel's weight varies on its own


def test_sobol_size_counts_a_channel_mix_as_one_group(write_experiment) -> None:
    exp = load_experiment(write_experiment(continuous("sobol", 8)))
    prob = problem(exp.spec)
    assert prob["num_vars"] == 6  # budget, days, frame, three channel weights
    assert prob["groups"] == ["budget", "days", "frame", "mix", "mix", "mix"]
    d = expand_design(exp)
    assert len(d.values) == 8 * (4 + 2)
    second = load_experiment(write_experiment(continuous("sobol", 8)), ["design.second_order=true"])
    assert len(expand_design(second).values) == 8 * (2 * 4 + 2)


def test_common_random_numbers_and_stable_keys(write_experiment, grid: str) -> None:
    exp = load_experiment(write_experiment(grid, replications=3))
    plan = run_plan(exp, expand_design(exp))
    seeds = plan.groupby("replication")[["seed_entropy", "seed_spawn_key"]].nunique()
    assert (seeds == 1).all().all()  # every point uses the same seed for replication r
    assert plan.groupby("point")["seed_spawn_key"].nunique().eq(3).all()
    assert plan["key"].is_unique
    again = run_plan(exp, expand_design(exp))
    assert again["key"].tolist() == plan["key"].tolist()
    other = load_experiment(write_experiment(grid, replications=3), ["population.size=301"])
    assert set(run_plan(other, expand_design(other))["key"]).isdisjoint(plan["key"])


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_same_seed_same_design(write_experiment, kind: str) -> None:
    a = expand_design(load_experiment(write_experiment(continuous(kind, 8))))
    b = expand_design(load_experiment(write_experiment(continuous(kind, 8))))
    c = expand_design(load_experiment(write_experiment(continuous(kind, 8), seed=4)))
    assert a.points.equals(b.points)
    assert not a.points.equals(c.points)
