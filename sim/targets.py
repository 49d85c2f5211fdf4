"""Targets: a planner's goals on summary KPIs, and the probability a campaign hits each.

A scenario may declare goals in ``[targets]``, one entry per summary KPI (the stable column
names of ``summary.csv``), with a lower bound, an upper bound or both::

    [targets]
    conversions = { at_least = 20000 }
    incremental_new_money = { at_least = 2e8 }
    complaints_per_10k = { at_most = 0.5 }

A replication *hits* a target when its KPI lies within the bounds (inclusive). A missing value
(NaN, e.g. cost per incremental conversion when nothing was incremental) is a miss: the
campaign did not demonstrably deliver it.

P(hit) is the share of the ``n`` replications that hit, ``k / n``. Its interval is the Wilson
(1927) score interval at the report's 90% level,

    centre = (p + z^2 / 2n) / (1 + z^2 / n)
    half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2),   z = Phi^-1((1 + level) / 2),

which stays inside [0, 1] and is informative at 0 or n hits, where the plain normal interval
collapses (Brown, Cai and DasGupta 2001 recommend it for small n). The interval says how well
``n`` replications pin down P(hit); P(hit) itself is the planner's chance of meeting the goal
given the scenario's uncertainty.

Everything here is pure (arrays and frames in, numbers and frames out) so that the run report,
the CLI summary and the compare / optimise commands score options the same way. A target may be
any object with ``at_least`` / ``at_most`` attributes (the schema's :class:`sim.scenario.Target`)
or a mapping with those keys.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

LEVEL = 0.9  # the report's interval level (5th-95th percentiles elsewhere)

#: Columns of :func:`evaluate`.
TARGET_COLUMNS = ("kpi", "target", "at_least", "at_most", "hits", "replications", "p_hit", "p_low", "p_high")


def target_kpis() -> tuple[str, ...]:
    """Names a target may refer to: every summary KPI and limit column of a run."""
    from sim.kpis import SUMMARY_KPIS  # lazily: the schema calls this while sim.kpis loads it
    from sim.limits import LIMIT_SUMMARY

    return (*SUMMARY_KPIS, *LIMIT_SUMMARY)


def unknown_target_problems(names: Iterable[str]) -> list[str]:
    """One message per target naming no KPI, with the nearest valid name suggested."""
    valid = target_kpis()
    problems = []
    for name in names:
        if name in valid:
            continue
        near = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]!r}?" if near else f" (valid: {', '.join(valid)})"
        problems.append(f"targets.{name}: unknown KPI{hint}")
    return problems


def bounds(target: Any) -> tuple[float | None, float | None]:
    """``(at_least, at_most)`` of a schema target or a mapping."""
    if isinstance(target, Mapping):
        return target.get("at_least"), target.get("at_most")
    return getattr(target, "at_least", None), getattr(target, "at_most", None)


def hits(values: np.ndarray | pd.Series | Iterable[float], target: Any) -> np.ndarray:
    """Per replication, whether the KPI meets the target (NaN never does)."""
    x = np.asarray(values, dtype=float)
    lo, hi = bounds(target)
    ok = ~np.isnan(x)  # NaN is missing; +-inf are values
    if lo is not None:
        ok &= x >= lo
    if hi is not None:
        ok &= x <= hi
    return ok


def wilson_interval(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n`` (NaNs when ``n`` is 0)."""
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    z = NormalDist().inv_cdf((1 + level) / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # exact at the edges (rounding would otherwise leave 1e-17 outside [0, 1] or miss p)
    lo = 0.0 if k == 0 else max(0.0, min(centre - half, p))
    hi = 1.0 if k == n else min(1.0, max(centre + half, p))
    return lo, hi


@dataclass(frozen=True)
class TargetResult:
    """P(hit) of one target over ``replications`` runs, with its Wilson interval."""

    hits: int
    replications: int
    p_hit: float
    p_low: float
    p_high: float


def p_hit(
    values: np.ndarray | pd.Series | Iterable[float], target: Any, level: float = LEVEL
) -> TargetResult:
    """P(hit) of ``target`` from one KPI's values across replications."""
    ok = hits(values, target)
    k, n = int(ok.sum()), int(ok.size)
    lo, hi = wilson_interval(k, n, level)
    return TargetResult(k, n, k / n if n else math.nan, lo, hi)


def describe(kpi: str, target: Any, currency: str = "") -> str:
    """The target as a planner reads it: "conversions ≥ 20,000", "ROI between 0.0% and 25.0%"."""
    from sim.report import format as fmt

    lo, hi = bounds(target)
    label = kpi.replace("_", " ")
    if lo is not None and hi is not None:
        return f"{label} between {fmt.kpi(kpi, lo, currency)} and {fmt.kpi(kpi, hi, currency)}"
    if lo is not None:
        return f"{label} ≥ {fmt.kpi(kpi, lo, currency)}"
    return f"{label} ≤ {fmt.kpi(kpi, hi, currency)}"


def evaluate(
    summary: pd.DataFrame, targets: Mapping[str, Any], currency: str = "", level: float = LEVEL
) -> pd.DataFrame:
    """One row per target: its bounds, hits, replications, P(hit) and the interval
    (columns :data:`TARGET_COLUMNS`; empty frame without targets)."""
    rows = []
    for kpi, target in targets.items():
        lo, hi = bounds(target)
        r = p_hit(summary[kpi] if kpi in summary else np.full(len(summary), np.nan), target, level)
        rows.append(
            {
                "kpi": kpi,
                "target": describe(kpi, target, currency),
                "at_least": np.nan if lo is None else float(lo),
                "at_most": np.nan if hi is None else float(hi),
                "hits": r.hits,
                "replications": r.replications,
                "p_hit": r.p_hit,
                "p_low": r.p_low,
                "p_high": r.p_high,
            }
        )
    import pandas as pd  # here: `campaign-sim validate` checks target names without pandas

    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))


def hit_columns(summary: Mapping[str, float], targets: Mapping[str, Any]) -> dict[str, float]:
    """For one replication's summary row: ``hit_<kpi>`` = 1.0 when it meets the target, else 0.0."""
    return {f"hit_{kpi}": float(hits([summary.get(kpi, math.nan)], t)[0]) for kpi, t in targets.items()}


_TARGET_ARG = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*(\S+)\s*$")


def parse_target_args(args: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """Command-line targets ``KPI>=X`` / ``KPI<=X`` (``_`` allowed in numbers, e.g. 24_000_000)
    as ``{kpi: Target}``, two bounds on one KPI merged; and one message per bad argument
    (malformed, not a finite number, unknown KPI with the nearest name)."""
    from sim.scenario import Target

    bounds_of: dict[str, dict[str, float]] = {}
    problems: list[str] = []
    for arg in args:
        m = _TARGET_ARG.match(arg)
        if not m:
            problems.append(f"--target {arg!r}: expected KPI>=NUMBER or KPI<=NUMBER")
            continue
        kpi, op, text = m.groups()
        try:
            value = float(text.replace("_", ""))
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.append(f"--target {arg!r}: {text!r} is not a finite number")
            continue
        bounds_of.setdefault(kpi, {})["at_least" if op == ">=" else "at_most"] = value
    problems += [f"--target: {p.removeprefix('targets.')}" for p in unknown_target_problems(bounds_of)]
    out: dict[str, Any] = {}
    for kpi, b in bounds_of.items():
        try:
            out[kpi] = Target(**b)
        except ValueError as exc:
            problems.append(f"--target {kpi}: {exc.errors()[0]['msg'] if hasattr(exc, 'errors') else exc}")
    return out, problems
