"""Probabilities estimated from replications, with their uncertainty.

A probability such as P(ROI < 0) estimated from ``n`` replications is a binomial share
``k / n``; with few replications it is rough, and a planner must see how rough. Intervals:

* Wilson score interval (Wilson 1927; Brown, Cai & DasGupta 2001, Stat. Sci. 16:101):
  ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = k/n`` and ``z`` the
  normal quantile of the confidence level. It stays inside [0, 1] and is sensible at
  ``k = 0``, unlike the Wald interval.
* ``prob_at_most``: the posterior probability that the true share is at most ``limit``,
  under a Jeffreys prior Beta(1/2, 1/2): ``P(p <= limit | k, n) = I_limit(k + 1/2, n - k + 1/2)``
  (the regularised incomplete beta function) -- how sure a chance constraint is met.

Intervals are at the reports' 90% level unless stated. An estimate is *thin* when its
interval is wider than a stated width (default 0.20, i.e. about +-10 percentage points):
more replications are needed before reading it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from sim.targets import wilson_interval

#: A probability's interval wider than this (upper - lower) gets a "thin statistics" warning.
THIN_WIDTH = 0.20


def wilson(k: float, n: int, conf: float = 0.90) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials (``k`` may be fractional,
    e.g. P(best) credit shared by ties); (nan, nan) when n = 0. See
    :func:`sim.targets.wilson_interval`."""
    return wilson_interval(min(max(k, 0.0), n), n, conf)


def prob_at_most(k: float, n: int, limit: float) -> float:
    """Posterior P(true share <= ``limit``) after ``k`` of ``n``, Jeffreys prior."""
    if n <= 0:
        return math.nan
    return float(special.betainc(k + 0.5, n - k + 0.5, min(max(limit, 0.0), 1.0)))


def share(events: np.ndarray, conf: float = 0.90) -> dict[str, float]:
    """``p``, ``lower``, ``upper`` and ``n`` of a boolean array (non-finite rows already dropped)."""
    events = np.asarray(events, dtype=bool)
    n, k = int(events.size), int(events.sum())
    lo, hi = wilson(k, n, conf)
    return {"p": k / n if n else math.nan, "lower": lo, "upper": hi, "n": n}


def is_thin(lower: float, upper: float, width: float = THIN_WIDTH) -> bool:
    """True when the interval is wider than ``width`` (or undefined)."""
    return not (upper - lower <= width)


def replications_for(width: float = THIN_WIDTH, p: float = 0.5, conf: float = 0.90) -> int:
    """Replications needed for a Wilson interval at most ``width`` wide around ``p``
    (smallest n, by search; p = 0.5 is the worst case)."""
    n = 1
    while True:
        lo, hi = wilson(p * n, n, conf)
        if hi - lo <= width:
            return n
        n = n + 1 if n < 64 else int(n * 1.1)


def thin_note(what: str, lower: float, upper: float, n: int, width: float = THIN_WIDTH) -> str:
    """A readable warning for a thin probability estimate."""
    need = replications_for(width)
    return (
        f"{what}: 90% interval {lower * 100:.0f}% to {upper * 100:.0f}% from {n} runs is wider than "
        f"{width * 100:.0f} points; about {need:,} runs per estimate are needed for that width"
    )
