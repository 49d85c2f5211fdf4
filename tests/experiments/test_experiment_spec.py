"""Experiment files: schema rules, factor path checks, --set routing, shipped files load."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiments.spec import load_experiment, split_overrides
from sim.loading import SpecError

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
# optimisation specs (with levers) are loaded and run by tests/optimize
SHIPPED = sorted(p for p in EXPERIMENTS.glob("*.toml") if "[levers." not in p.read_text(encoding="utf-8"))


def test_three_experiments_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"budget_discount_sobol", "budget_bonus_grid", "channel_mix_lhs"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_experiment_loads(path) -> None:
    exp = load_experiment(path)
    assert exp.spec.name == path.stem
    assert exp.base["name"]  # the base scenario was resolved


def test_sobol_experiment_has_the_issue_factors() -> None:
    exp = load_experiment(EXPERIMENTS / "budget_discount_sobol.toml")
    factors = exp.spec.factors
    levers = {n for n, f in factors.items() if f.role == "lever"}
    assert {"budget", "bonus_rate", "channel_mix", "referral_reward", "duration"} <= levers
    assert {"loss_aversion", "fomo", "competitor_shock"} <= set(factors) - levers
    assert exp.spec.design.n & (exp.spec.design.n - 1) == 0


def test_overrides_are_routed_by_first_key() -> None:
    exp, scen = split_overrides(["design.n=8", "replications=1", "population.size=500", "offer.bonus_bp=5"])
    assert exp == ["design.n=8", "replications=1"]
    assert scen == ["population.size=500", "offer.bonus_bp=5"]


def test_set_edits_experiment_and_scenario(write_experiment, grid: str) -> None:
    exp = load_experiment(write_experiment(grid), ["replications=3", "population.size=400"])
    assert exp.spec.replications == 3
    assert exp.base["population"]["size"] == 400


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ('kpis = ["net_value", "profit"]', "kpis: unknown KPI 'profit'"),
        (
            "[factors.x]\nrole = 'lever'\npath = 'budget.totl'\nlow = 1\nhigh = 2",
            "budget.totl: unknown scenario field",
        ),
        (
            "[factors.x]\nrole = 'lever'\npath = 'segments.*.loss_aversoin'\nlow = 1\nhigh = 2",
            "unknown scenario field",
        ),
        (
            "[factors.x]\nrole = 'lever'\nchannels = ['branch', 'telepathy']\nlevels = [{branch = 1}]",
            "unknown channel 'telepathy'",
        ),
        ("[factors.x]\nrole = 'lever'\npath = 'budget.total'\nlow = 2\nhigh = 1", "must be greater than low"),
        ("[factors.x]\nrole = 'boss'\npath = 'budget.total'\nlow = 1\nhigh = 2", "factors.x.role"),
        ("[factors.x]\nrole = 'lever'\npath = 'budget.total'", "give low and high, or levels"),
    ],
)
def test_bad_factor_or_kpi_is_a_spec_error(write_experiment, grid: str, edit: str, message: str) -> None:
    body = grid.replace('kpis = ["net_value", "total_cost"]', "") + "\n" + edit
    if edit.startswith("kpis"):
        body = edit + "\n" + grid.replace('kpis = ["net_value", "total_cost"]', "")
    with pytest.raises(SpecError) as err:
        load_experiment(write_experiment(body))
    assert message in str(err.value)


def test_sobol_n_must_be_a_power_of_two(write_experiment, grid: str) -> None:
    path = write_experiment(grid.replace('kind = "grid"', 'kind = "sobol"\nn = 12'))
    with pytest.raises(SpecError, match="power of two"):
        load_experiment(path)


def test_unknown_experiment_key_suggests_the_right_one(write_experiment, grid: str) -> None:
    with pytest.raises(SpecError, match="did you mean 'replications'"):
        load_experiment(write_experiment(grid), ["replication=2"])
