"""Scenario edits: the factor values of one design point written into a scenario.

Edits act on the resolved raw scenario dict (TOML tables and arrays), as ``--set`` does,
and the result is validated by ``scenario_from_dict``; an invalid combination therefore
fails that one run with a readable message instead of the whole sweep.

Channel mix: raw weights ``w_c`` (one per named channel) become budget shares
``share_c = m * w_c / sum(w)``, where ``m`` is 1 minus the shares of the channels the
factor does not name; the shares therefore always sum to 1. With ``relative = true``
each weight is first multiplied by the channel's base share, so [0.5, 1.5] perturbs the
current mix by up to +-50% before renormalising.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.experiments.spec import ExperimentSpec, Factor
from sim.loading import scenario_from_dict, value_at
from sim.scenario import Scenario

SCALED = ("value", "mean", "sd", "median", "low", "high")  # location and spread of a distribution
SHIFTED = ("value", "mean", "low", "high")


def expand(data: Any, path: str) -> list[list[str]]:
    """Concrete key lists for a dotted path; ``*`` matches every list item or table key."""

    def walk(node: Any, parts: list[str], prefix: list[str]) -> list[list[str]]:
        if not parts:
            return [prefix]
        head, rest = parts[0], parts[1:]
        if head == "*":
            keys = [str(i) for i in range(len(node))] if isinstance(node, list) else list(node or {})
            return [k for key in keys for k in walk(_child(node, key), rest, [*prefix, key])]
        return walk(_child(node, head), rest, [*prefix, head])

    return walk(data, path.split("."), [])


def _child(node: Any, key: str) -> Any:
    if isinstance(node, list):
        return node[int(key)] if key.isdigit() and int(key) < len(node) else None
    return node.get(key) if isinstance(node, dict) else None


def field_at(keys: list[str]) -> tuple[FieldInfo | None, str | None]:
    """The schema field a key list ends at, or (None, problem); (None, None) means the path
    goes inside a value the walker does not model (e.g. a distribution table), accepted."""
    tp: Any = Scenario
    field: FieldInfo | None = None
    for i, key in enumerate(keys):
        tp = _unwrap(tp)
        where = ".".join(keys[: i + 1])
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(key)
            if field is None:
                return None, f"{where}: unknown scenario field (valid: {', '.join(tp.model_fields)})"
            tp = field.annotation
        elif typing.get_origin(tp) in (tuple, list):
            if not key.isdigit():
                return None, f"{where}: expected a list index"
            tp, field = typing.get_args(tp)[0], None
        elif typing.get_origin(tp) is dict:
            tp, field = typing.get_args(tp)[1], None
        else:
            return None, None
    return field, None


def _unwrap(tp: Any) -> Any:
    """Strip Optional and Annotated; a real union (number | distribution) is left as is."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def is_int_field(field: FieldInfo | None) -> bool:
    return field is not None and _unwrap(field.annotation) is int


def check_factors(spec: ExperimentSpec, base: dict[str, Any]) -> list[str]:
    """Problems with factor paths or channels, as ``factors.NAME: ...`` lines."""
    problems: list[str] = []
    edited_by: dict[str, list[str]] = {}
    channels = base.get("channels") or {}
    for name, f in spec.factors.items():
        if f.is_mix:
            problems += [f"factors.{name}: unknown channel {c!r}" for c in f.channels if c not in channels]
            continue
        for path in f.paths:
            matches = expand(base, path)
            if "*" in path and not matches:
                problems.append(f"factors.{name}: {path} matches nothing in the base scenario")
            for keys in matches:
                field, problem = field_at(keys)
                problem = problem or _missing_item(base, keys) or _kind_problem(field, keys, f.op)
                if problem:
                    problems.append(f"factors.{name}: {problem}")
                elif f.op != "set" and value_at(base, keys) is None and _default(keys) is None:
                    problems.append(f"factors.{name}: {'.'.join(keys)} has no value to {f.op}")
                else:
                    edited_by.setdefault(".".join(keys), []).append(name)
    for path, names in edited_by.items():
        if len(names) > 1:
            problems.append(f"factors: {' and '.join(names)} both edit {path}; give each field one factor")
    nested = [(a, b) for a in edited_by for b in edited_by if b.startswith(a + ".")]
    problems += [
        f"factors: {edited_by[a][0]} edits {a}, which holds {b} of {edited_by[b][0]}" for a, b in nested
    ]
    return problems or level_problems(spec, base)


def _missing_item(base: dict[str, Any], keys: list[str]) -> str | None:
    """A list index past the end of the base scenario's list."""
    node: Any = base
    for i, key in enumerate(keys):
        if isinstance(node, list) and (not key.isdigit() or int(key) >= len(node)):
            where = ".".join(keys[:i])
            return f"{'.'.join(keys)}: {where} has {len(node)} items (0..{len(node) - 1}), no item {key}"
        node = _child(node, key)
    return None


def _kind_problem(field: FieldInfo | None, keys: list[str], op: str) -> str | None:
    """A path naming a table or list, or scale/shift of a field that is not a number."""
    if field is None:
        return None
    members = _members(field.annotation)
    if not any(m in (int, float) for m in members):
        if any(_is_table(m) for m in members):
            return f"{'.'.join(keys)} is a table or list; name one of its fields"
        if op != "set":
            return f"op = '{op}' needs a numeric field, {'.'.join(keys)} is not a number"
    return None


def _members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _is_table(tp: Any) -> bool:
    model = isinstance(tp, type) and issubclass(tp, BaseModel)
    return model or typing.get_origin(tp) in (tuple, list, dict)


def level_problems(spec: ExperimentSpec, base: dict[str, Any]) -> list[str]:
    """Each factor alone at each of its levels (or both bounds) must give a valid scenario,
    so a level the schema refuses is found at load rather than failing every run of it."""
    from sim.loading import SpecError

    problems = []
    for name, f in spec.factors.items():
        if f.is_mix:
            continue
        one = spec.model_copy(update={"factors": {name: f}})
        for value in f.levels or (f.low, f.high):
            try:
                scenario_at(one, base, {name: value})
            except SpecError as exc:
                problems.append(f"factors.{name}: at {value!r}: {'; '.join(exc.problems)}")
            except (ValueError, TypeError) as exc:
                problems.append(f"factors.{name}: at {value!r}: {exc}")
    return problems


def mix_shares(factor: Factor, base: dict[str, Any], weights: dict[str, float]) -> dict[str, float]:
    """Normalised budget shares for the factor's channels (see the module docstring)."""
    channels = base["channels"]
    rest = sum(float(ch.get("budget_share", 0.0)) for c, ch in channels.items() if c not in factor.channels)
    w = {
        c: float(weights[c]) * (float(channels[c]["budget_share"]) if factor.relative else 1.0)
        for c in factor.channels
    }
    total = sum(w.values())
    if not total > 0:
        raise ValueError("channel-mix weights are all zero")
    return {c: max(0.0, 1.0 - rest) * (v / total) for c, v in w.items()}  # v / total first: no underflow


def edited(spec: ExperimentSpec, base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with every factor's value written in."""
    data = copy.deepcopy(base)
    old_days = int((data.get("calendar") or {}).get("days", 30))
    for name, f in spec.factors.items():
        value = values[name]
        if f.is_mix:
            for c, share in value.items():
                data["channels"][c]["budget_share"] = share
            continue
        for path in f.paths:
            for keys in expand(data, path):
                field, _ = field_at(keys)
                old = value_at(data, keys)
                new = _apply(old if old is not None else _default(keys), f.op, value)
                _set(data, keys, round(new) if is_int_field(field) and isinstance(new, float) else new)
    fit_phases(data, old_days)
    return data


def scenario_at(spec: ExperimentSpec, base: dict[str, Any], values: dict[str, Any]) -> Scenario:
    return scenario_from_dict(edited(spec, base, values), f"{spec.name} design point")


def fit_phases(data: dict[str, Any], old_days: int) -> None:
    """Stretch calendar phases when a factor changed the campaign length, so a duration
    lever keeps the phase plan's proportions (and the schema's 'phases inside' rule)."""
    cal = data.get("calendar") or {}
    new_days, phases = int(cal.get("days", 30)), cal.get("phases")
    if not phases or new_days == old_days:
        return
    f = new_days / old_days
    for p in phases:
        start = min(new_days - 1, math.floor(p["start"] * f))
        p["start"], p["end"] = start, min(new_days - 1, max(start, math.floor((p["end"] + 1) * f) - 1))


def _apply(old: Any, op: str, x: Any) -> Any:
    if op == "set":
        return x
    if isinstance(old, dict):  # a distribution table: move its location (and spread)
        if op == "shift" and old.get("dist") == "lognormal":
            raise ValueError("cannot shift a lognormal distribution; use op = 'scale'")
        keys = SCALED if op == "scale" else SHIFTED
        return {k: (v * x if op == "scale" else v + x) if k in keys else v for k, v in old.items()}
    if not isinstance(old, int | float) or isinstance(old, bool):
        raise ValueError(f"cannot {op} the value {old!r}")
    return old * x if op == "scale" else old + x


def _default(keys: list[str]) -> Any:
    field, _ = field_at(keys)
    if field is None or field.is_required():
        return None
    return field.get_default(call_default_factory=True)


def _set(data: Any, keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        data = data[int(key)] if isinstance(data, list) else data.setdefault(key, {})
    if isinstance(data, list):
        data[int(keys[-1])] = value
    else:
        data[keys[-1]] = value
