"""Value horizon (CLV) and compliance costs: hand-computed cases, properties, and the
conduct rule that switching off suitability checks cannot pay."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.runner import run_model, spawn_seeds
from sim.scenario import Compliance
from sim.value import clv_multiple, compliance_costs, renewal_from_hazard, terms_in_horizon
from tests.conftest import SCENARIOS, small


def test_terms_in_horizon_by_hand() -> None:
    assert terms_in_horizon(180, None) == 1
    assert terms_in_horizon(180, 3) == 6
    assert terms_in_horizon(365, 3) == 3
    assert terms_in_horizon(365, 0.5) == 1  # the first term is always earned


def test_clv_multiple_by_hand() -> None:
    # one-year term, r = 0.8, d = 10%: 1 + 0.8/1.1 + (0.8/1.1)^2
    q = 0.8 / 1.1
    assert clv_multiple(0.8, 0.1, 365, 3) == pytest.approx(1 + q + q**2)
    assert clv_multiple(0.5, 0.0, 365, 1) == pytest.approx(1.0)
    assert clv_multiple(1.0, 0.0, 365, 4) == pytest.approx(4.0)  # q = 1: no geometric division
    # long horizon -> Gupta and Lehmann's margin multiple (1 + d) / (1 + d - r)
    assert clv_multiple(0.8, 0.1, 365, 2000) == pytest.approx(1.1 / (1.1 - 0.8))
    assert renewal_from_hazard(0.01, 100) == pytest.approx(0.99**100)


@given(st.floats(0, 1), st.floats(0, 1), st.integers(1, 3650), st.integers(1, 200))
def test_clv_multiple_between_one_and_terms(r: float, d: float, term: int, n: int) -> None:
    m = float(clv_multiple(r, d, term, n))
    assert 1.0 - 1e-9 <= m <= n + 1e-9
    assert float(clv_multiple(r, d, term, n + 1)) >= m - 1e-12  # more horizon never loses value


def test_compliance_costs_by_hand() -> None:
    c = Compliance(
        complaint_cost=100, remediation_per_case=1000, misleading_claim_fine=5e6, fine_probability=0.4
    )
    assert compliance_costs(2.5, 3.0, 0.0, c) == {
        "complaint_handling_cost": 250.0,
        "remediation_cost": 3000.0,
        "expected_fine": 0.0,
    }
    assert compliance_costs(0.0, 0.0, 10.0, c)["expected_fine"] == 2e6


def test_switching_off_suitability_checks_cannot_raise_roi() -> None:
    # without the chance of a market drop, which can stop every sale at this size
    quiet = ["calendar.observation_days=5", "shocks.1.probability=0"]
    on = small(SCENARIOS / "etf_flash_sale.toml", 3000, quiet)
    off = on.model_copy(update={"offer": on.offer.model_copy(update={"suitability_check": False})})
    for ss in spawn_seeds(4, 3):
        a, b = run_model(on, ss).summary, run_model(off, ss).summary
        assert b["mis_selling"] > 0 and b["remediation_cost"] > 0
        assert b["roi"] <= a["roi"] and b["incremental_roi"] <= a["incremental_roi"]
        assert b["net_value"] < a["net_value"]


def test_expected_complaints_resolve_below_one_simulated_complaint() -> None:
    """At 2,000 simulated customers standing for 2M, one simulated complaint is 5 per 10k: the
    expected count still resolves rates far below that."""
    sc = small(SCENARIOS / "deposit_sprint.toml", 2000, ["calendar.observation_days=5"])
    s = run_model(sc, 1).summary
    assert 0 < s["complaints_per_10k"] < 5
    assert s["complaints_per_10k"] == pytest.approx(s["complaints_expected"] / 2_000_000 * 1e4)
    assert np.isfinite(s["compliance_cost"]) and s["complaint_handling_cost"] > 0
