"""The patterns file schema: each pattern names a shipped scenario, the arms of its paired
experiment (``--set``-style edit lists), a KPI, an effect measure and the band the effect
must fall in, with the reasoning for the band.

Edits are ``path=value`` (set; the value is read as TOML), ``path*=x`` (scale) or
``path+=x`` (shift); ``*`` in a path matches every list item or table key, e.g.
``segments.*.loss_aversion*=1.5``. They are applied by :mod:`sim.experiments.edits`, the
same code that applies an experiment's factor values.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.experiments.edits import check_factors, edited
from sim.experiments.spec import Design, ExperimentSpec, Factor
from sim.inputs import OpenBound
from sim.kpis import INCREMENTAL_KPIS
from sim.loading import SpecError, load_spec, parse_override, resolve_bases, scenario_from_dict
from sim.scenario import Scenario, Strict
from sim.validation.measures import MEASURES, check_kpi

DEFAULT_FILE = Path("validation/patterns.toml")


class Arm(Strict):
    scenario: str | None = Field(None, description="scenario file, if not the pattern's")
    change: tuple[str, ...] = Field((), description="--set-style edits: path=v, path*=x, path+=x")


class Pattern(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["fact", "mechanism", "special_case"]
    claim: str = Field(description="the stylized fact or mechanism checked")
    source: str = Field(description="where it comes from, summarised")
    scenario: str = Field(description="shipped scenario file, relative to the patterns file")
    control: tuple[str, ...] = Field((), description="edits of the reference arm")
    change: tuple[str, ...] = Field((), description="edits of the changed arm (the paired change)")
    arms: dict[str, Arm] = Field(default_factory=dict, description="named arms, for measures with more")
    kpi: str
    measure: Literal[tuple(MEASURES)]  # type: ignore[valid-type]
    band: tuple[OpenBound, OpenBound] = Field(description="[low, high]; inf and -inf leave a side open")
    require: Literal["estimate", "interval"] = Field(
        "estimate", description="the estimate, or its whole 95% interval, must lie in the band"
    )
    reasoning: str = Field(description="why the band is what it is")
    replications: int = Field(16, ge=2, le=1000)
    size: int = Field(20_000, ge=100, le=1_000_000, description="simulated customers")
    fast: bool = Field(False, description="part of the fast subset run by the tests")

    @model_validator(mode="after")
    def _shape(self) -> Pattern:
        low, high = self.band
        if not low <= high:
            raise ValueError(f"band: low ({low}) is above high ({high})")
        needed = MEASURES[self.measure].arms
        have = set(self.arm_changes())
        if needed and set(needed) != have:
            raise ValueError(
                f"measure {self.measure!r} needs arms {', '.join(needed)}; got {', '.join(have)}"
            )
        if not needed and len(have) < 2:
            raise ValueError(f"measure {self.measure!r} needs at least two arms")
        problem = check_kpi(self.kpi)
        if problem:
            raise ValueError(f"kpi: {problem}")
        return self

    def arm_changes(self) -> dict[str, Arm]:
        """Arms by name; ``control`` and ``change`` are the two arms of a plain pair."""
        if self.arms:
            return dict(self.arms)
        if MEASURES[self.measure].arms == ("control",):
            return {"control": Arm(change=self.control)}
        return {"control": Arm(change=self.control), "treatment": Arm(change=self.change)}

    def passes(self, estimate: float, low: float, high: float) -> bool:
        lo, hi = self.band
        if not math.isfinite(estimate):
            return False
        if self.require == "interval":
            return lo <= low and high <= hi
        return lo <= estimate <= hi


class PatternFile(Strict):
    seed: int = Field(0, ge=0)
    patterns: tuple[Pattern, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PatternFile:
        names = [p.name for p in self.patterns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"patterns: names must be unique ({', '.join(dupes)})")
        return self


@dataclass(frozen=True)
class ArmPlan:
    """One arm, resolved: the scenario to run and the key that identifies its runs."""

    key: str
    scenario: Scenario


_EDIT = re.compile(r"^(?P<path>[^=]+?)\s*(?P<op>[*+]?)=(?P<value>.*)$")


def edit_factors(changes: tuple[str, ...]) -> dict[str, Factor]:
    """``path=v`` / ``path*=x`` / ``path+=x`` as one-level experiment factors, in order."""
    out = {}
    for i, text in enumerate(changes):
        m = _EDIT.match(text)
        if not m:
            raise ValueError(f"{text!r}: expected path=value, path*=factor or path+=delta")
        _, value = parse_override(f"v={m['value']}")
        op = {"": "set", "*": "scale", "+": "shift"}[m["op"]]
        out[f"c{i}"] = Factor(role="lever", path=m["path"].strip(), op=op, levels=(value,))
    return out


def apply_changes(base: dict[str, Any], changes: tuple[str, ...], source: str) -> dict[str, Any]:
    """The raw scenario dict with ``changes`` applied (validated paths)."""
    try:
        factors = edit_factors(changes)
        if not factors:
            return base
        spec = ExperimentSpec(name="pattern", scenario="-", design=Design(kind="grid"), factors=factors)
    except ValueError as exc:
        raise SpecError(source, [str(exc).splitlines()[-1].strip()]) from None
    problems = check_factors(spec, base)
    if problems:
        raise SpecError(source, [p.replace("factors.c", "change #") for p in problems])
    try:
        return edited(spec, base, {k: f.levels[0] for k, f in factors.items()})
    except ValueError as exc:
        raise SpecError(source, [str(exc)]) from None


def plan_arms(pattern: Pattern, folder: Path, size: int | None = None) -> dict[str, ArmPlan]:
    """Each arm's validated scenario at the pattern's (or the given) population size."""
    arms = {}
    n = size or pattern.size
    for name, arm in pattern.arm_changes().items():
        path = folder / (arm.scenario or pattern.scenario)
        source = f"patterns.{pattern.name}.{name}"
        base = resolve_bases(path)
        base.setdefault("population", {})
        base["population"] = {**base["population"], "size": n, "agents": False}
        if pattern.kpi not in INCREMENTAL_KPIS:  # the campaign-off arm would only cost time
            base["baseline"] = False
        data = apply_changes(base, arm.change, source)
        sc = scenario_from_dict(data, f"{source} ({path.name} with {', '.join(arm.change) or 'no change'})")
        # arms that resolve to the same scenario (in any pattern) share their runs
        key = hashlib.sha256(json.dumps(sc.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        arms[name] = ArmPlan(key, sc)
    return arms


def load_patterns(path: str | Path = DEFAULT_FILE) -> PatternFile:
    """Read and validate a patterns file, including every arm's scenario and edits, so a
    typo fails before any run."""
    spec = load_spec(PatternFile, path)
    folder = Path(path).parent
    problems: list[str] = []
    for p in spec.patterns:
        try:
            plan_arms(p, folder)
        except SpecError as exc:
            problems += str(exc).splitlines()
    if problems:
        raise SpecError(str(path), problems)
    return spec
