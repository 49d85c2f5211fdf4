"""Warnings where a study's statistics are thin, with the reason in words.

* Sweep cells: a probability per design point (P(ROI < 0) in the response surface) is a
  share of that point's few replications; its 90% Wilson interval (:mod:`probability`) is
  wide when they are few (4 runs at 0 losses: 0% to 40%).
* Sobol: when most of the variance of the analysed point means is seed noise
  (``noise_share_of_means`` above one half), the indices mostly measure noise; an S1 below
  zero beyond its confidence interval is impossible for a variance share and means the
  estimator is unstable at this N (noise or too few base samples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.experiments.probability import THIN_WIDTH, replications_for, wilson

if TYPE_CHECKING:
    from sim.experiments.study import Sweep

#: Above this share of the point means' variance being seed noise, Sobol indices are noise.
NOISE_DOMINATES = 0.5


def cell_probabilities(runs: pd.DataFrame, kpi: str = "roi", threshold: float = 0.0) -> pd.DataFrame:
    """Per design point: runs, losses (KPI below ``threshold``), P and its Wilson interval."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for point, g in ok.groupby("point", sort=True):
        x = g[kpi].to_numpy(float)
        x = x[np.isfinite(x)]
        k, n = int((x < threshold).sum()), int(x.size)
        lo, hi = wilson(k, n)
        rows.append({"point": point, "runs": n, "p": k / n if n else np.nan, "lower": lo, "upper": hi})
    return pd.DataFrame(rows, columns=["point", "runs", "p", "lower", "upper"])


def cell_warnings(sweep: Sweep, width: float = THIN_WIDTH) -> list[str]:
    """One warning when P(ROI < 0) per design point rests on too few runs."""
    cells = cell_probabilities(sweep.runs)
    if cells.empty:
        return []
    thin = cells[~(cells["upper"] - cells["lower"] <= width)]
    if thin.empty:
        return []
    runs = int(cells["runs"].min())
    worst = thin.assign(w=thin["upper"] - thin["lower"]).sort_values("w").iloc[-1]
    return [
        f"P(ROI < 0) per design point rests on {runs} run(s) per point: in {len(thin)} of {len(cells)} "
        f"points its 90% interval is wider than {width * 100:.0f} percentage points (e.g. point "
        f"{int(worst['point'])}: {worst['p'] * 100:.0f}%, interval {worst['lower'] * 100:.0f}% to "
        f"{worst['upper'] * 100:.0f}%). Read the loss map as a rough guide, or raise replications to about "
        f"{replications_for(width):,} per point for that width."
    ]


def sobol_warnings(indices: pd.DataFrame, variance: pd.DataFrame) -> list[str]:
    """Noise-dominated KPIs and S1 negative beyond its interval, explained."""
    out = []
    for r in variance.itertuples():
        share = r.noise_share_of_means
        if np.isfinite(share) and share > NOISE_DOMINATES:
            out.append(
                f"{r.kpi}: noise dominates: {share * 100:.0f}% of the variance between the analysed design "
                "points is seed noise (different random draws), not the factors; the indices mostly measure "
                "noise. Raise replications (common random numbers) before ranking factors on this KPI."
            )
    for r in indices.itertuples():
        if r.S1 + r.S1_conf < 0:
            out.append(
                f"{r.kpi}: S1 of {r.factor} is {r.S1:.2f} ± {r.S1_conf:.2f}, below zero beyond its interval. "
                "A share of variance cannot be negative: the estimator is unstable at this N (seed noise or "
                "too few base samples); raise design.n or replications before reading S1 for this KPI."
            )
    return out
