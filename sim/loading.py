"""Reading validated TOML specs: ``base`` inheritance, ``--set`` overrides, clear errors.

Every problem in a file is collected and reported at once as ``file: path: message``,
with the nearest valid key suggested for unknown keys. Used for scenarios here and by
experiment and calibration specs, which pass their own schema class.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.scenario import SHOCK_KINDS, Scenario

M = TypeVar("M", bound=BaseModel)


class SpecError(Exception):
    """Invalid input; ``problems`` are ready-to-print lines. The CLI exits with code 2."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))

    def __reduce__(self) -> tuple[type[SpecError], tuple[str, list[str]]]:
        # rebuilt from both arguments: a spec error raised in a worker process (loky, dask)
        # unpickles in the driver as itself, instead of breaking the pool
        return type(self), (self.source, self.problems)


def read_toml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), ["file not found"]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), [f"cannot read file ({exc.__class__.__name__})"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), [f"not valid TOML: {exc}"]) from None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; arrays and scalars in ``over`` replace the base's."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and "dist" not in value:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_bases(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read ``path`` and merge it over the file named by its ``base`` key, recursively."""
    p = Path(path).resolve()
    if p in _seen:
        raise SpecError(str(path), [f"base: circular inheritance through {p.name}"])
    data = read_toml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise SpecError(str(path), [f"base: expected a file name, got {base!r}"])
    base_path = Path(path).parent / base
    if not base_path.is_file():
        raise SpecError(str(path), [f"base: file not found: {base!r} (looked for {base_path})"])
    parent = resolve_bases(base_path, (*_seen, p))
    return deep_merge(parent, data)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"a.b.0.c=1.5"`` -> (["a", "b", "0", "c"], 1.5); the value is read as TOML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise SpecError("--set", [f"expected KEY=VALUE, got {text!r}"])
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()  # bare words are strings, as a shell user expects
    return key.strip().split("."), value


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for text in overrides:
        path, value = parse_override(text)
        node: Any = out
        for i, part in enumerate(path[:-1]):
            nxt = path[i + 1]
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise SpecError("--set", [f"{'.'.join(path)}: no list item {part}"])
                node = node[int(part)]
            elif isinstance(node, dict):
                node = node.setdefault(part, [] if nxt.isdigit() else {})
            if not isinstance(node, (list, dict)):
                where = ".".join(path[: i + 1])
                problem = f"{'.'.join(path)}: {where} is a single value ({node!r}), not a table"
                raise SpecError("--set", [problem])
        last = path[-1]
        if isinstance(node, list):
            if not last.isdigit() or int(last) >= len(node):
                raise SpecError("--set", [f"{'.'.join(path)}: no list item {last}"])
            node[int(last)] = value
        else:
            node[last] = value
    return out


def value_at(data: Mapping[str, Any], path: str | Sequence[str]) -> Any:
    """The value at ``path`` (dotted, or its keys) of scenario data (list items by index),
    or None where the path leads nowhere."""
    node: Any = data
    for part in path.split(".") if isinstance(path, str) else path:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


def _model_at(schema: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema class that owns the field at ``loc`` (for key suggestions); a tag in
    ``loc`` (e.g. a shock's kind) picks the member of a discriminated union."""
    tp: Any = schema
    for part in loc:
        if (member := _tagged_member(tp, part)) is not None:
            tp = member
            continue
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) in (tuple, list):
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _tagged_member(tp: Any, tag: Any) -> type[BaseModel] | None:
    """The member of a discriminated union of models (``kind: Literal[...]``) tagged ``tag``."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) not in (typing.Union, types.UnionType) or not isinstance(tag, str):
        return None
    for member in typing.get_args(tp):
        kind = (
            member.model_fields.get("kind")
            if isinstance(member, type) and issubclass(member, BaseModel)
            else None
        )
        if kind is not None and tag in typing.get_args(kind.annotation):
            return member
    return None


def _unwrap(tp: Any) -> Any:
    """Strip Optional/Annotated so containers and models are visible."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            containers = [a for a in args if typing.get_origin(a) in (tuple, list, dict)]
            tp = (models or containers or args)[0] if len(args) > 1 else args[0]
        else:
            return tp


def _describe(err: Mapping[str, Any], schema: type[BaseModel]) -> str:
    raw = tuple(err["loc"])
    loc = tuple(
        p
        for i, p in enumerate(raw)
        if not (isinstance(p, str) and (p in _DIST_TAGS or p.startswith(("tagged-union", "function-"))))
        and not (i and isinstance(raw[i - 1], int) and p in SHOCK_KINDS)  # a list item's kind tag
    )
    path = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "union_tag_invalid":
        tags = [t.strip() for t in str(ctx.get("expected_tags", "")).split(",")]
        field = str(ctx.get("discriminator", "kind")).strip("'")
        expected = f"{', '.join(tags[:-1])} or {tags[-1]}" if len(tags) > 1 else tags[0]
        return f"{path}.{field}: Input should be {expected}; given {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return f"{path}.{str(ctx.get('discriminator', 'kind')).strip(chr(39))}: required field is missing"
    if kind == "extra_forbidden":
        owner = _model_at(schema, raw[:-1])
        valid = sorted(owner.model_fields) if owner else []
        near = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return f"{path}: unknown key{hint} (valid keys: {', '.join(valid)})"
    if kind == "missing":
        return f"{path}: required field is missing"
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "value_error" and not loc:
        return "\n".join(msg.split("; "))
    if kind == "value_error" and isinstance(given, Mapping):
        return f"{path}: {msg}"  # a rule across a table's fields: the table itself says nothing
    shown = repr(given) if not isinstance(given, Mapping) else "a table"
    return f"{path}: {msg}; given {shown}"


_DIST_TAGS = {"fixed", "uniform", "normal", "lognormal", "beta", "float", "int", "str", "bool"}


def _is_union_noise(err: Mapping[str, Any], errors: list[Any]) -> bool:
    """A value given for a number-or-distribution field fails both branches; only the
    branch that matches the kind of input given (number or table) is worth reporting."""
    loc = err["loc"]
    given = err.get("input")
    if err["type"] == "too_short":
        # a list whose items failed also looks empty; the items' own errors say why
        return any(o is not err and o["loc"][: len(loc)] == loc for o in errors)
    if isinstance(given, Mapping):
        # a table: the complaint of the plain-number branch is noise
        return err["type"] in ("float_type", "float_parsing") and any(
            o is not err and len(o["loc"]) >= len(loc) and o["loc"][: len(loc) - 1] == loc[:-1]
            for o in errors
        )
    # not a table: the complaint of the distribution branch is noise
    return bool(loc) and isinstance(loc[-1], str) and loc[-1].startswith("tagged-union")


def validate[M: BaseModel](schema: type[M], data: Mapping[str, Any], source: str) -> M:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        lines: list[str] = []
        errors = exc.errors()
        for err in errors:
            if _is_union_noise(err, errors):
                continue
            for line in _describe(err, schema).split("\n"):
                if line not in lines:
                    lines.append(line)
        raw = getattr(schema, "raw_problems", None)
        if raw and not any(e["type"] == "value_error" and not e["loc"] for e in errors):
            # cross-field rules run only once every field is valid: check the raw data too
            lines.extend(p for p in raw(data) if p not in lines)
        raise SpecError(source, lines) from None


def load_spec[M: BaseModel](schema: type[M], path: str | Path, overrides: Iterable[str] = ()) -> M:
    overrides = list(overrides)
    data = apply_overrides(resolve_bases(path), overrides)
    source = f"{path} (with --set {' '.join(overrides)})" if overrides else str(path)
    return validate(schema, data, source)


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, inherit, override and validate a scenario file."""
    return load_spec(Scenario, path, overrides)


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    return validate(Scenario, data, source)


def dump_scenario(sc: Scenario) -> str:
    """The fully resolved scenario as TOML that :func:`load_scenario` accepts again."""
    import tomli_w

    return tomli_w.dumps(sc.model_dump(mode="json", exclude_none=True))
