"""Every shipped scenario validates, accepts ``--set population.size=N`` and runs a short
horizon; together they exercise every shock kind and every network kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.kpis import SUMMARY_KPIS
from sim.loading import load_scenario
from sim.runner import run_model
from sim.scenario import NETWORK_KINDS, SHOCK_KINDS, STAGES
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
NAMES = {p.stem for p in SHIPPED}


def test_the_issue_list_is_shipped() -> None:
    wanted = {
        "deposit_sprint",
        "wealth_season",
        "account_opening_festival",
        "etf_flash_sale",
        "viral_referral",
        "credit_card_carnival",
        "bass_reference",
    }
    assert wanted <= NAMES


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_validates_and_runs_small(path: Path) -> None:
    full = load_scenario(path)
    assert full.name == path.stem
    assert full.description
    sc = load_scenario(path, ["population.size=1200", "calendar.observation_days=3"])
    assert sc.population.size == 1200
    res = run_model(sc, 0)
    moved = res.rules[res.rules["target"] == "calendar.days"]  # playbook rules may extend or end it
    assert len(res.daily) == sc.horizon + (moved["value_after"] - moved["value_before"]).sum()
    real = sc.population.size * sc.population.scale
    np.testing.assert_allclose(res.daily[list(STAGES)].sum(axis=1), real)
    assert set(SUMMARY_KPIS) <= set(res.summary)
    assert res.summary["conversions"] > 0
    assert res.summary["budget_used"] <= sc.budget.total + 1e-6


def test_shipped_scenarios_cover_every_shock_and_network_kind() -> None:
    scenarios = [load_scenario(p) for p in SHIPPED]
    shocks = {s.kind for sc in scenarios for s in sc.shocks}
    networks = {sc.network.kind for sc in scenarios}
    assert shocks == set(SHOCK_KINDS)
    assert networks == set(NETWORK_KINDS)
    drops = [s for sc in scenarios for s in sc.shocks if s.kind == "macro" and s.market_drop != 0]
    assert drops, "no macro shock with a market drop"
