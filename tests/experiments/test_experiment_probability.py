"""Probabilities from replications: Wilson intervals, posterior P(share <= limit), thin warnings."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.experiments.probability import is_thin, prob_at_most, replications_for, wilson
from sim.experiments.thin import cell_probabilities, sobol_warnings


def test_wilson_by_hand() -> None:
    # 90% level, z = 1.6449: 0 of 10 -> upper = z^2 / (n + z^2) = 2.7055 / 12.7055
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2129, abs=1e-4)
    lo, hi = wilson(5, 10, conf=0.95)  # Brown et al. 2001, 95%: 0.2366 .. 0.7634
    assert (lo, hi) == pytest.approx((0.2366, 0.7634), abs=1e-4)


@given(st.integers(1, 500), st.data())
def test_wilson_contains_the_share_and_stays_in_0_1(n: int, data) -> None:
    k = data.draw(st.integers(0, n))
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1.0


@given(st.integers(1, 200), st.data(), st.floats(0.01, 0.99))
def test_posterior_probability_falls_with_more_events(n: int, data, limit: float) -> None:
    k = data.draw(st.integers(0, n - 1))
    assert 0.0 <= prob_at_most(k + 1, n, limit) <= prob_at_most(k, n, limit) <= 1.0


def test_thin_width_and_replications_needed() -> None:
    assert is_thin(*wilson(0, 4)) and not is_thin(*wilson(0, 100))
    n = replications_for(0.2)
    lo, hi = wilson(n / 2, n)
    assert hi - lo <= 0.2 and 50 < n < 90


def test_cell_probabilities_and_sobol_warnings() -> None:
    runs = pd.DataFrame({"point": [0, 0, 1, 1], "status": "ok", "roi": [-0.1, 0.2, 0.3, 0.4]})
    cells = cell_probabilities(runs)
    assert cells["p"].tolist() == [0.5, 0.0] and (cells["upper"] - cells["lower"] > 0.2).all()
    indices = pd.DataFrame({"kpi": ["roi"], "factor": ["budget"], "S1": [-0.3], "S1_conf": [0.1]})
    variance = pd.DataFrame({"kpi": ["roi"], "noise_share_of_means": [0.8]})
    notes = sobol_warnings(indices, variance)
    assert any("noise dominates" in w for w in notes) and any("below zero" in w for w in notes)
