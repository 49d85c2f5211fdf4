"""What-if comparison: scenario A against B with common random numbers.

Replication ``r`` of both scenarios runs from the same seed (child ``r`` of
``SeedSequence(seed)``), so the paired difference B - A removes most of the seed noise
that two independent samples would carry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.execute import Backend, parallel_backend
from sim.kpis import SUMMARY_KPIS
from sim.runner import run_replications
from sim.scenario import Scenario

HIGHER_IS_BETTER = frozenset(
    {
        "participants",
        "conversions",
        "conversion_rate",
        "incremental_balance",
        "net_value",
        "roi",
        "retention_30d",
        "referral_share",
        "viral_coefficient",
        "incremental_conversions",
        "incremental_new_money",
        "incremental_net_value",
        "incremental_roi",
    }
)
LOWER_IS_BETTER = frozenset(
    {
        "cost_per_acquisition",
        "cost_per_incremental_conversion",
        "complaints",
        "complaints_per_10k",
        "mis_selling",
    }
)
# Spend and load KPIs have no "better" direction on their own: only P(B higher) is given.


@dataclass
class Comparison:
    runs: pd.DataFrame  # scenario ("A"/"B"), replication, every summary KPI
    paired: pd.DataFrame  # replication, kpi, a, b, diff (= b - a)
    table: pd.DataFrame  # one row per KPI: medians, paired-difference summary, P(B better)
    daily: pd.DataFrame  # scenario, replication, day, new_conversions, new_balance


def paired_differences(
    a: pd.DataFrame, b: pd.DataFrame, kpis: tuple[str, ...] = SUMMARY_KPIS
) -> pd.DataFrame:
    """Long table of B - A per replication, joined on ``replication``."""
    merged = a.merge(b, on="replication", suffixes=("_a", "_b"), validate="one_to_one")
    frames = [
        pd.DataFrame(
            {
                "replication": merged["replication"],
                "kpi": k,
                "a": merged[f"{k}_a"].astype(float),
                "b": merged[f"{k}_b"].astype(float),
            }
        )
        for k in kpis
    ]
    paired = pd.concat(frames, ignore_index=True)
    paired["diff"] = paired["b"] - paired["a"]
    return paired


def summarize_pairs(paired: pd.DataFrame) -> pd.DataFrame:
    """Per KPI: medians of A and B, median and 90% interval of B - A, P(B higher),
    P(tie) and P(B better) in the KPI's good direction (NaN where none is defined).
    Replications where either side is not finite (e.g. ROI with no cost) are left out."""
    rows = []
    for kpi, g in paired.groupby("kpi", sort=False):
        g = g[np.isfinite(g["a"]) & np.isfinite(g["b"])]
        d = g["diff"].to_numpy(float)
        higher = float((d > 0).mean()) if d.size else np.nan
        lower = float((d < 0).mean()) if d.size else np.nan
        better = higher if kpi in HIGHER_IS_BETTER else lower if kpi in LOWER_IS_BETTER else np.nan
        q = np.percentile(d, [5, 50, 95]) if d.size else [np.nan] * 3
        rows.append(
            {
                "kpi": kpi,
                "pairs": int(d.size),
                "a_median": g["a"].median(),
                "b_median": g["b"].median(),
                "diff_median": q[1],
                "diff_p05": q[0],
                "diff_p95": q[2],
                "diff_mean": float(d.mean()) if d.size else np.nan,
                "p_b_higher": higher,
                "p_tie": float((d == 0).mean()) if d.size else np.nan,
                "p_b_better": better,
                "direction": "higher"
                if kpi in HIGHER_IS_BETTER
                else "lower"
                if kpi in LOWER_IS_BETTER
                else "",
            }
        )
    return pd.DataFrame(rows)


def compare(
    a: Scenario,
    b: Scenario,
    n: int,
    seed: int = 0,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> Comparison:
    with parallel_backend(backend, jobs, scheduler) as workers:
        ra = run_replications(a, n, seed=seed, jobs=workers, on_done=on_done)
        rb = run_replications(b, n, seed=seed, jobs=workers, on_done=on_done)
    runs = pd.concat([ra.summary.assign(scenario="A"), rb.summary.assign(scenario="B")], ignore_index=True)
    runs = runs[["scenario", "replication", *SUMMARY_KPIS]]
    keep = ["replication", "day", "new_conversions", "new_balance"]
    daily = pd.concat(
        [ra.daily[keep].assign(scenario="A"), rb.daily[keep].assign(scenario="B")], ignore_index=True
    )
    paired = paired_differences(ra.summary, rb.summary)
    return Comparison(runs, paired, summarize_pairs(paired), daily[["scenario", *keep]])
