"""Distribution summaries of replicated KPIs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.kpis import SUMMARY_KPIS
from sim.limits import LIMIT_SUMMARY


def kpi_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per KPI: median and the 90% interval (5th and 95th percentiles) across
    replications, plus the mean; NaNs (e.g. ROI with no cost, the day of a limit that never
    bound) are left out. Limit columns (:data:`sim.limits.LIMIT_SUMMARY`) follow when present."""
    rows = []
    for kpi in (*SUMMARY_KPIS, *(k for k in LIMIT_SUMMARY if k in summary)):
        x = summary[kpi].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if x.size == 0:
            rows.append({"kpi": kpi, "median": np.nan, "p05": np.nan, "p95": np.nan, "mean": np.nan})
            continue
        p05, med, p95 = np.percentile(x, [5, 50, 95])
        rows.append({"kpi": kpi, "median": med, "p05": p05, "p95": p95, "mean": float(x.mean())})
    return pd.DataFrame(rows)


def probability_roi_negative(summary: pd.DataFrame) -> float:
    roi = summary["roi"].to_numpy(dtype=float)
    roi = roi[np.isfinite(roi)]
    return float((roi < 0).mean()) if roi.size else float("nan")


def bands(daily: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per day: 5th, 50th and 95th percentile of ``column`` across replications."""
    g = daily.groupby("day")[column]
    return pd.DataFrame({"p05": g.quantile(0.05), "p50": g.quantile(0.5), "p95": g.quantile(0.95)})
