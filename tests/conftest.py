"""Shared helpers: paths to the shipped scenarios and small, fast versions of them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from sim.loading import load_scenario
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DEPOSIT = SCENARIOS / "deposit_sprint.toml"
ETF = SCENARIOS / "etf_flash_sale.toml"


def small(path: Path, size: int = 2000, overrides: Iterable[str] = ()) -> Scenario:
    """A shipped scenario at ``size`` customers without agent objects (fast)."""
    return load_scenario(path, [f"population.size={size}", "population.agents=false", *overrides])


@pytest.fixture(scope="session")
def deposit_small() -> Scenario:
    return small(DEPOSIT)
