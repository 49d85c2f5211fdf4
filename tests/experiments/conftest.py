"""Fixtures for the experiment tests: tiny experiments on the shipped deposit sprint.

Runs shrink to 300 customers x 15 days, a few hundredths of a second each."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "deposit_sprint.toml"
EXPERIMENTS = ROOT / "experiments"

#: --set style overrides making each run take a few hundredths of a second
TINY = (
    "population.size=300",
    "population.agents=false",
    "calendar.phases=[]",
    "calendar.days=10",
    "calendar.observation_days=5",
)


def tiny_toml(body: str, replications: int = 1, seed: int = 3) -> str:
    overrides = ", ".join(f'"{o}"' for o in TINY)
    return (
        f'name = "tiny"\nscenario = "{SCENARIO.as_posix()}"\noverrides = [{overrides}]\n'
        f"seed = {seed}\nreplications = {replications}\n{body}"
    )


GRID = """
kpis = ["net_value", "total_cost"]
[design]
kind = "grid"
[factors.budget]
role = "lever"
path = "budget.total"
levels = [6_000_000, 9_000_000]
[factors.bonus]
role = "lever"
path = "offer.bonus_bp"
low = 20
high = 60
steps = 3
"""


@pytest.fixture
def grid() -> str:
    """A 2 x 3 grid over budget and bonus rate."""
    return GRID


@pytest.fixture
def tiny() -> tuple[str, ...]:
    return TINY


@pytest.fixture
def write_experiment(tmp_path: Path):
    def write(body: str, replications: int = 1, seed: int = 3, name: str = "exp.toml") -> Path:
        path = tmp_path / name
        path.write_text(tiny_toml(body, replications, seed), encoding="utf-8")
        return path

    return write
