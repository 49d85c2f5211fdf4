"""Generated bad inputs: walk each schema (scenario, experiment, calibration spec) and make
wrong values for every scalar field by its type, over a valid shipped document.

Kinds of bad value: non-finite (nan, inf, -inf) for every float (also inside a
distribution table), a boolean or a quoted number for numbers, a number or a word for
booleans, a number for text, past the storage width for integers, a fraction for integers,
and a value one step past a declared bound. Used by tests/test_input_edges.py and
``python tests/input_edges.py`` (prints the counts for the closing note).
"""

from __future__ import annotations

import copy
import math
import tomllib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
INT64_MAX = 2**63 - 1


def _members(tp: Any) -> list[Any]:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _model(members: list[Any]) -> type[BaseModel] | None:
    for m in members:
        if isinstance(m, type) and issubclass(m, BaseModel):
            return m
    return None


def _is_dist(members: list[Any]) -> bool:
    return any(isinstance(m, type) and issubclass(m, BaseModel) and "dist" in m.model_fields for m in members)


def leaves(
    schema: type[BaseModel], doc: Any, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple, Any, Any]]:
    """(path, field annotation, FieldInfo) of every scalar field reachable in ``doc``
    (tables absent from ``doc`` are entered too; list items and table entries only when
    ``doc`` has one: the first is used)."""
    for name, field in schema.model_fields.items():
        path = (*prefix, name)
        members = _members(field.annotation)
        sub = doc.get(name) if isinstance(doc, dict) else None
        model = _model(members)
        if _is_dist(members):
            yield path, field.annotation, field
            continue
        if model is not None and "dist" not in model.model_fields:
            yield from leaves(model, sub if isinstance(sub, dict) else {}, path)
            continue
        origin = next(
            (typing.get_origin(m) for m in members if typing.get_origin(m) in (tuple, list, dict)), None
        )
        if origin in (tuple, list) and isinstance(sub, list) and sub:
            item = typing.get_args(next(m for m in members if typing.get_origin(m) in (tuple, list)))[0]
            inner = _model(_members(item))
            if inner is not None and "dist" not in inner.model_fields:
                yield from leaves(inner, sub[0], (*path, "0"))
                continue
        if origin is dict and isinstance(sub, dict) and sub:
            item = typing.get_args(next(m for m in members if typing.get_origin(m) is dict))[1]
            inner = _model(_members(item))
            key = next(iter(sub))
            if inner is not None:
                yield from leaves(inner, sub[key], (*path, key))
            elif float in _members(item):
                yield (*path, key), item, None
            continue
        if origin is None:
            yield path, field.annotation, field


def bad_values(annotation: Any, field: Any) -> list[tuple[str, Any]]:
    """(kind, value) pairs that must be refused for a field of this type."""
    members = _members(annotation)
    kinds = {m for m in members if m in (bool, int, float, str)}
    lits = [m for m in members if typing.get_origin(m) is Literal]
    out: list[tuple[str, Any]] = []
    if _is_dist(members):
        kinds.add(float)
        for bad in (math.nan, math.inf):
            out.append(("non-finite in a distribution", {"dist": "normal", "mean": bad, "sd": 1.0}))
        out.append(("boolean in a distribution", {"dist": "uniform", "low": True, "high": 2.0}))
    if float in kinds:
        out += [("non-finite", math.nan), ("non-finite", math.inf), ("non-finite", -math.inf)]
        out += [("absurd magnitude", 1e300)]
    if (float in kinds or int in kinds) and bool not in kinds:
        out += [("boolean as number", True), ("boolean as number", False)]
        if str not in kinds:
            out += [("quoted number", "5")]
    if int in kinds and float not in kinds:
        out += [("fraction for an integer", 2.5), ("past int64", INT64_MAX + 1)]
    if bool in kinds and not (kinds & {int, float, str}):
        out += [("number as boolean", 1), ("number as boolean", 0), ("word as boolean", "yes")]
    if str in kinds and not (kinds & {int, float, bool}) and not lits:
        out += [("number as text", 5)]
    if lits:
        out += [("unknown choice", "__nope__")]
    for m in getattr(field, "metadata", []) if field is not None else []:
        if (float in kinds or int in kinds) and bool not in kinds:
            if isinstance(m, Le):
                out.append(
                    (
                        "past upper bound",
                        m.le + (1 if int in kinds and float not in kinds else 1e-6 * max(1, abs(m.le))),
                    )
                )
            elif isinstance(m, Lt):
                out.append(("at exclusive upper bound", m.lt))
            elif isinstance(m, Ge):
                out.append(("below lower bound", m.ge - 1))
            elif isinstance(m, Gt):
                out.append(("at exclusive lower bound", m.gt))
    return out


def put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value
    return out


def documents() -> list[tuple[str, type[BaseModel], dict[str, Any]]]:
    """(label, schema, valid raw document) for every schema a user writes."""
    from sim.calibration.spec import CalibrationSpec
    from sim.experiments.spec import ExperimentSpec
    from sim.loading import resolve_bases
    from sim.scenario import Scenario

    docs = [("scenario", Scenario, resolve_bases(ROOT / "scenarios" / "deposit_sprint.toml"))]
    for f in sorted((ROOT / "experiments").glob("*.toml")):
        docs.append((f"experiment {f.stem}", ExperimentSpec, tomllib.loads(f.read_text())))
    for f in sorted((ROOT / "calibration").glob("*.toml")):
        data = tomllib.loads(f.read_text())
        if "parameters" in data:
            docs.append((f"calibration {f.stem}", CalibrationSpec, data))
    return docs


def cases() -> Iterator[tuple[str, type[BaseModel], dict[str, Any], str, str, Any]]:
    """(document, schema, bad document, dotted path, kind, value) for every generated case."""
    seen: set[tuple[type, tuple, str, str]] = set()
    for label, schema, doc in documents():
        for path, annotation, field in leaves(schema, doc):
            for kind, value in bad_values(annotation, field):
                key = (schema, path, kind, repr(value))
                if key in seen:
                    continue
                seen.add(key)
                yield label, schema, put(doc, path, value), ".".join(path), kind, value


def check(schema: type[BaseModel], bad: dict[str, Any], path: str) -> str | None:
    """None when the bad document is refused with a line naming the field, else why not."""
    from sim.loading import SpecError, validate

    try:
        validate(schema, bad, "case")
    except SpecError as exc:
        top = path.split(".")[0]
        if any(p.startswith(top) or top in p for p in exc.problems):
            return None
        return f"refused but no line names {path}: {exc.problems}"
    except Exception as exc:  # the point of the exercise: anything else is a failure
        return f"crashed: {type(exc).__name__}: {exc}"
    return "accepted"


if __name__ == "__main__":
    import collections
    import warnings

    warnings.simplefilter("ignore")
    tried, failed = 0, collections.Counter()
    for label, schema, bad, path, kind, value in cases():
        tried += 1
        why = check(schema, bad, path)
        if why:
            failed[kind] += 1
            print(f"NOT HANDLED {label}: {path} = {value!r} ({kind}): {why}")
    print(f"bad inputs tried: {tried}, handled cleanly: {tried - sum(failed.values())}")
