"""The optimisation spec: a base scenario, levers, an objective, chance constraints.

Validated like scenarios and experiments (``sim.loading``): every problem is reported at
once as ``file: field.path: message`` and the CLI exits with code 2. ``load_optimization``
also resolves the base scenario, checks every lever path against it and the schema, and
checks channel-mix bounds against the budget share the mix can move.

Levers become experiment factors (:mod:`sim.experiments.edits`), so a lever can edit any
field a sweep can: ``budget.total``, ``offer.bonus_bp``, ``calendar.days``, ``offer.quota``,
``referral.inviter_reward``, a rule threshold, with ``op = "set" | "scale" | "shift"``. A
channel-mix lever names ``channels`` with per-channel ``lower`` / ``upper`` budget shares.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.experiments.edits import check_factors, expand, field_at, is_int_field
from sim.experiments.spec import Design, EditsFields, Experiment, ExperimentSpec, Factor
from sim.kpis import SUMMARY_KPIS
from sim.loading import SpecError, apply_overrides, load_spec, resolve_bases, scenario_from_dict
from sim.scenario import Strict

Level = bool | int | float | str


class Lever(EditsFields, Strict):
    """One decision: a scenario field within bounds (``low``, ``high``, optional ``step``),
    one of ``levels``, or a channel mix (``channels`` with ``lower`` / ``upper`` shares)."""

    description: str = ""
    path: str | tuple[str, ...] = ()
    op: Literal["set", "scale", "shift"] = "set"
    low: float | None = None
    high: float | None = None
    step: float | None = Field(None, gt=0, description="grid spacing between low and high")
    levels: tuple[Level, ...] = ()
    channels: tuple[str, ...] = ()
    lower: dict[str, float] = Field(default_factory=dict, description="mix: least budget share per channel")
    upper: dict[str, float] = Field(default_factory=dict, description="mix: largest budget share per channel")

    @model_validator(mode="after")
    def _shape(self) -> Lever:
        problems = []
        if self.channels:
            if self.path:
                problems.append("a channel-mix lever takes channels, not path")
            if len(set(self.channels)) < 2:
                problems.append("a channel mix needs at least two different channels")
            for side, shares in (("lower", self.lower), ("upper", self.upper)):
                problems += [f"{side}.{c}: not one of channels" for c in shares if c not in self.channels]
                problems += [
                    f"{side}.{c}: a share in [0, 1], got {v}" for c, v in shares.items() if not 0 <= v <= 1
                ]
            problems += [
                f"lower.{c} ({v}) is above upper.{c}"
                for c, v in self.lower.items()
                if v > self.upper.get(c, 1.0)
            ]
        elif not self.path:
            problems.append("give path (a scenario field such as 'budget.total') or channels")
        elif self.levels:
            if self.low is not None or self.high is not None:
                problems.append("give levels or low/high, not both")
        elif self.low is None or self.high is None:
            problems.append("give low and high, or levels")
        elif not self.high > self.low:
            problems.append(f"high ({self.high}) must be greater than low ({self.low})")
        elif self.step is not None:
            k = (self.high - self.low) / self.step
            if abs(k - round(k)) > 1e-6:
                problems.append(f"step ({self.step}) must divide high - low ({self.high - self.low})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _known_kpi(name: str) -> str:
    if name not in SUMMARY_KPIS:
        near = difflib.get_close_matches(name, SUMMARY_KPIS, n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"unknown KPI {name!r}{hint}")
    return name


class Objective(Strict):
    """A statistic of a KPI across a candidate's replications: ``median`` or ``mean``, or the
    probability that the KPI is below / above ``threshold`` (``p_below``, ``p_above``)."""

    kpi: str
    statistic: Literal["median", "mean", "p_below", "p_above"] = "median"
    threshold: float = 0.0
    direction: Literal["maximize", "minimize"] = "maximize"

    _kpi = field_validator("kpi")(_known_kpi)

    @property
    def label(self) -> str:
        k = self.kpi.replace("_", " ")
        if self.statistic == "p_below":
            return f"P({k} < {_num(self.threshold)})"
        if self.statistic == "p_above":
            return f"P({k} > {_num(self.threshold)})"
        return f"{self.statistic} {k}"


class Constraint(Strict):
    """A chance constraint ``P(kpi < below) <= max_probability`` (or ``kpi > above``), or a
    bound on a statistic: ``median`` / ``mean`` of the KPI ``at_most`` / ``at_least`` a value."""

    kpi: str
    below: float | None = None
    above: float | None = None
    max_probability: float | None = Field(None, ge=0, le=1)
    statistic: Literal["median", "mean"] | None = None
    at_most: float | None = None
    at_least: float | None = None

    _kpi = field_validator("kpi")(_known_kpi)

    @model_validator(mode="after")
    def _shape(self) -> Constraint:
        chance = self.max_probability is not None
        if chance and (self.below is None) == (self.above is None):
            raise ValueError("a chance constraint needs exactly one of below or above")
        if chance and (self.statistic or self.at_most is not None or self.at_least is not None):
            raise ValueError("give max_probability with below/above, or statistic with at_most/at_least")
        if not chance and (self.statistic is None or (self.at_most is None) == (self.at_least is None)):
            raise ValueError(
                "give max_probability with below or above (a chance constraint), or statistic with "
                "exactly one of at_most / at_least"
            )
        return self

    @property
    def is_chance(self) -> bool:
        return self.max_probability is not None

    @property
    def label(self) -> str:
        k = self.kpi.replace("_", " ")
        if self.is_chance:
            event = f"{k} < {_num(self.below)}" if self.below is not None else f"{k} > {_num(self.above)}"
            return f"P({event}) <= {self.max_probability:.0%}"
        from sim.report import format as fmt

        bound = (
            f"<= {fmt.kpi(self.kpi, self.at_most)}"
            if self.at_most is not None
            else f">= {fmt.kpi(self.kpi, self.at_least)}"
        )
        return f"{self.statistic} {k} {bound}"


def _num(v: float | None) -> str:
    """A threshold without scientific notation or trailing zeros: 0.5, 0, 24,000,000."""
    return f"{v:,.10f}".rstrip("0").rstrip(".")


class Search(Strict):
    trials: int = Field(40, ge=1, le=100_000, description="candidates evaluated by the search")
    batch: int = Field(4, ge=1, le=1000, description="candidates evaluated in parallel per round")
    sampler: Literal["tpe", "random"] = "tpe"
    startup_trials: int = Field(8, ge=1, description="random candidates before TPE models the response")


class Confirm(Strict):
    top: int = Field(3, ge=1, le=50, description="best candidates re-evaluated")
    replications: int = Field(40, ge=2, le=100_000, description="replications of each re-evaluation")


class Analysis(Strict):
    curve_points: int = Field(5, ge=0, le=50, description="points per lever on the response curves (0: none)")
    marginal_share: float = Field(
        0.05, ge=0, le=1, description="extra marketing money per channel, as a share of marketing (0: none)"
    )
    marginal_replications: int | None = Field(None, ge=2, description="default: confirm.replications")


class OptimizeSpec(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    scenario: str = Field(description="base scenario file, relative to the spec file")
    overrides: tuple[str, ...] = Field((), description="--set style edits of the base scenario")
    seed: int = Field(0, ge=0)
    replications: int = Field(8, ge=2, le=10_000, description="per candidate, common random numbers")
    levers: dict[str, Lever] = Field(min_length=1)
    objective: Objective
    second_objective: Objective | None = None
    constraints: tuple[Constraint, ...] = ()
    search: Search = Search()
    confirm: Confirm = Confirm()
    analysis: Analysis = Analysis()

    @model_validator(mode="after")
    def _check(self) -> OptimizeSpec:
        problems = [f"levers.{n}: lever names may not contain '.'" for n in self.levers if "." in n]
        if sum(lv.is_mix for lv in self.levers.values()) > 1:
            problems.append("levers: at most one channel-mix lever")
        if self.confirm.replications < self.replications:
            problems.append("confirm.replications must be at least replications")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def directions(self) -> list[str]:
        return [o.direction for o in (self.objective, self.second_objective) if o is not None]


@dataclass(frozen=True)
class Optimization:
    """A validated spec with its resolved base scenario (raw dict) and the experiment view
    of its levers (factors), through which candidates are edited and run."""

    spec: OptimizeSpec
    source: str
    scenario_file: str
    base: dict[str, Any]

    @property
    def mix(self) -> tuple[str, Lever] | None:
        return next(((n, lv) for n, lv in self.spec.levers.items() if lv.is_mix), None)

    def experiment(self, replications: int | None = None, base: dict[str, Any] | None = None) -> Experiment:
        spec = factor_spec(self.spec, replications or self.spec.replications)
        return Experiment(spec, self.source, self.scenario_file, base if base is not None else self.base)

    @property
    def spec_hash(self) -> str:
        text = json.dumps([self.spec.model_dump(mode="json"), self.base], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def is_int(self, name: str) -> bool:
        lv = self.spec.levers[name]
        if lv.op != "set" or lv.is_mix or lv.levels:
            return False
        keys = expand(self.base, lv.paths[0])
        return bool(keys) and is_int_field(field_at(keys[0])[0])

    def free_share(self) -> float:
        """Budget share the mix lever's channels hold together (1 minus the others')."""
        mix = self.mix
        if mix is None:
            return 1.0
        channels = self.base.get("channels") or {}
        rest = sum(
            float(ch.get("budget_share", 0.0)) for c, ch in channels.items() if c not in mix[1].channels
        )
        return max(0.0, 1.0 - rest)


def factor_spec(spec: OptimizeSpec, replications: int) -> ExperimentSpec:
    """The levers as experiment factors (the design is unused: candidates come from the search)."""
    factors = {}
    for name, lv in spec.levers.items():
        if lv.is_mix:
            factors[name] = Factor(role="lever", channels=lv.channels, description=lv.description)
        else:
            factors[name] = Factor(
                role="lever", path=lv.path, op=lv.op, low=lv.low, high=lv.high, levels=lv.levels
            )
    return ExperimentSpec(
        name=spec.name,
        scenario=spec.scenario,
        overrides=spec.overrides,
        seed=spec.seed,
        replications=replications,
        design=Design(kind="lhs", n=1),
        factors=factors,
    )


def mix_problems(opt: Optimization) -> list[str]:
    mix = opt.mix
    if mix is None:
        return []
    name, lv = mix
    channels = opt.base.get("channels") or {}
    if any(c not in channels for c in lv.channels):
        return []  # check_factors names them
    problems = []
    m = opt.free_share()
    lo = sum(lv.lower.get(c, 0.0) for c in lv.channels)
    hi = sum(lv.upper.get(c, 1.0) for c in lv.channels)
    if not lo <= m + 1e-9:
        problems.append(f"levers.{name}: lower shares sum to {lo:.3f}, above the {m:.3f} the mix can hold")
    if not hi >= m - 1e-9:
        problems.append(f"levers.{name}: upper shares sum to {hi:.3f}, below the {m:.3f} the mix must hold")
    return problems


def load_optimization(path: str | Path, overrides: Iterable[str] = ()) -> Optimization:
    """Load and check a spec; ``overrides`` edit the spec (``search.trials=10``) when their
    first key is a spec key, and the base scenario otherwise (``population.size=2000``)."""
    spec_over, scen_over = [], []
    for text in overrides:
        key = text.split("=", 1)[0].split(".", 1)[0].strip()
        (spec_over if key in OptimizeSpec.model_fields else scen_over).append(text)
    spec = load_spec(OptimizeSpec, path, spec_over)
    scenario_file = Path(path).parent / spec.scenario
    base = apply_overrides(resolve_bases(scenario_file), [*spec.overrides, *scen_over])
    scenario_from_dict(base, str(scenario_file))
    opt = Optimization(spec, str(path), str(scenario_file), base)
    problems = [p.replace("factors.", "levers.", 1) for p in check_factors(opt.experiment().spec, base)]
    problems += mix_problems(opt)
    for name, lv in spec.levers.items():
        if opt.is_int(name) and lv.step is not None and not float(lv.step).is_integer():
            problems.append(f"levers.{name}: an integer field needs a whole step, got {lv.step}")
        if opt.is_int(name) and not (
            math.isclose(lv.low, round(lv.low)) and math.isclose(lv.high, round(lv.high))
        ):
            problems.append(f"levers.{name}: an integer field needs whole low and high")
    if problems:
        raise SpecError(str(path), problems)
    return opt
