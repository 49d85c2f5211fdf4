"""Calibration figures, each a function from tidy frames (or the ABC history) to a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
import pyabc.visualization as abcplot

from sim.calibration.posterior import LOG_PRIORS
from sim.calibration.spec import CalibrationSpec
from sim.report.plots import save_png, subplots


def _label(p) -> str:
    return f"log10 {p.name}" if p.prior.dist in LOG_PRIORS else p.name


def _limits(spec: CalibrationSpec, sample: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Prior bounds where the prior has them, else the sample's range padded by 10%."""
    out = {}
    for p in spec.fitted:
        name = _label(p)
        if p.prior.low is not None:
            lo, hi = p.prior.low, p.prior.high
            out[name] = (np.log10(lo), np.log10(hi)) if p.prior.dist in LOG_PRIORS else (lo, hi)
        else:
            lo, hi = sample[name].min(), sample[name].max()
            pad = 0.1 * (hi - lo or abs(hi) or 1.0)
            out[name] = (lo - pad, hi + pad)
    return out


def _plotted(sample: pd.DataFrame, spec: CalibrationSpec) -> pd.DataFrame:
    """The sample on the axes of the pairs plot: log10 for log-uniform and log-normal
    priors (where their mass is spread evenly), as drawn otherwise."""
    return pd.DataFrame(
        {
            _label(p): np.log10(sample[p.name]) if p.prior.dist in LOG_PRIORS else sample[p.name]
            for p in spec.fitted
        }
    )


def pairs(sample: pd.DataFrame, spec: CalibrationSpec, path: Path) -> Path:
    """Pairwise posterior: weighted KDEs (pyabc), the truth marked when it is known; log
    priors on log10 axes (labelled ``log10 name``)."""
    names = [_label(p) for p in spec.fitted]
    truth = {
        _label(p): np.log10(p.truth) if p.prior.dist in LOG_PRIORS else p.truth
        for p in spec.fitted
        if p.truth is not None
    }
    sample = pd.concat([_plotted(sample, spec), sample["weight"]], axis=1)
    if len(names) == 1:
        fig, ax = subplots(figsize=(5, 3.5))
        abcplot.plot_kde_1d(
            sample[names], sample["weight"].to_numpy(), x=names[0], ax=ax, refval=truth or None
        )
        return save_png(fig, path)
    arr = abcplot.plot_kde_matrix(
        sample[names],
        sample["weight"].to_numpy(),
        limits=_limits(spec, sample),
        refval=truth or None,
        height=2.2,
        numx=40,
        numy=40,
    )
    fig = np.asarray(arr).flat[0].figure
    return save_png(fig, path)


def epsilons(history: pyabc.storage.History, path: Path) -> Path:
    ax = abcplot.plot_epsilons(history, size=(5, 3.5))
    return save_png(ax.figure, path)


def predictive(bands: pd.DataFrame, level: float, path: Path, unit: str = "period") -> Path:
    """Observed series (fitted periods black, held-out red) against the posterior-
    predictive median and central band; the x axis is labelled with the data's own
    periods (``2009-05``, ``2009Q2``, ``1995`` or period numbers), one slot each."""
    columns = list(bands["column"].unique())
    fig, axes = subplots(len(columns), 1, figsize=(9, 3.4 * len(columns)), squeeze=False)
    for ax, col in zip(axes[:, 0], columns, strict=True):
        b = bands[bands["column"] == col].sort_values("period").reset_index(drop=True)
        x = pd.Series(np.arange(len(b)), dtype=float)
        labels = b["period"].astype(str).to_list()
        step = max(1, -(-len(labels) // 16))
        ax.set_xticks(x[::step], labels[::step])
        ax.fill_between(x, b["low"], b["high"], color="C0", alpha=0.25, step="mid", label=f"{level:.0%} band")
        ax.plot(x, b["median"], "C0-", drawstyle="steps-mid", label="predictive median")
        fit, hold = ~b["holdout"], b["holdout"]
        ax.plot(x[fit], b["observed"][fit], "ko", ms=4, label="observed (fitted)")
        if hold.any():
            ax.plot(x[hold], b["observed"][hold], "o", color="C3", ms=4, label="observed (held out)")
            ax.axvline(x[hold].iloc[0], color="C3", ls=":", lw=1)
        ax.set_ylabel(col)
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel(unit)
    fig.autofmt_xdate()
    return save_png(fig, path)


def all_plots(
    history: pyabc.storage.History,
    sample: pd.DataFrame,
    bands: pd.DataFrame,
    spec: CalibrationSpec,
    folder: Path,
) -> dict[str, Path]:
    return {
        "posterior_pairs": pairs(sample, spec, folder / "posterior_pairs.png"),
        "predictive": predictive(bands, spec.predictive.level, folder / "predictive.png", spec.data.label),
        "epsilons": epsilons(history, folder / "epsilons.png"),
    }
