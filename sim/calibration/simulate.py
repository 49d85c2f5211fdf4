"""Model output in the shape of the observations: one value per observed column and period.

Two ways to map a run to periods:

* one run (no ``inputs``): model day ``d`` falls on date ``data.start + d``; the days of
  each observation period are aggregated (sum, mean or last day);
* per-period runs (``inputs`` given): each period is its own campaign run with the
  period's exogenous values written into the scenario, and the whole run aggregates to
  that period; customers forget everything between periods;
* replay (``replay`` given): one run, with the logged series written into the scenario's
  per-day ``[schedule]`` (``sim/calibration/replay.py``), so customers keep their memory
  across periods.

Counts are already scaled to the real customer base by the model
(``population.represents / population.size``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from sim.calibration.replay import schedule
from sim.calibration.spec import DISPERSION, Calibration, Observe
from sim.kpis import PAIRED_DAILY_COLUMNS
from sim.loading import SpecError, apply_overrides, scenario_from_dict
from sim.runner import run_model


@dataclass(frozen=True)
class Simulator:
    cal: Calibration
    observed: pd.DataFrame  # from sim.calibration.data.load_observed
    day_period: np.ndarray = field(init=False)  # period position of each model day, -1 if none

    replayed: dict[str, Any] | None = field(init=False)  # the scenario's schedule in replay

    def __post_init__(self) -> None:
        object.__setattr__(self, "replayed", None)
        if self.cal.spec.per_period:
            object.__setattr__(self, "day_period", np.empty(0, dtype=np.int64))
            return
        object.__setattr__(self, "day_period", _day_positions(self.cal, self.observed["period"]))
        if self.cal.spec.replay:
            object.__setattr__(
                self, "replayed", schedule(self.cal.spec.replay, self.observed, self.day_period)
            )

    @property
    def paired(self) -> bool:
        """Run the campaign-off arm only when an observed column maps to a baseline output."""
        return any(o.output in PAIRED_DAILY_COLUMNS for o in self.cal.spec.observe)

    @property
    def columns(self) -> list[str]:
        return [o.column for o in self.cal.spec.observe]

    def scenario_dict(self, values: dict[str, float]) -> dict[str, Any]:
        data = apply_overrides(self.cal.base, self.cal.edits(values))
        if self.replayed is not None:
            data["schedule"] = self.replayed
        return data

    def describe(self) -> str:
        """What one simulation is, for ``calibrate --check``."""
        sc, n = self.cal.scenario, len(self.observed)
        who = f"{sc.population.size:,} simulated customers for {sc.population.scale:.4g} real ones each"
        if self.cal.spec.per_period:
            return f"{n} runs of {sc.horizon} model days (one per period; inputs per period), {who}"
        used = int((self.day_period >= 0).sum())
        replay = ", logged series replayed day by day" if self.replayed is not None else ""
        return f"one run of {sc.horizon} model days ({used} of them in observed periods{replay}), {who}"

    def simulate(
        self,
        values: dict[str, float],
        seed: np.random.SeedSequence,
        only: np.ndarray | None = None,
        noisy: bool = True,
    ) -> np.ndarray:
        """Array (observed column, period) for parameter ``values`` (by parameter name).
        Per-period runs skip periods outside the boolean mask ``only`` (left NaN); each
        period keeps its own seed, so the mask never changes the others' numbers. With
        ``noisy=False`` the simulated market itself, before the observation noise (what a
        likelihood compares with the data)."""
        noise = self.cal.spec.observation.noise
        if noise != "none":
            values = dict(values)
            dispersion = values.pop(DISPERSION)
        clean = self._simulate(values, seed, only)
        if noise == "none" or not noisy:
            return clean
        rng = np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, NOISE)))
        return observe_with_noise(clean, noise, dispersion, rng)

    def _simulate(
        self, values: dict[str, float], seed: np.random.SeedSequence, only: np.ndarray | None
    ) -> np.ndarray:
        data = self.scenario_dict(values)
        if not self.cal.spec.per_period:
            daily = run_model(self._validated(data, values), seed, baseline=self.paired).daily
            return np.stack([self._by_period(daily, o) for o in self.cal.spec.observe])
        out = np.full((len(self.cal.spec.observe), len(self.observed)), np.nan)
        inputs = self.cal.spec.inputs
        table = self.observed[[i.column for i in inputs]].to_numpy(dtype=float)
        for k, period in enumerate(self.observed["period"]):
            if only is not None and not only[k]:
                continue
            sets = [
                f"{i.field}={float(x * i.scale + i.offset)!r}" for i, x in zip(inputs, table[k], strict=True)
            ]
            sc = self._validated(apply_overrides(data, sets), values, str(period))
            child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, k))
            daily = run_model(sc, child, baseline=self.paired).daily
            for j, o in enumerate(self.cal.spec.observe):
                out[j, k] = _aggregate(daily[o.output].to_numpy(dtype=float), o.aggregate)
        return out

    def frame(self, sims: np.ndarray) -> pd.DataFrame:
        """Tidy ``period, column, simulated`` from one :meth:`simulate` array."""
        n = len(self.observed)
        return pd.DataFrame(
            {
                "period": np.tile(self.observed["period"].to_numpy(), len(self.columns)),
                "column": np.repeat(self.columns, n),
                "simulated": sims.reshape(-1),
            }
        )

    def _validated(self, data: dict[str, Any], values: dict[str, float], where: str = "") -> Any:
        try:
            return scenario_from_dict(data, str(self.cal.scenario_path))
        except SpecError as exc:
            shown = ", ".join(f"{k}={float(v):.4g}" for k, v in values.items())
            at = f" in period {where}" if where else ""
            raise SpecError(
                self.cal.source,
                [
                    f"parameters {shown}{at} give a scenario the schema rejects; the priors reach "
                    "values the field does not accept (bound the prior inside the field's range):",
                    *exc.problems,
                ],
            ) from None

    def _by_period(self, daily: pd.DataFrame, o: Observe) -> np.ndarray:
        x, how = daily[o.output].to_numpy(dtype=float), o.aggregate
        lag = min(o.lag_days, x.size)
        pos = np.concatenate([np.full(lag, -1), self.day_period[: x.size - lag]])
        n = len(self.observed)
        ok = pos >= 0
        if how == "last":
            out = np.zeros(n)
            out[pos[ok]] = x[ok]  # later days overwrite earlier ones
            return out
        total = np.bincount(pos[ok], weights=x[ok], minlength=n)
        return total if how == "sum" else total / np.bincount(pos[ok], minlength=n)


NOISE = 2**31 - 1  # spawn-key element of the observation noise's stream (periods use 0, 1, ...)


def observe_with_noise(
    mean: np.ndarray, noise: str, dispersion: float, rng: np.random.Generator
) -> np.ndarray:
    """Observed values around the simulated ``mean`` (NaN stays NaN).

    ``negbin``: NB(mean, variance = mean + dispersion * mean^2), drawn as a gamma-Poisson
    mixture (Hilbe 2011, Negative Binomial Regression, ch. 5); ``lognormal``:
    ``mean * exp(dispersion * Z - dispersion^2 / 2)`` (mean preserved)."""
    ok = np.isfinite(mean)
    m = np.where(ok, np.maximum(mean, 0.0), 0.0)
    if noise == "negbin":
        shape = 1.0 / dispersion
        out = rng.poisson(rng.gamma(shape, m / shape)).astype(float)
    else:
        out = m * np.exp(dispersion * rng.standard_normal(m.shape) - dispersion**2 / 2)
    return np.where(ok, out, np.nan)


MEAN_FLOOR = 1e-6  # a simulated zero against a recorded count: very unlikely, not impossible


def log_likelihood(observed: np.ndarray, mean: np.ndarray, noise: str, dispersion: float) -> float:
    """log p(observed | simulated mean) under the observation model, summed over periods
    (the likelihood the ``likelihood`` acceptance tempers; Wilkinson 2013).

    ``negbin`` (mean mu, r = 1 / dispersion; Hilbe 2011, eq. 5.11):
    ``lgamma(y + r) - lgamma(r) - lgamma(y + 1) + r log(r / (r + mu)) + y log(mu / (r + mu))``,
    read for any y >= 0 (a scaled count need not be whole). ``lognormal`` (sigma =
    dispersion, the mean-preserving error of :func:`observe_with_noise`): log y is normal
    with mean ``log mu - sigma^2 / 2`` and sd sigma, so
    ``-log y - log(sigma sqrt(2 pi)) - (log y - log mu + sigma^2 / 2)^2 / (2 sigma^2)``.
    Means below ``MEAN_FLOOR`` count as that floor, so one empty simulated period costs
    much but not everything."""
    y = np.asarray(observed, dtype=float)
    mu = np.maximum(np.asarray(mean, dtype=float), MEAN_FLOOR)
    if noise == "negbin":
        r = 1.0 / dispersion
        terms = (
            gammaln(y + r) - gammaln(r) - gammaln(y + 1)
            + r * (np.log(r) - np.log(r + mu)) + y * (np.log(mu) - np.log(r + mu))
        )  # fmt: skip
    else:
        s = dispersion
        z = (np.log(y) - np.log(mu) + s**2 / 2) / s
        terms = -np.log(y) - np.log(s * np.sqrt(2 * np.pi)) - z**2 / 2
    return float(terms.sum())


def _aggregate(x: np.ndarray, how: str) -> float:
    if x.size == 0:
        return 0.0
    return float(x.sum() if how == "sum" else x.mean() if how == "mean" else x[-1])


def _ordinals(periods: pd.Series) -> np.ndarray:
    """Periods counted from the first one (0, 1, 2, ... with gaps where periods are missing)."""
    first = periods.iloc[0]
    if isinstance(first, int | np.integer):
        return periods.to_numpy(dtype=np.int64) - int(first)
    return np.array([(p - first).n for p in periods], dtype=np.int64)


def _day_positions(cal: Calibration, periods: pd.Series) -> np.ndarray:
    """Position in ``periods`` of each model day; every period must get at least one day."""
    horizon = cal.scenario.horizon
    per = cal.spec.data.days_per_period
    if per is not None:
        index = pd.Index(_ordinals(periods))
        pos = index.get_indexer(np.arange(horizon) // per)
        need = (int(index.max()) + 1) * per
        uncovered = sorted(set(range(len(periods))) - set(pos[pos >= 0].tolist()))
        if uncovered or horizon < need:
            raise SpecError(
                cal.source,
                [
                    f"data.days_per_period: {len(periods)} periods of {per} model days need "
                    f"calendar.days + observation_days >= {need} (the scenario has {horizon}); "
                    f'add set = ["calendar.days={need}", "calendar.observation_days=0"]'
                ],
            )
        return pos.astype(np.int64)
    first = periods.iloc[0]
    day0 = pd.Timestamp(cal.spec.data.start) if cal.spec.data.start else first.start_time
    dates = pd.date_range(day0, periods=horizon, freq="D")
    day_periods = pd.PeriodIndex(dates, freq=first.freq)
    index = pd.Index(periods)
    pos = index.get_indexer(day_periods)
    uncovered = sorted(set(range(len(periods))) - set(pos[pos >= 0].tolist()))
    if uncovered:
        shown = ", ".join(str(periods.iloc[k]) for k in uncovered[:3])
        raise SpecError(
            cal.source,
            [
                f"data.start: model days {day0.date()} .. {dates[-1].date()} (calendar.days + "
                f"observation_days = {horizon}) do not cover {len(uncovered)} observed period(s): {shown}"
            ],
        )
    return pos.astype(np.int64)
