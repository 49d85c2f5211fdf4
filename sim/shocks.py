"""Shocks: drawn once per run from the scenario, then read as a daily environment.

A scenario declares shocks with fixed or random timing and size; :func:`realize_shocks`
draws them from the run's generator and :func:`environment` turns them into what is
true on a given day, a plain function of (shocks, day).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.distributions import draw_one
from sim.scenario import Scenario, Shock


@dataclass(frozen=True)
class RealizedShock:
    kind: str
    start: int
    end: int  # inclusive
    rate_pp: float = 0.0
    reach: float = 0.0
    pull: float = 0.0
    inflation_pp: float = 0.0
    market_drop: float = 0.0
    channel: str | None = None
    claim: str | None = None
    abandon: float = 0.0
    trust_drop: float = 0.0
    spread: float = 0.0
    seeds: int = 0

    def active(self, day: int) -> bool:
        return self.start <= day <= self.end


@dataclass
class Environment:
    """What holds on one day."""

    day: int
    phase: str
    channel_open: dict[str, bool]
    competitor_rate: float | None = None  # pp a year, offered by a rival today
    competitor_reach: float = 0.0
    competitor_pull: float = 0.0
    market_shift_pp: float = 0.0  # move of prevailing rates since day 0
    inflation_pp: float = 0.0
    market_drop: float = 0.0
    app_down: bool = False
    outage_abandon: float = 0.0
    banned_claims: set[str] = field(default_factory=set)
    rumours: list[RealizedShock] = field(default_factory=list)
    planned_contacts: dict[str, float] = field(default_factory=dict)  # replayed real contacts (sim/replay.py)


def realize_shocks(sc: Scenario, rng: np.random.Generator) -> list[RealizedShock]:
    """Draw each declared shock's occurrence, timing and size (always the same number of
    draws per shock, so adding a shock never shifts another's randomness)."""
    out = []
    horizon = sc.horizon
    for s in sc.shocks:
        happens = rng.random() < s.probability
        start = round(draw_one(s.start, rng))
        duration = max(1, round(draw_one(s.duration, rng)))
        sizes = {k: draw_one(getattr(s, k), rng) for k in _RANDOM_SIZES}
        if not happens:
            continue
        end = horizon - 1 if s.kind == "regulatory" else start + duration - 1
        out.append(_realized(s, max(0, start), end, sizes))
    return out


_RANDOM_SIZES = ("rate_pp", "pull", "inflation_pp", "market_drop", "trust_drop")


def _realized(s: Shock, start: int, end: int, sizes: dict[str, float]) -> RealizedShock:
    return RealizedShock(
        kind=s.kind,
        start=start,
        end=end,
        rate_pp=sizes["rate_pp"],
        reach=s.reach,
        pull=min(max(sizes["pull"], 0.0), 1.0),
        inflation_pp=sizes["inflation_pp"],
        market_drop=min(max(sizes["market_drop"], 0.0), 1.0),
        channel=s.channel,
        claim=s.claim,
        abandon=s.abandon,
        trust_drop=min(max(sizes["trust_drop"], 0.0), 1.0),
        spread=s.spread,
        seeds=s.seeds,
    )


def phase_of(sc: Scenario, day: int) -> str:
    if day >= sc.calendar.days:
        return "observation"
    for p in sc.calendar.phases:
        if p.start <= day <= p.end:
            return p.name
    return "campaign"


def environment(sc: Scenario, shocks: list[RealizedShock], day: int) -> Environment:
    """The day's environment. Macro moves persist for their duration; a competitor offer
    shows its rate to ``reach`` of customers; outages close a channel (``app`` closes
    every online channel); regulatory bans close a channel or a claim to the end."""
    env = Environment(day=day, phase=phase_of(sc, day), channel_open=dict.fromkeys(sc.channels, True))
    for s in shocks:
        if not s.active(day):
            continue
        if s.kind == "competitor":
            rate = sc.market_rate_pp + s.rate_pp
            env.competitor_rate = max(env.competitor_rate or -np.inf, rate)
            env.competitor_reach = max(env.competitor_reach, s.reach)
            env.competitor_pull = 1 - (1 - env.competitor_pull) * (1 - s.pull)
        elif s.kind == "macro":
            env.market_shift_pp += s.rate_pp
            env.inflation_pp += s.inflation_pp
            env.market_drop = 1 - (1 - env.market_drop) * (1 - s.market_drop)
        elif s.kind == "outage":
            env.outage_abandon = max(env.outage_abandon, s.abandon)
            if s.channel == "app":
                env.app_down = True
                for name, ch in sc.channels.items():
                    if ch.kind == "online":
                        env.channel_open[name] = False
            elif s.channel is not None:
                env.channel_open[s.channel] = False
        elif s.kind == "regulatory":
            if s.channel in env.channel_open:
                env.channel_open[s.channel] = False
            if s.claim:
                env.banned_claims.add(s.claim)
        elif s.kind == "rumour":
            env.rumours.append(s)
    return env
