"""KPI distribution summaries, hand-computed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.kpis import SUMMARY_KPIS
from sim.report.stats import bands, kpi_table, probability_roi_negative


def _summary(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({k: values for k in SUMMARY_KPIS})


def test_median_and_interval_by_hand() -> None:
    t = kpi_table(_summary([0.0, 1.0, 2.0, 3.0, 4.0])).set_index("kpi")
    row = t.loc["roi"]
    assert row["median"] == 2.0
    assert np.isclose(row["p05"], 0.2) and np.isclose(row["p95"], 3.8)  # linear interpolation
    assert row["mean"] == 2.0


def test_nan_values_are_left_out() -> None:
    t = kpi_table(_summary([np.nan, 1.0, 3.0])).set_index("kpi")
    assert t.loc["roi", "median"] == 2.0


def test_probability_roi_negative() -> None:
    s = _summary([-1.0, -0.5, 0.2, 1.0])
    assert probability_roi_negative(s) == 0.5


def test_bands_per_day() -> None:
    daily = pd.DataFrame({"day": [0, 0, 0, 1, 1, 1], "x": [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]})
    b = bands(daily, "x")
    assert list(b["p50"]) == [2.0, 20.0]
    assert np.isclose(b.loc[1, "p05"], 11.0)
