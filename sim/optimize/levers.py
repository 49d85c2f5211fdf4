"""The search space: levers as optuna distributions, and optuna parameters back to the
factor values a scenario edit takes.

A scalar lever is a float (or, on an integer field, an int) between ``low`` and ``high``
on its ``step`` grid, or one of its ``levels``. A channel-mix lever is one weight
``u_c`` in [0, 1] per channel, mapped to a point of the bounded simplex

    S = {s : sum_c s_c = m, lower_c <= s_c <= upper_c},

where ``m`` is the budget share the mix's channels hold together: every channel gets its
lower bound, and the rest, ``m - sum(lower)``, is split in proportion to
``u_c (upper_c - lower_c)``; a channel pushed past its upper bound is capped and its excess
split among the others (water filling). Every candidate therefore respects the
per-channel bounds and sums to ``m``, and uniform weights give interior mixes (a
Euclidean projection would put most of them on faces, with channels at zero).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from sim.experiments.edits import expand
from sim.loading import value_at
from sim.optimize.spec import Optimization


def fill_simplex(u: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    """Shares ``s`` with ``lower <= s <= upper`` and ``sum(s) = total`` from weights ``u`` in
    [0, 1] (requires ``sum(lower) <= total <= sum(upper)``): the money above the lower
    bounds is split in proportion to ``u_c (upper_c - lower_c)``, and any channel pushed
    past its upper bound is capped there, its excess split among the rest (water filling)."""
    u, lower, upper = (np.asarray(a, dtype=float) for a in (u, lower, upper))
    cap = upper - lower
    w = u * cap
    if not w.sum() > 0:
        w = cap.copy()
    s = lower.copy()
    free = total - lower.sum()
    active = cap > 0
    for _ in range(len(u) + 1):
        if free <= 1e-15 or not active.any():
            break
        ww = np.where(active, w, 0.0)
        if not ww.sum() > 0:
            ww = np.where(active, cap - (s - lower), 0.0)
        add = free * (ww / ww.sum())  # normalise first: free * 5e-324 underflows to 0
        room = upper - s
        over = active & (add >= room)
        if not over.any():
            s = s + add
            break
        s[over] = upper[over]
        free = total - s.sum()
        active &= ~over
    return s


def mix_bounds(opt: Optimization) -> tuple[list[str], np.ndarray, np.ndarray, float]:
    _, lv = opt.mix  # type: ignore[misc]
    channels = list(lv.channels)
    lower = np.array([lv.lower.get(c, 0.0) for c in channels])
    upper = np.array([lv.upper.get(c, 1.0) for c in channels])
    return channels, lower, upper, opt.free_share()


def distributions(opt: Optimization) -> dict[str, BaseDistribution]:
    """Optuna parameter name -> distribution (a mix has one ``<lever>.<channel>`` per channel)."""
    out: dict[str, BaseDistribution] = {}
    for name, lv in opt.spec.levers.items():
        if lv.is_mix:
            out.update({f"{name}.{c}": FloatDistribution(0.0, 1.0) for c in lv.channels})
        elif lv.levels:
            out[name] = CategoricalDistribution(list(lv.levels))
        elif opt.is_int(name):
            out[name] = IntDistribution(round(lv.low), round(lv.high), step=round(lv.step or 1))
        else:
            out[name] = FloatDistribution(lv.low, lv.high, step=lv.step)
    return out


def values_of(opt: Optimization, params: dict[str, Any]) -> dict[str, Any]:
    """Factor values (what :func:`sim.experiments.edits.edited` writes) of optuna parameters."""
    values: dict[str, Any] = {}
    for name, lv in opt.spec.levers.items():
        if lv.is_mix:
            channels, lower, upper, m = mix_bounds(opt)
            u = np.array([float(params[f"{name}.{c}"]) for c in channels])
            s = fill_simplex(u, lower, upper, m)
            values[name] = {c: float(v) for c, v in zip(channels, s, strict=True)}
        else:
            values[name] = params[name]
    return values


def base_values(opt: Optimization) -> dict[str, Any]:
    """The factor values that leave the base scenario as it is (the shipped plan)."""
    values: dict[str, Any] = {}
    for name, lv in opt.spec.levers.items():
        if lv.is_mix:
            channels = opt.base["channels"]
            values[name] = {c: float(channels[c].get("budget_share", 0.0)) for c in lv.channels}
        elif lv.op == "scale":
            values[name] = 1.0
        elif lv.op == "shift":
            values[name] = 0.0
        else:
            values[name] = value_at(opt.base, expand(opt.base, lv.paths[0])[0])
    return values


def base_params(opt: Optimization) -> dict[str, Any] | None:
    """Optuna parameters of the base plan, or None when it lies outside the search space
    (off a lever's bounds, grid or levels, or a mix outside its share bounds)."""
    params: dict[str, Any] = {}
    base = base_values(opt)
    dists = distributions(opt)
    for name, lv in opt.spec.levers.items():
        if lv.is_mix:
            channels, lower, upper, _ = mix_bounds(opt)
            s = np.array([base[name][c] for c in channels])
            if np.any(s < lower - 1e-9) or np.any(s > upper + 1e-9):
                return None
            if np.any((s >= upper - 1e-12) & (upper > lower)):
                return None  # a channel at its cap: the proportional split cannot say so exactly
            width = np.where(upper > lower, upper - lower, 1.0)
            u = (s - lower) / width
            u = u / u.max() if u.max() > 0 else u
            params.update({f"{name}.{c}": float(v) for c, v in zip(channels, u, strict=True)})
            continue
        v = base[name]
        dist = dists[name]
        if isinstance(dist, CategoricalDistribution):
            if v not in dist.choices:
                return None
            params[name] = v
            continue
        if v is None or isinstance(v, dict) or not dist.low <= float(v) <= dist.high:
            return None
        step = dist.step
        if (
            step is not None
            and abs((float(v) - dist.low) / step - round((float(v) - dist.low) / step)) > 1e-9
        ):
            return None
        params[name] = int(v) if isinstance(dist, IntDistribution) else float(v)
    return params
