"""The experiment file schema: a base scenario, factors, a design, replications, KPIs.

An experiment TOML is validated like a scenario (``sim.loading.load_spec``), so errors
read ``file: field.path: message`` and the CLI exits with code 2. ``load_experiment``
also resolves the base scenario and checks every factor path against it, so a typo
fails before any run starts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from sim.kpis import SUMMARY_KPIS
from sim.loading import (
    SpecError,
    apply_overrides,
    load_spec,
    parse_override,
    resolve_bases,
    scenario_from_dict,
)
from sim.scenario import Scenario, Strict

Level = bool | int | float | str | dict[str, float]


class EditsFields:
    """What an experiment factor and an optimisation lever share: the scenario field(s) a
    plain one edits, or the channels a channel-mix one moves."""

    if TYPE_CHECKING:  # declared by the schema classes; here only for type checkers
        path: str | tuple[str, ...]
        channels: tuple[str, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path,) if isinstance(self.path, str) else self.path

    @property
    def is_mix(self) -> bool:
        return bool(self.channels)


class Factor(EditsFields, Strict):
    """One input varied by the design.

    A plain factor edits the scenario field(s) in ``path`` (``*`` matches every list item
    or table key, e.g. ``segments.*.loss_aversion``) with ``op``: ``set`` writes the value
    (replacing a distribution table by a number), ``scale`` multiplies and ``shift`` adds
    (applied to a distribution's location and spread). A channel-mix factor names
    ``channels`` instead: it samples one raw weight per channel in [low, high] and writes
    budget shares proportional to them (see :mod:`sim.experiments.edits`).
    """

    role: Literal["lever", "uncertainty"]
    description: str = ""
    path: str | tuple[str, ...] = ()
    op: Literal["set", "scale", "shift"] = "set"
    low: float | None = None
    high: float | None = None
    levels: tuple[Level, ...] = ()
    steps: int = Field(3, ge=2, le=100, description="grid levels between low and high")
    channels: tuple[str, ...] = ()
    relative: bool = Field(False, description="channel mix: raw weights times base shares")

    @model_validator(mode="after")
    def _shape(self) -> Factor:
        has_bounds = self.low is not None and self.high is not None
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if has_bounds and not self.high > self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        if self.channels:
            if self.paths:
                raise ValueError("a channel-mix factor takes channels, not path")
            if len(set(self.channels)) < 2:
                raise ValueError("a channel mix needs at least two different channels")
            if has_bounds and self.low < 0:
                raise ValueError("channel-mix raw weights must be >= 0")
            if self.levels and not all(isinstance(v, dict) for v in self.levels):
                raise ValueError(
                    "channel-mix levels are tables of raw weights, e.g. {branch = 2, wechat = 1}"
                )
            return self
        if not self.paths:
            raise ValueError("give path (a scenario field such as 'budget.total') or channels")
        if not has_bounds and not self.levels:
            raise ValueError("give low and high, or levels")
        if len(kinds := {_level_kind(v) for v in self.levels}) > 1:
            raise ValueError(f"levels mix kinds ({', '.join(sorted(kinds))}); give levels of one kind")
        if self.op != "set" and not all(_is_number(v) for v in self.levels):
            raise ValueError(f"op = '{self.op}' needs numeric levels")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        if self.low is not None and self.high is not None:
            return self.low, self.high
        return (0.0, 1.0) if self.is_mix else (float("nan"), float("nan"))


class Design(Strict):
    kind: Literal["grid", "lhs", "sobol"]
    n: int | None = Field(
        None, ge=1, le=2**20, description="lhs: samples; sobol: base samples N (power of 2)"
    )
    second_order: bool = Field(False, description="sobol: also estimate S2 (N*(2D+2) points)")

    @model_validator(mode="after")
    def _n(self) -> Design:
        if self.kind in ("lhs", "sobol") and self.n is None:
            raise ValueError(f"design.n is required for a {self.kind} design")
        if self.kind == "sobol" and self.n is not None and self.n & (self.n - 1):
            raise ValueError(f"design.n must be a power of two for a Sobol design, got {self.n}")
        if self.second_order and self.kind != "sobol":
            raise ValueError("second_order applies to Sobol designs only")
        return self


class Analysis(Strict):
    resamples: int = Field(200, ge=10, le=10_000, description="bootstrap resamples")
    conf_level: float = Field(0.95, gt=0.5, lt=1)
    failures: Literal["refuse", "drop"] = Field(
        "refuse", description="failed points: refuse to analyse, or drop their base samples"
    )
    max_conf: float = Field(0.1, gt=0, description="warn when an ST interval half-width exceeds this")


class ExperimentSpec(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    scenario: str = Field(description="base scenario file, relative to the experiment file")
    overrides: tuple[str, ...] = Field((), description="--set style edits of the base scenario")
    seed: int = Field(0, ge=0)
    replications: int = Field(1, ge=1, le=10_000)
    kpis: tuple[str, ...] = ("net_value", "roi", "conversions", "cost_per_acquisition")
    design: Design
    factors: dict[str, Factor] = Field(min_length=1)
    analysis: Analysis = Analysis()

    @model_validator(mode="after")
    def _check(self) -> ExperimentSpec:
        errors = [f"kpis: unknown KPI {k!r}" for k in self.kpis if k not in SUMMARY_KPIS]
        for name, f in self.factors.items():
            if self.design.kind == "grid" and f.is_mix and not f.levels:
                errors.append(f"factors.{name}: a grid design needs levels for a channel mix")
            if "." in name:
                errors.append(f"factors.{name}: factor names may not contain '.'")
        if errors:
            raise ValueError("; ".join(errors))
        return self


#: Top-level keys that ``--set`` routes to the experiment; everything else edits the scenario.
EXPERIMENT_KEYS = frozenset(ExperimentSpec.model_fields)


@dataclass(frozen=True)
class Experiment:
    """A validated experiment with its resolved base scenario as a raw dict."""

    spec: ExperimentSpec
    source: str
    scenario_file: str
    base: dict[str, Any]

    @property
    def base_hash(self) -> str:
        text = json.dumps(self.base, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def split_overrides(overrides: Iterable[str]) -> tuple[list[str], list[str]]:
    """(experiment overrides, scenario overrides) by the first key of each ``KEY=VALUE``;
    a misspelt key goes to the side with the nearest valid key, whose error then names it."""
    exp, scen = [], []
    for text in overrides:
        key = parse_override(text)[0][0]
        if key not in EXPERIMENT_KEYS and key not in Scenario.model_fields:
            near = difflib.get_close_matches(key, [*EXPERIMENT_KEYS, *Scenario.model_fields], n=1, cutoff=0)
            key = near[0] if near else key
        (exp if key in EXPERIMENT_KEYS else scen).append(text)
    return exp, scen


def load_experiment(path: str | Path, overrides: Iterable[str] = ()) -> Experiment:
    from sim.experiments.edits import check_factors  # edits imports this module

    exp_over, scen_over = split_overrides(overrides)
    spec = load_spec(ExperimentSpec, path, exp_over)
    scenario_file = Path(path).parent / spec.scenario
    base = apply_overrides(resolve_bases(scenario_file), [*spec.overrides, *scen_over])
    scenario_from_dict(base, str(scenario_file))  # the base itself must be valid
    problems = check_factors(spec, base)
    if problems:
        raise SpecError(str(path), problems)
    return Experiment(spec, str(path), str(scenario_file), base)


def _level_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int | float):
        return "number"
    return "text" if isinstance(v, str) else "table"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
