"""Posterior-predictive bands against the observed series, and holdout coverage.

Each draw is a parameter set resampled from the posterior and run with its own seed, so
the bands carry both parameter uncertainty and the model's own randomness. Held-out
periods were not used in the fit: their coverage is an honest forecast check.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from sim.calibration.posterior import resample
from sim.calibration.simulate import Simulator
from sim.lifeline import lifeline, watch_parent

PREDICTIVE = 2  # spawn-key stream of predictive draws (see sim.calibration.abcsmc)


def _simulate_many(simulator: Simulator, items: list[tuple[int, dict, np.random.SeedSequence]]) -> list:
    watch_parent()  # a worker whose driving process died exits (sim.lifeline)
    return [(k, simulator.simulate(values, ss)) for k, values, ss in items]


def predictive_draws(
    simulator: Simulator,
    sample: pd.DataFrame,
    draws: int,
    seed: int,
    jobs: int = 1,
    backend: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Tidy ``draw, period, column, simulated`` for ``draws`` posterior draws."""
    names = [p.name for p in simulator.cal.spec.fitted]
    params = resample(sample, names, draws, np.random.SeedSequence(seed, spawn_key=(PREDICTIVE, 0)))
    items = [
        (
            k,
            dict(zip(names, map(float, row), strict=True)),
            np.random.SeedSequence(seed, spawn_key=(PREDICTIVE, 1, k)),
        )
        for k, row in enumerate(params.itertuples(index=False))
    ]
    size = max(1, len(items) // (4 * max(jobs, 1)))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    results: dict[int, np.ndarray] = {}
    with lifeline(backend):  # workers exit if this process dies
        parallel = Parallel(n_jobs=jobs, backend=backend, return_as="generator_unordered")
        for part in parallel(delayed(_simulate_many)(simulator, c) for c in chunks):
            results.update(part)
            if on_done is not None:
                on_done(len(part))
    frames = [simulator.frame(results[k]).assign(draw=k) for k in sorted(results)]
    out = pd.concat(frames, ignore_index=True)
    for name in names:
        out[name] = np.repeat(params[name].to_numpy(), len(frames[0]))
    return out[["draw", "period", "column", "simulated", *names]]


def bands(draws: pd.DataFrame, observed: pd.DataFrame, level: float) -> pd.DataFrame:
    """Per period and column: observed value, predictive median and central ``level``
    band, whether the observation lies inside, and whether the period was held out."""
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    g = draws.groupby(["column", "period"], sort=False)["simulated"]
    b = pd.DataFrame({"low": g.quantile(lo_q), "median": g.median(), "high": g.quantile(hi_q)}).reset_index()
    obs = observed.melt(
        id_vars=["period", "holdout"],
        value_vars=list(b["column"].unique()),
        var_name="column",
        value_name="observed",
    )
    out = obs.merge(b, on=["column", "period"], how="left", validate="one_to_one")
    out["inside"] = (out["observed"] >= out["low"]) & (out["observed"] <= out["high"])
    return out[["column", "period", "holdout", "observed", "low", "median", "high", "inside"]]


def coverage(bands_df: pd.DataFrame, level: float) -> pd.DataFrame:
    """Share of observations inside the band, fitted and held-out periods apart, with the
    median absolute error of the predictive median relative to the observation."""
    df = bands_df.assign(
        part=np.where(bands_df["holdout"], "holdout", "fit"),
        rel_error=(bands_df["median"] - bands_df["observed"]).abs()
        / bands_df["observed"].abs().clip(lower=1e-12),
    )
    out = (
        df.groupby(["column", "part"], sort=True)
        .agg(
            periods=("inside", "size"), coverage=("inside", "mean"), median_rel_error=("rel_error", "median")
        )
        .reset_index()
    )
    out.insert(2, "level", level)
    return out
