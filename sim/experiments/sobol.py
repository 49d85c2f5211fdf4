"""Sobol analysis of a finished Sobol sweep: S1/ST (and S2) with bootstrap intervals,
the share of output variance that is seed noise, and convergence against N.

Each design point's output is the mean of its replications (which share seeds with
every other point: common random numbers). SALib's Saltelli/Jansen estimators need the
full block structure of the sample, so a failed or non-finite point is never silently
skipped: ``analysis.failures = "refuse"`` stops with the failed points named, ``"drop"``
removes the whole base samples (blocks of D+2 or 2D+2 points) that contain them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze

from sim.experiments.design import DesignTable
from sim.experiments.spec import Experiment
from sim.experiments.thin import sobol_warnings


class AnalysisError(Exception):
    """The analysis cannot proceed (e.g. failed runs with ``failures = "refuse"``)."""


@dataclass
class SobolResult:
    indices: pd.DataFrame  # kpi, factor, role, S1, S1_conf, ST, ST_conf, base_samples, dropped
    s2: pd.DataFrame  # kpi, factor_a, factor_b, S2, S2_conf
    convergence: pd.DataFrame  # kpi, n, factor, S1, S1_conf, ST, ST_conf
    variance: pd.DataFrame  # kpi, total_var, noise_var, noise_share, noise_share_of_means
    warnings: list[str] = field(default_factory=list)


def factor_names(problem: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(problem.get("groups") or problem["names"]))


def point_outputs(plan: pd.DataFrame, runs: pd.DataFrame, kpi: str) -> tuple[np.ndarray, np.ndarray]:
    """(mean over replications per point, point failed or non-finite), in point order;
    ``runs`` is keyed by run_id (runs.parquet)."""
    merged = plan[["point", "run_id"]].merge(
        runs[["run_id", "status", kpi]], on="run_id", how="left", validate="one_to_one"
    )
    merged["bad"] = (merged["status"] != "ok") | ~np.isfinite(merged[kpi].astype(float))
    by_point = merged.groupby("point", sort=True)
    return by_point[kpi].mean().to_numpy(float), by_point["bad"].any().to_numpy(bool)


def analyse(exp: Experiment, design: DesignTable, plan: pd.DataFrame, runs: pd.DataFrame) -> SobolResult:
    spec, prob = exp.spec, design.problem
    if spec.design.kind != "sobol":
        raise AnalysisError(f"{exp.source}: Sobol analysis needs design.kind = 'sobol'")
    names = factor_names(prob)
    step = (2 * len(names) + 2) if spec.design.second_order else (len(names) + 2)
    n_base = len(design.values) // step
    frames: dict[str, list[pd.DataFrame]] = {"indices": [], "s2": [], "convergence": []}
    notes: list[str] = []
    for kpi in spec.kpis:
        y, bad = point_outputs(plan, runs, kpi)
        keep = ~bad.reshape(n_base, step).any(axis=1)
        if bad.any():
            failed = np.flatnonzero(bad).tolist()
            shown = ", ".join(map(str, failed[:20])) + (" ..." if len(failed) > 20 else "")
            if spec.analysis.failures == "refuse":
                raise AnalysisError(
                    f"{kpi}: {len(failed)} design points failed or gave no finite value (points {shown}); "
                    "fix them, or set analysis.failures = 'drop' to leave out their base samples"
                )
            notes.append(
                f"{kpi}: dropped {int((~keep).sum())} of {n_base} base samples (failed points {shown})"
            )
        y = y.reshape(n_base, step)[keep].ravel()
        kept = int(keep.sum())
        if kept < 2 or np.var(y) == 0:
            notes.append(f"{kpi}: no variation to analyse ({kept} base samples, var {np.var(y):.3g})")
            continue
        r = _analyze(prob, y, spec)
        full = _indices(r, kpi, names)
        full["base_samples"], full["dropped"] = kept, n_base - kept
        full["role"] = [spec.factors[f].role for f in full["factor"]]
        frames["indices"].append(full)
        if spec.design.second_order:
            frames["s2"].append(_s2(r, kpi, names))
        for n in convergence_sizes(kept):
            frames["convergence"].append(
                _indices(_analyze(prob, y[: n * step], spec), kpi, names).assign(n=n)
            )
        notes += rank_warnings(full, spec.analysis.max_conf, kpi)
    indices = _concat(frames["indices"], ["kpi", "factor", "role", "S1", "S1_conf", "ST", "ST_conf"])
    variance = seed_noise(plan, runs, list(spec.kpis))
    return SobolResult(
        indices=indices,
        s2=_concat(frames["s2"], ["kpi", "factor_a", "factor_b", "S2", "S2_conf"]),
        convergence=_concat(frames["convergence"], ["kpi", "n", "factor", "S1", "S1_conf", "ST", "ST_conf"]),
        variance=variance,
        warnings=notes + (sobol_warnings(indices, variance) if len(indices) else []),
    )


def convergence_sizes(n: int) -> list[int]:
    """Powers of two from 8 below ``n``, then ``n`` itself: prefixes of a Sobol sample are
    Sobol samples, so indices at growing N come from the same runs."""
    return [m for m in (2**k for k in range(3, 31)) if m < n] + [n]


def rank_warnings(ix: pd.DataFrame, max_conf: float, kpi: str) -> list[str]:
    out = []
    top = ix.sort_values("ST", ascending=False)
    widest = top["ST_conf"].max()
    if widest > max_conf:
        out.append(
            f"{kpi}: ST intervals up to ±{widest:.2f} (> {max_conf}): increase design.n or replications"
        )
    if len(top) >= 2:
        a, b = top.iloc[0], top.iloc[1]
        if a.ST - a.ST_conf <= b.ST + b.ST_conf:
            out.append(f"{kpi}: cannot rank {a.factor} above {b.factor}: their ST intervals overlap")
    return out


def seed_noise(plan: pd.DataFrame, runs: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """Per KPI: variance across all runs, mean within-point (seed) variance, and its share;
    ``noise_share_of_means`` is the share of the analysed point means' variance that is
    seed noise (within variance / replications over the variance of the means)."""
    merged = plan[["point", "run_id"]].merge(
        runs[["run_id", "status", *kpis]], on="run_id", validate="one_to_one"
    )
    merged = merged[merged["status"] == "ok"]
    rows = []
    for kpi in kpis:
        x = merged[["point", kpi]].replace([np.inf, -np.inf], np.nan).dropna()
        g = x.groupby("point")[kpi]
        reps = g.size()
        noise = float(g.var(ddof=1)[reps >= 2].mean()) if (reps >= 2).any() else np.nan
        total = float(x[kpi].var(ddof=1)) if len(x) > 1 else np.nan
        var_means = float(g.mean().var(ddof=1)) if g.ngroups > 1 else np.nan
        mean_reps = float(reps.mean()) if len(reps) else np.nan
        rows.append(
            {
                "kpi": kpi,
                "runs": len(x),
                "replications": mean_reps,
                "total_var": total,
                "noise_var": noise,
                "noise_share": noise / total if total > 0 else np.nan,
                "noise_share_of_means": noise / mean_reps / var_means if var_means > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _analyze(prob: dict[str, Any], y: np.ndarray, spec: Any) -> dict[str, Any]:
    with warnings.catch_warnings():  # SALib warns on small N; convergence output covers that
        warnings.simplefilter("ignore")
        return sobol_analyze.analyze(
            prob,
            y,
            calc_second_order=spec.design.second_order,
            num_resamples=spec.analysis.resamples,
            conf_level=spec.analysis.conf_level,
            seed=spec.seed,
        )


def _indices(r: dict[str, Any], kpi: str, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": kpi,
            "factor": names,
            **{k: np.asarray(r[k], float) for k in ("S1", "S1_conf", "ST", "ST_conf")},
        }
    )


def _s2(r: dict[str, Any], kpi: str, names: list[str]) -> pd.DataFrame:
    rows = [
        {"kpi": kpi, "factor_a": a, "factor_b": names[j], "S2": r["S2"][i, j], "S2_conf": r["S2_conf"][i, j]}
        for i, a in enumerate(names)
        for j in range(i + 1, len(names))
    ]
    return pd.DataFrame(rows)


def _concat(frames: list[pd.DataFrame], first: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=first)
    df = pd.concat(frames, ignore_index=True)
    return df[first + [c for c in df.columns if c not in first]]
