"""Shock kinds: one schema class per kind, owning its fields, its realisation (what is
drawn once per run) and its effect on the day's environment.

``Shock`` is a discriminated union on ``kind`` (as the distribution tables are): a scenario
declares ``[[shocks]]`` with ``kind = "competitor" | "macro" | "outage" | "rumour" |
"regulatory"`` and only that kind's fields. Adding a kind means one class here (fields,
:meth:`sizes`, :meth:`affect`) plus the stage of the day that reads its effect from
:class:`Environment`.

Realisation draws, per shock and in declaration order, whether it happens, its start, its
duration and then its random sizes in a fixed order (``rate_pp``, ``pull``,
``inflation_pp``, ``market_drop``, ``trust_drop``, those of the kind that are
distributions); fixed numbers draw nothing, so adding a shock never shifts another's draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.distributions import Value, draw_one
from sim.inputs import StrictTagged, _check_kind, support


@dataclass(frozen=True)
class RealizedShock:
    """A shock as it happens in one run: its kind's declaration and the drawn timing and sizes."""

    spec: ShockKind
    start: int
    end: int  # inclusive
    sizes: dict[str, float] = field(default_factory=dict)
    position: int = 0  # among the shocks that happen in this run (salts their draws)

    @property
    def kind(self) -> str:
        return self.spec.kind

    def active(self, day: int) -> bool:
        return self.start <= day <= self.end

    def __getattr__(self, name: str) -> Any:
        """A drawn size (``rate_pp``, ``pull``, ...) or a declared field (``reach``, ...)."""
        sizes = self.__dict__.get("sizes", {})
        if name in sizes:
            return sizes[name]
        spec = self.__dict__.get("spec")
        if spec is not None and name in type(spec).model_fields:
            return getattr(spec, name)
        raise AttributeError(name)


@dataclass
class Environment:
    """What holds on one day: everything the journey reads about the world outside."""

    day: int
    phase: str
    channel_open: dict[str, bool]
    competitor_rate: float | None = None  # pp a year, offered by a rival today
    competitor_reach: float = 0.0
    competitor_pull: float = 0.0
    competitor_launches: list[tuple[int, float]] = field(default_factory=list)  # (position, reach) today
    market_shift_pp: float = 0.0  # move of prevailing rates since day 0
    inflation_pp: float = 0.0
    market_drop: float = 0.0
    app_down: bool = False
    outage_abandon: float = 0.0
    banned_claims: set[str] = field(default_factory=set)
    rumours: list[RealizedShock] = field(default_factory=list)
    active_kinds: set[str] = field(default_factory=set)
    planned_contacts: dict[str, float] = field(default_factory=dict)  # replayed real contacts (sim/replay.py)
    # replayed shares of a channel's contacts to (earlier subscribers, earlier contacts) (sim/replay.py)
    targeting: dict[str, tuple[float, float]] = field(default_factory=dict)


class _Kind(StrictTagged):
    start: Value = Field(description="first day")
    duration: Value = Field(
        365,
        description="days; required for competitor, macro and outage shocks; "
        "rumours last a year unless given, regulatory shocks to the end",
    )
    probability: float = Field(1.0, ge=0, le=1, description="chance the shock happens")

    #: Fields drawn once per run, in this order (a subset of the kind's fields).
    SIZES: ClassVar[tuple[str, ...]] = ()
    #: Whether the shock lasts to the end of the run whatever its duration.
    TO_THE_END: ClassVar[bool] = False

    @field_validator(
        "start", "duration", "probability", "rate_pp", "reach", "pull", "inflation_pp", "market_drop",
        "channel", "claim", "abandon", "trust_drop", "spread", "seeds", mode="before", check_fields=False,
    )  # fmt: skip
    @classmethod
    def _no_coercion_of_shock_fields(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_kind(cls, value, info)  # every field but the tag (sim.inputs.StrictTagged)

    @model_validator(mode="after")
    def _timing(self) -> _Kind:
        kind = getattr(self, "kind", "")
        if kind in ("competitor", "macro", "outage") and "duration" not in self.model_fields_set:
            raise ValueError(f"a {kind} shock needs a duration (days it lasts)")
        if support(self.start)[0] < 0:
            raise ValueError("start can be before day 0; days count from 0")
        if kind != "regulatory" and support(self.duration)[0] < 1:
            raise ValueError("duration can be below 1 day; give a duration (or low bound) of at least 1")
        return self

    def realize(self, rng: np.random.Generator, horizon: int) -> RealizedShock | None:
        """Draw occurrence, timing and sizes (always the same draws, happening or not)."""
        happens = rng.random() < self.probability
        start = round(draw_one(self.start, rng))
        duration = max(1, round(draw_one(self.duration, rng)))
        sizes = {k: self.bound(k, draw_one(getattr(self, k), rng)) for k in self.SIZES}
        if not happens:
            return None
        end = horizon - 1 if self.TO_THE_END else start + duration - 1
        return RealizedShock(self, max(0, start), end, sizes)  # type: ignore[arg-type]

    def bound(self, name: str, value: float) -> float:
        """A drawn size kept in its valid range (shares and probabilities in 0..1)."""
        return value

    def affect(self, s: RealizedShock, env: Environment, ctx: ShockContext) -> None:
        """Apply this active shock to the day's environment (in place)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ShockContext:
    """What a shock's effect needs to know about the scenario."""

    market_rate_pp: float
    online_channels: tuple[str, ...]


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


class CompetitorShock(_Kind):
    """A rival's offer: its rate (market rate + ``rate_pp``) is seen by ``reach`` of
    customers when it starts; it pulls considering customers away at ``pull`` a day."""

    kind: Literal["competitor"]
    rate_pp: Value = Field(0.0, description="competitor rate above the market, pp")
    reach: float = Field(0.5, ge=0, le=1, description="share of customers who see it")
    pull: Value = Field(0.0, description="daily P(considering leaves for competitor)")
    SIZES: ClassVar[tuple[str, ...]] = ("rate_pp", "pull")

    def bound(self, name: str, value: float) -> float:
        return _unit(value) if name == "pull" else value

    def affect(self, s: RealizedShock, env: Environment, ctx: ShockContext) -> None:
        rate = ctx.market_rate_pp + s.sizes["rate_pp"]
        env.competitor_rate = max(env.competitor_rate or -np.inf, rate)
        env.competitor_reach = max(env.competitor_reach, self.reach)
        env.competitor_pull = 1 - (1 - env.competitor_pull) * (1 - s.sizes["pull"])
        if s.start == env.day:
            env.competitor_launches.append((s.position, self.reach))


class MacroShock(_Kind):
    """A macro move: prevailing rates by ``rate_pp``, inflation by ``inflation_pp`` and a
    fall of ``market_drop`` in risky-asset prices, for its duration."""

    kind: Literal["macro"]
    rate_pp: Value = Field(0.0, description="move of prevailing rates, pp")
    inflation_pp: Value = 0.0
    market_drop: Value = Field(0.0, description="fall in risky asset prices, 0..1")
    SIZES: ClassVar[tuple[str, ...]] = ("rate_pp", "inflation_pp", "market_drop")

    def bound(self, name: str, value: float) -> float:
        return _unit(value) if name == "market_drop" else value

    def affect(self, s: RealizedShock, env: Environment, ctx: ShockContext) -> None:
        env.market_shift_pp += s.sizes["rate_pp"]
        env.inflation_pp += s.sizes["inflation_pp"]
        env.market_drop = 1 - (1 - env.market_drop) * (1 - s.sizes["market_drop"])


class OutageShock(_Kind):
    """A channel (or, with ``channel = "app"``, every online channel and app purchases)
    is down; blocked journeys are dropped at ``abandon``."""

    kind: Literal["outage"]
    channel: str = Field(description="channel name, or 'app' for every online channel")
    abandon: float = Field(0.3, ge=0, le=1, description="outage: P(journey dropped)")

    def affect(self, s: RealizedShock, env: Environment, ctx: ShockContext) -> None:
        env.outage_abandon = max(env.outage_abandon, self.abandon)
        if self.channel == "app":
            env.app_down = True
            for name in ctx.online_channels:
                env.channel_open[name] = False
        else:
            env.channel_open[self.channel] = False


class RumourShock(_Kind):
    """A rumour starting at ``seeds`` customers, each teller telling about ``spread`` others
    (:func:`sim.graphops.spread`); each customer it reaches loses ``trust_drop`` of trust once."""

    kind: Literal["rumour"]
    trust_drop: Value = Field(0.2, description="rumour: trust lost when reached")
    spread: float = Field(1.0, ge=0, le=100, description="rumour: people each teller tells")
    seeds: int = Field(10, ge=0, description="rumour: customers reached on day one")
    SIZES: ClassVar[tuple[str, ...]] = ("trust_drop",)

    def bound(self, name: str, value: float) -> float:
        return _unit(value)

    def affect(self, s: RealizedShock, env: Environment, ctx: ShockContext) -> None:
        env.rumours.append(s)


class RegulatoryShock(_Kind):
    """A ban, from ``start`` to the end of the run, on a channel or a claim (or both)."""

    kind: Literal["regulatory"]
    channel: str | None = None
    claim: str | None = None
    TO_THE_END: ClassVar[bool] = True

    @model_validator(mode="after")
    def _needs(self) -> RegulatoryShock:
        if not (self.channel or self.claim):
            raise ValueError("a regulatory shock needs a channel or a claim to forbid")
        return self

    def affect(self, s: RealizedShock, env: Environment, ctx: ShockContext) -> None:
        if self.channel in env.channel_open:
            env.channel_open[self.channel] = False
        if self.claim:
            env.banned_claims.add(self.claim)


ShockKind = CompetitorShock | MacroShock | OutageShock | RumourShock | RegulatoryShock
Shock = Annotated[ShockKind, Field(discriminator="kind")]
SHOCK_KINDS = ("competitor", "macro", "outage", "rumour", "regulatory")
