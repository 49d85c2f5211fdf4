"""Shocks: drawn once per run from the scenario, then read as a daily environment.

A scenario declares shocks with fixed or random timing and size; each kind is one class
of :mod:`sim.shock_kinds` owning its fields, its realisation and its effect.
:func:`realize_shocks` draws them from the run's generator and :func:`environment` turns
them into what is true on a given day, a plain function of (shocks, day).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.scenario import Scenario
from sim.shock_kinds import Environment, RealizedShock, ShockContext

__all__ = ["Environment", "RealizedShock", "environment", "phase_of", "realize_shocks"]


def realize_shocks(sc: Scenario, rng: np.random.Generator) -> list[RealizedShock]:
    """Draw each declared shock's occurrence, timing and size (always the same number of
    draws per shock, so adding a shock never shifts another's randomness)."""
    horizon = sc.horizon + (sc.playbook.max_extension_days if sc.rules else 0)  # rules may extend it
    out: list[RealizedShock] = []
    for s in sc.shocks:
        r = s.realize(rng, horizon)
        if r is not None:
            out.append(dataclasses.replace(r, position=len(out)))
    return out


def phase_of(sc: Scenario, day: int, campaign_days: int | None = None) -> str:
    """The phase of ``day``; after the campaign (``campaign_days``, default the scenario's),
    "observation"."""
    if day >= (sc.calendar.days if campaign_days is None else campaign_days):
        return "observation"
    for p in sc.calendar.phases:
        if p.start <= day <= p.end:
            return p.name
    return "campaign"


def environment(
    sc: Scenario, shocks: list[RealizedShock], day: int, campaign_days: int | None = None
) -> Environment:
    """The day's environment: every active shock applies its kind's effect
    (:meth:`sim.shock_kinds.CompetitorShock.affect` and the others)."""
    env = Environment(
        day=day, phase=phase_of(sc, day, campaign_days), channel_open=dict.fromkeys(sc.channels, True)
    )
    ctx = ShockContext(
        market_rate_pp=sc.market_rate_pp,
        online_channels=tuple(name for name, ch in sc.channels.items() if ch.kind == "online"),
    )
    for s in shocks:
        if s.active(day):
            env.active_kinds.add(s.kind)
            s.spec.affect(s, env, ctx)
    return env
