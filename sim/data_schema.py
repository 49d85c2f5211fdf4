"""The parts of a scenario that come from data rather than from a planner: a per-day
schedule replayed inside one run (campaign replay, :mod:`sim.replay`) and posterior draws
carried from a calibration (:mod:`sim.uncertainty`). Validated with the rest of the
scenario (:class:`sim.scenario.Scenario` holds them as ``schedule`` and ``uncertainty``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.inputs import Strict

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class Schedule(Strict):
    """Per-day exogenous inputs replayed inside one run (``sim/replay.py``): entry ``d`` of a
    series is day ``d``'s value; a series shorter than the horizon holds its last value."""

    contacts: dict[str, tuple[Annotated[float, Field(ge=0, allow_inf_nan=False)], ...]] = Field(
        default_factory=dict, description="real contacts a day, per channel (replaces budget pacing)"
    )
    market_shift_pp: tuple[Annotated[float, Field(allow_inf_nan=False)], ...] = Field(
        (), description="move of the customers' alternative rates since day 0, % a year, per day"
    )
    competitor_rate_pp: tuple[float, ...] = Field((), description="a rival's rate shown each day (nan: none)")
    competitor_reach_share: float = Field(1.0, ge=0, le=1, description="share who see the rival's rate")
    to_subscribers: dict[str, tuple[Share, ...]] = Field(
        default_factory=dict,
        description="per channel, share of each day's contacts made to earlier subscribers (holders)",
    )
    to_contacts: dict[str, tuple[Share, ...]] = Field(
        default_factory=dict,
        description="per channel, share of each day's contacts made to earlier contacts who hold nothing",
    )

    @model_validator(mode="after")
    def _shares_fit(self) -> Schedule:
        for name in sorted(set(self.to_subscribers) & set(self.to_contacts)):
            a, b = self.to_subscribers[name], self.to_contacts[name]
            for d in range(max(len(a), len(b))):
                total = a[min(d, len(a) - 1)] + b[min(d, len(b) - 1)] if a and b else 0.0
                if total > 1 + 1e-9:
                    raise ValueError(
                        f"{name}: on day {d} the shares to earlier subscribers ({a[min(d, len(a) - 1)]:g}) "
                        f"and to earlier contacts ({b[min(d, len(b) - 1)]:g}) sum to {total:g}, more than 1"
                    )
        return self

    def targeted_channels(self) -> set[str]:
        """Channels whose contacts the schedule shares out between earlier subscribers,
        earlier contacts and customers never contacted."""
        return set(self.to_subscribers) | set(self.to_contacts)


class Uncertainty(Strict):
    """Posterior draws of calibrated fields (``sim/uncertainty.py``): each run uses one row."""

    calibration: str = Field(description="the calibration the draws come from")
    fields: tuple[str, ...] = Field(min_length=1, description="scenario fields, one per column")
    draws: tuple[tuple[float, ...], ...] = Field(min_length=1, description="rows of posterior draws")
    use: Literal["draws", "medians"] = Field("draws", description="medians: ignore the draws")
    medians: tuple[float, ...] | None = Field(
        None,
        description="each field's value when calibrated: a field that no longer holds it was edited "
        "(--set, a sweep, a lever) and keeps its edit instead of being drawn",
    )

    @model_validator(mode="after")
    def _rows(self) -> Uncertainty:
        if bad := [k for k, row in enumerate(self.draws) if len(row) != len(self.fields)]:
            raise ValueError(f"draws row {bad[0]} has not one value per field ({len(self.fields)})")
        if self.medians is not None and len(self.medians) != len(self.fields):
            raise ValueError(f"medians has {len(self.medians)} values for {len(self.fields)} fields")
        return self
