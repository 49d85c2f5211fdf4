"""The posterior: the weighted sample of the last ABC generation and its parameter table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc
from pyabc.weighted_statistics import weighted_quantile

from sim.calibration.spec import CalibrationSpec


def posterior_sample(history: pyabc.storage.History) -> pd.DataFrame:
    """Tidy ``generation, particle, <parameters...>, weight`` (weights sum to 1)."""
    params, w = history.get_distribution(m=0, t=history.max_t)
    out = params.reset_index(drop=True)
    out.columns = [str(c) for c in out.columns]
    out.insert(0, "particle", np.arange(len(out)))
    out.insert(0, "generation", int(history.max_t))
    out["weight"] = np.asarray(w, dtype=float) / np.sum(w)
    return out


def parameter_table(sample: pd.DataFrame, spec: CalibrationSpec, level: float) -> pd.DataFrame:
    """Median and central ``level`` credible interval of each parameter, with the prior
    and, for synthetic data, the truth and whether the interval covers it."""
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    w = sample["weight"].to_numpy()
    rows = []
    for p in spec.parameters:
        x = sample[p.name].to_numpy(dtype=float)
        lo, med, hi = (float(weighted_quantile(x, w, alpha=q)) for q in (lo_q, 0.5, hi_q))
        prior = ", ".join(f"{k}={v:g}" for k, v in p.prior.model_dump().items() if isinstance(v, float))
        rows.append(
            {
                "parameter": p.name,
                "field": p.field,
                "median": med,
                "low": lo,
                "high": hi,
                "mean": float(np.average(x, weights=w)),
                "prior": f"{p.prior.dist}({prior})",
                "truth": np.nan if p.truth is None else p.truth,
                "covered": None if p.truth is None else bool(lo <= p.truth <= hi),
            }
        )
    return pd.DataFrame(rows)


def resample(sample: pd.DataFrame, names: list[str], n: int, seed: np.random.SeedSequence) -> pd.DataFrame:
    """``n`` parameter sets drawn from the weighted posterior (with replacement)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(sample), size=n, replace=True, p=sample["weight"].to_numpy())
    return sample.iloc[idx][names].reset_index(drop=True)
