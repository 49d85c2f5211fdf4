"""Logged series turned into the scenario's per-day ``[schedule]`` (campaign replay).

Model day ``d`` belongs to observed period ``day_period[d]`` (-1: none). A count target
(``contacts.<channel>``) spreads the period's total evenly over the period's model days and
is 0 on days outside every observed period (no log, no contacts). A level target
(``market_shift_pp``, ``competitor_rate_pp``, the targeting shares ``to_subscribers.<channel>``
and ``to_contacts.<channel>``) holds the period's value on each of its days, and the last
known value on days without data (the first value before the first).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.spec import Replay


def daily_series(values: np.ndarray, day_period: np.ndarray, count: bool) -> np.ndarray:
    """One value per model day from one value per observed period (see module docstring)."""
    days = np.bincount(day_period[day_period >= 0], minlength=values.size)
    ok = day_period >= 0
    out = np.full(day_period.size, np.nan)
    if count:
        out[:] = 0.0
        out[ok] = values[day_period[ok]] / days[day_period[ok]]
        return out
    out[ok] = values[day_period[ok]]
    filled = pd.Series(out).ffill().bfill()
    return filled.to_numpy()


def schedule(replay: tuple[Replay, ...], observed: pd.DataFrame, day_period: np.ndarray) -> dict[str, Any]:
    """The scenario's ``schedule`` table for the logged series ``replay``."""
    out: dict[str, Any] = {"contacts": {}}
    for r in replay:
        values = observed[r.column].to_numpy(dtype=float) * r.scale + r.offset
        kind, _, channel = r.target.partition(".")
        series = [float(round(x, 6)) for x in daily_series(values, day_period, kind == "contacts")]
        if channel:  # per channel: contacts, to_subscribers, to_contacts
            out.setdefault(kind, {})[channel] = series
        else:
            out[r.target] = series
    return out
