"""What a pattern measures: per-run KPI values of each arm, and the effect computed from
them with a paired bootstrap 95% interval.

Per-run values come from the run's summary (every summary KPI), from its daily table
(``rush_ratio``, ``sellout_day``, ``t50``, ``adopted_by_day_N``, ``adoption_curve``) or
from the finished model (``rumour_reach``, ``participation_SEGMENT``, via :func:`probe`).
Arms share seeds (replication r of every arm runs from child r of the suite's seed), so
the bootstrap resamples replications, keeping each run's arms together.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.behaviour import bass_adoption, logit_effect_size
from sim.kpis import SUMMARY_KPIS

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.scenario import Scenario

RUSH_DAYS, BEFORE_DAYS = 3, 7
DAILY_KPIS = ("rush_ratio", "sellout_day", "t50", "adoption_curve")
PROBE_KPIS = ("rumour_reach",)
_BY_DAY = re.compile(r"^adopted_by_day_(\d+)$")
_PARTICIPATION = re.compile(r"^participation_([a-z][a-z0-9_]*)$")


def check_kpi(kpi: str) -> str | None:
    """None if ``kpi`` names a measurable quantity, else the problem."""
    if kpi in SUMMARY_KPIS or kpi in DAILY_KPIS or kpi in PROBE_KPIS:
        return None
    if _BY_DAY.match(kpi) or _PARTICIPATION.match(kpi):
        return None
    valid = [*SUMMARY_KPIS, *DAILY_KPIS, *PROBE_KPIS, "adopted_by_day_N", "participation_SEGMENT"]
    return f"unknown KPI {kpi!r} (valid: {', '.join(valid)})"


def kpi_unit(kpi: str) -> str:
    """The :mod:`sim.report.format` unit a KPI's values are shown in."""
    from sim.report.format import unit_of

    if kpi in ("rumour_reach", "adoption_curve") or _BY_DAY.match(kpi) or _PARTICIPATION.match(kpi):
        return "percent"
    if kpi in ("sellout_day", "t50"):
        return "day"
    if kpi == "rush_ratio":
        return "number"
    return unit_of(kpi)


def probe(model: CampaignModel) -> dict[str, float]:
    """State measures of a finished run: share of customers a rumour reached, and each
    segment's participation (share who left 'unaware': reached and engaged at least once)."""
    pop = model.pop
    out = {"rumour_reach": float(model.rumour_reached.mean())}
    for s, name in enumerate(model.segment_names):
        mine = pop.segment == s
        out[f"participation_{name}"] = float((pop.stage[mine] != 0).mean()) if mine.any() else np.nan
    return out


def run_values(kpi: str, sc: Scenario, summary: pd.DataFrame, daily: pd.DataFrame) -> np.ndarray:
    """One value per replication (rows in replication order); a 2-D array for curves."""
    if kpi in summary.columns:
        return summary.sort_values("replication")[kpi].to_numpy(float)
    by_rep = [g for _, g in daily.sort_values(["replication", "day"]).groupby("replication", sort=True)]
    return np.array([_daily_value(kpi, sc, g) for g in by_rep])


def _daily_value(kpi: str, sc: Scenario, g: pd.DataFrame) -> float | np.ndarray:
    new = g["new_conversions"].to_numpy(float)
    real = sc.population.size * sc.population.scale
    days = sc.calendar.days
    if kpi == "rush_ratio":
        # mean daily conversions of the last 3 campaign days over the 7 days before them
        last = new[days - RUSH_DAYS : days].mean()
        before = new[days - RUSH_DAYS - BEFORE_DAYS : days - RUSH_DAYS].mean()
        return last / before if before > 0 else np.nan
    if kpi == "sellout_day":
        left = g["quota_remaining"].to_numpy(float)
        out = np.flatnonzero(left[:days] <= 0)
        return float(out[0]) if out.size else float(days)
    if kpi == "t50":
        cum = np.cumsum(new)
        return float(np.searchsorted(cum, 0.5 * cum[-1])) if cum[-1] > 0 else np.nan
    if kpi == "adoption_curve":
        return np.cumsum(new) / real
    m = _BY_DAY.match(kpi)
    if m:
        return float(new[: int(m[1]) + 1].sum() / real)
    raise KeyError(kpi)


# ---------------------------------------------------------------- effect measures
Stat = Callable[[dict[str, np.ndarray]], float]


@dataclass(frozen=True)
class Measure:
    arms: tuple[str, ...]  # arm names the measure reads; () = any number, in order
    unit: str  # "change" (%), "pp", "d", "kpi" (the KPI's own unit) or a sim.report.format unit
    stat: Stat
    text: str


def _m(a: np.ndarray) -> float:
    return float(np.mean(a, axis=0)) if a.ndim == 1 else np.mean(a, axis=0)


def _rel(c: np.ndarray, t: np.ndarray) -> float:
    base = _m(c)
    return 100.0 * (_m(t) / base - 1.0) if base else np.nan


def _ordering(v: dict[str, np.ndarray]) -> float:
    means = [_m(a) for a in v.values()]
    return min(100.0 * (a / b - 1.0) if b else np.nan for a, b in itertools.pairwise(means))


def _increments(v: dict[str, np.ndarray]) -> float:
    low, mid, high = _m(v["low"]), _m(v["mid"]), _m(v["high"])
    return (high - mid) / (mid - low) if mid != low else np.nan


def _bass(v: dict[str, np.ndarray]) -> float:
    curve = _m(v["control"])
    return float(np.max(np.abs(curve - v["_bass"][0])))


MEASURES: dict[str, Measure] = {
    "relative_change": Measure(
        ("control", "treatment"),
        "change",
        lambda v: _rel(v["control"], v["treatment"]),
        "100 (mean treatment / mean control - 1)",
    ),
    "difference": Measure(
        ("control", "treatment"),
        "kpi",
        lambda v: _m(v["treatment"]) - _m(v["control"]),
        "mean treatment - mean control",
    ),
    "logit_d": Measure(
        ("control", "treatment"),
        "d",
        lambda v: float(logit_effect_size(_m(v["control"]), _m(v["treatment"]))),
        "(logit treatment rate - logit control rate) x sqrt(3)/pi (Chinn 2000)",
    ),
    "level": Measure(("control",), "kpi", lambda v: _m(v["control"]), "mean of the arm"),
    "contrast": Measure(
        ("control", "treatment", "control_b", "treatment_b"),
        "pp",
        lambda v: _rel(v["control"], v["treatment"]) - _rel(v["control_b"], v["treatment_b"]),
        "relative change of the first pair minus that of the second pair, percentage points",
    ),
    "increment_ratio": Measure(
        ("low", "mid", "high"),
        "number",
        _increments,
        "(high - mid) / (mid - low) for equally spaced levels: below 1 = diminishing returns",
    ),
    "ordering": Measure(
        (),
        "change",
        _ordering,
        "smallest relative gap between consecutive arms, listed from highest to lowest expected",
    ),
    "bass_deviation": Measure(
        ("control",),
        "number",
        _bass,
        "max over days of |mean adoption share - Bass F(t)| (closed form, the scenario's p and q)",
    ),
}


def bass_curve(sc: Scenario) -> np.ndarray:
    """F(t) at the daily records (the record of day k is taken after k + 1 steps)."""
    d = sc.diffusion
    return bass_adoption(np.arange(1, sc.horizon + 1), d.innovation, d.imitation)


def effect(
    measure: str, values: dict[str, np.ndarray], resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """(estimate, 2.5%, 97.5%) of the measure; the interval is a percentile bootstrap over
    replications, resampling the same replications in every arm (paired)."""
    stat = MEASURES[measure].stat
    estimate = float(stat(values))
    runs = {k: v for k, v in values.items() if not k.startswith("_")}
    n = min(len(v) for v in runs.values())
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples)
    for b in range(resamples):
        idx = rng.integers(0, n, n)
        draws[b] = stat({k: (v[idx] if k in runs else v) for k, v in values.items()})
    draws = draws[np.isfinite(draws)]
    if draws.size < resamples // 2:
        return estimate, np.nan, np.nan
    low, high = np.percentile(draws, [2.5, 97.5])
    return estimate, float(low), float(high)
