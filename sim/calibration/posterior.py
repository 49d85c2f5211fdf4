"""The posterior: the weighted sample of the last ABC generation, its parameter table and
the identifiability report.

Identifiability: a parameter the data say nothing about comes back with a posterior as
wide as its prior. ``width_ratio`` is the width of the central credible interval over the
prior's at the same level (on the log scale for log-uniform and log-normal priors); at
0.9 or more the parameter is flagged ``weak``. Posterior correlations (weighted Pearson,
log scale for log priors) show ridges: two parameters the data trade against each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.weighted_statistics import weighted_quantile

from sim.calibration.spec import CalibrationSpec, Prior

WEAK = 0.9  # width ratio at or above which a parameter counts as not identified
RIDGE = 0.7  # |correlation| at or above which two parameters form a ridge
LOG_PRIORS = ("loguniform", "lognormal")


def prior_dist(prior: Prior) -> Any:
    """The prior as a frozen scipy.stats distribution (the same ones pyabc samples)."""
    from scipy import stats

    return {
        "uniform": lambda: stats.uniform(prior.low, prior.high - prior.low),
        "loguniform": lambda: stats.loguniform(prior.low, prior.high),
        "normal": lambda: stats.norm(prior.mean, prior.sd),
        "lognormal": lambda: stats.lognorm(prior.sigma, 0.0, prior.median),
    }[prior.dist]()


def prior_quantiles(prior: Prior, qs: tuple[float, ...]) -> tuple[float, ...]:
    """Quantiles of a prior."""
    dist = prior_dist(prior)
    return tuple(float(dist.ppf(q)) for q in qs)


def width_ratio(prior: Prior, low: float, high: float, level: float) -> float:
    """Posterior interval width over the prior's central ``level`` interval width, on the
    log scale for log priors (equation in the module docstring)."""
    p_lo, p_hi = prior_quantiles(prior, ((1 - level) / 2, (1 + level) / 2))
    if prior.dist in LOG_PRIORS:
        low, high, p_lo, p_hi = (np.log(max(v, 1e-300)) for v in (low, high, p_lo, p_hi))
    return float((high - low) / (p_hi - p_lo))


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
    for p in spec.fitted:
        x = sample[p.name].to_numpy(dtype=float)
        lo, med, hi = (float(weighted_quantile(x, w, alpha=q)) for q in (lo_q, 0.5, hi_q))
        prior = ", ".join(f"{k}={v:g}" for k, v in p.prior.model_dump().items() if isinstance(v, float))
        ratio = width_ratio(p.prior, lo, hi, level)
        rows.append(
            {
                "parameter": p.name,
                "field": p.field,
                "median": med,
                "low": lo,
                "high": hi,
                "mean": float(np.average(x, weights=w)),
                "prior": f"{p.prior.dist}({prior})",
                "width_ratio": ratio,
                "weak": ratio >= WEAK,
                "truth": np.nan if p.truth is None else p.truth,
                "covered": None if p.truth is None else bool(lo <= p.truth <= hi),
            }
        )
    return pd.DataFrame(rows)


def correlations(sample: pd.DataFrame, spec: CalibrationSpec) -> pd.DataFrame:
    """Tidy ``a, b, correlation, ridge`` for each pair of parameters (weighted Pearson
    correlation of the posterior, log scale for log priors)."""
    w = sample["weight"].to_numpy()
    cols = {
        p.name: np.log(sample[p.name].to_numpy(dtype=float))
        if p.prior.dist in LOG_PRIORS
        else sample[p.name].to_numpy(dtype=float)
        for p in spec.fitted
    }
    names = list(cols)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            cov = np.cov(cols[a], cols[b], aweights=w)
            denom = np.sqrt(cov[0, 0] * cov[1, 1])
            r = float(cov[0, 1] / denom) if denom > 0 else 0.0
            rows.append({"a": a, "b": b, "correlation": r, "ridge": abs(r) >= RIDGE})
    return pd.DataFrame(rows, columns=["a", "b", "correlation", "ridge"])


FEW_PARTICLES = 0.25  # effective share of the particles below which the posterior is flagged


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of importance weights: the
    number of equally weighted particles carrying the same information (Kish 1965;
    n for equal weights, 1 when one particle holds all the weight)."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.square(w).sum())


def distinct_particles(sample: pd.DataFrame) -> int:
    """Distinct parameter sets in a sample laid out as :func:`posterior_sample`: after
    resample-move, particles a move never left are copies, and equal weights alone would
    hide it."""
    return len(sample.drop(columns=["generation", "particle", "weight"], errors="ignore").drop_duplicates())


MAX_RIDGES = 5  # strongest ridges spelled out; the rest are counted


def identifiability_lines(
    table: pd.DataFrame, corr: pd.DataFrame, sample: pd.DataFrame | None = None
) -> list[str]:
    """Plain-language warnings: a posterior resting on few particles (``sample``'s
    weights, or copies of a few), weakly identified parameters and ridges."""
    out = []
    if sample is not None:
        ess, n = effective_sample_size(sample["weight"]), len(sample)
        distinct = distinct_particles(sample)
        if ess < FEW_PARTICLES * n:
            out.append(
                f"the posterior rests on {ess:.1f} effective particles of {n} (a few carry most of the "
                "weight): its intervals are too narrow and its correlations unreliable; raise "
                "inference.population_size, or under likelihood acceptance set inference.moves"
            )
        elif distinct < FEW_PARTICLES * n:
            out.append(
                f"the posterior's {n} particles sit on {distinct} distinct points (the moves left most "
                "where resampling put them): its intervals are too narrow and its correlations "
                "unreliable; raise inference.moves"
            )
    out += [
        f"{r.parameter}: posterior {r.width_ratio:.0%} as wide as its prior: the data barely inform it"
        for r in table.itertuples(index=False)
        if r.weak
    ]
    ridges = corr[corr["ridge"]].sort_values("correlation", key=abs, ascending=False, kind="stable")
    out += [
        f"{r.a} x {r.b}: posterior correlation {r.correlation:+.2f}: the data trade one against the "
        "other (a ridge); read them together, not one by one"
        for r in ridges.head(MAX_RIDGES).itertuples(index=False)
    ]
    if len(ridges) > MAX_RIDGES:
        # a posterior on a few particles makes nearly every pair look like a ridge
        out.append(f"{len(ridges) - MAX_RIDGES} more ridges, weaker: correlations.csv")
    return out


def resample(sample: pd.DataFrame, names: list[str], n: int, seed: np.random.SeedSequence) -> pd.DataFrame:
    """``n`` parameter sets drawn from the weighted posterior (with replacement)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(sample), size=n, replace=True, p=sample["weight"].to_numpy())
    return sample.iloc[idx][names].reset_index(drop=True)
