"""Input-edge rules shared by every schema: scenarios, distributions, experiment,
calibration and validation specs all derive from :class:`Strict`, so a field added later
inherits them without a line of its own.

- Numbers are finite: ``nan`` and ``inf`` are valid TOML floats but never a meaningful
  rate, share, amount or bound here (``allow_inf_nan=False``, also inside tables, lists
  and distribution tables); a field that documents ``inf`` as "open" says so with
  :data:`OpenBound`.
- Numbers are at most 1e15 in size (a larger integer would not fit the model's
  float64/int64 columns exactly; no count or amount in a campaign comes near it).
- No silent coercions: a boolean is not a number, a string is neither a number nor a
  boolean, and a number is not a boolean (pydantic's lax mode would turn ``true`` into 1,
  ``"5"`` into 5 and ``1`` into ``true``).
- Unknown keys are refused and validated objects are immutable.

Also here: :func:`slug` (a name made safe for a folder name) and :func:`support` (the
range a number-or-distribution can take, for rules such as "a shock must be able to
start inside the campaign").
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import types
import typing
from typing import Any, Literal

from pydantic import AfterValidator, AllowInfNan, BaseModel, ConfigDict, ValidationInfo, field_validator

NUMBER = (int, float)


class InputWarning(UserWarning):
    """Valid input that cannot take effect as written (e.g. a shock after the horizon);
    the CLI prints these as ``warning: ...`` lines."""


MAX_NAME = 80  # characters of a name that becomes part of a folder name
#: Largest number any field takes: integers up to it are exact in float64 and int64, and
#: money sums of a few thousand such values stay far from overflow.
MAX_MAGNITUDE = 1e15


CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_kind(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    field = cls.model_fields.get(info.field_name or "")
    if field is not None and (problem := coercion_problem(value, field.annotation)):
        raise ValueError(problem)
    return value


def _not_nan(x: float) -> float:
    if math.isnan(x):
        raise ValueError("nan is not a bound; use inf or -inf for an open side")
    return x


#: A bound where ``inf``/``-inf`` documents "no bound on this side" (nan is still refused).
OpenBound = typing.Annotated[float, AllowInfNan(True), AfterValidator(_not_nan)]


class Strict(BaseModel):
    """Base of every schema class: no unknown keys, frozen, finite numbers, strict kinds."""

    model_config = CONFIG

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_kind(cls, value, info)


class StrictTagged(BaseModel):
    """Base of tagged-union members (distribution tables): the same rules, but pydantic
    allows no validator on the tag field, so the checked fields are listed here
    (``check_fields=False``: a subclass need not have all of them)."""

    model_config = CONFIG

    @field_validator(
        "value", "low", "high", "mean", "sd", "median", "sigma", "a", "b", mode="before", check_fields=False
    )
    @classmethod
    def _no_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_kind(cls, value, info)


def coercion_problem(value: Any, tp: Any) -> str | None:
    """Why ``value`` would only fit type ``tp`` by a silent coercion (None when it fits
    or when pydantic's own error will say what is wrong)."""
    tp = _strip(tp)
    if isinstance(value, (list, tuple)):
        item = _container_item(tp, (list, tuple))
        if item is not None:
            for v in value:
                if p := coercion_problem(v, item):
                    return p
        return None
    if isinstance(value, dict):
        item = _container_item(tp, (dict,))
        if item is not None:
            for v in value.values():
                if p := coercion_problem(v, item):
                    return p
        return None
    kinds = _scalar_kinds(tp)
    numeric = bool(kinds & {int, float})
    if isinstance(value, bool):
        if numeric and bool not in kinds:
            return "expected a number, not true/false"
    elif isinstance(value, NUMBER):
        if bool in kinds and not numeric and str not in kinds:
            return "expected true or false, not a number"
        if numeric and math.isfinite(value) and abs(value) > MAX_MAGNITUDE:
            return (
                f"beyond ±{MAX_MAGNITUDE:.0e}, more than any count or amount here (sums would lose precision)"
            )
    elif isinstance(value, str) and not kinds & {str, dt.date, Literal} and _convertible(value, kinds):
        # only text pydantic would quietly convert; other text gets pydantic's own message
        return "expected " + ("a number" if numeric else "true or false") + ", not text (drop the quotes)"
    return None


BOOL_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "t", "f", "y", "n", "1", "0"})


def _convertible(text: str, kinds: frozenset[Any]) -> bool:
    if bool in kinds and text.strip().lower() in BOOL_WORDS:
        return True
    if not kinds & {int, float}:
        return False
    try:
        float(text.replace("_", ""))
    except ValueError:
        return False
    return True


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _members(tp: Any) -> tuple[Any, ...]:
    tp = _strip(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(m for a in typing.get_args(tp) for m in _members(a))
    return (tp,)


@functools.cache
def _scalar_kinds(tp: Any) -> frozenset[Any]:
    out: set[Any] = set()
    for m in _members(tp):
        if typing.get_origin(m) is Literal:
            out.add(Literal)
        elif m in (bool, int, float, str) or m is dt.date or m is dt.datetime:
            out.add(dt.date if m is dt.datetime else m)
    return frozenset(out)


def _container_item(tp: Any, origins: tuple[type, ...]) -> Any:
    """Item type of the first container member of ``tp`` with one of ``origins``."""
    for m in _members(tp):
        origin = typing.get_origin(m)
        if origin in origins:
            args = typing.get_args(m)
            if origin is dict:
                return args[1] if len(args) == 2 else None
            return args[0] if args else None
    return None


# --- names that become paths ---------------------------------------------------------


def slug(name: str) -> str:
    """A folder-safe form of ``name``: lower-case letters, digits, ``_``, ``-`` and
    ``.`` only, other runs replaced by ``-``; never empty, ``.`` or ``..``."""
    s = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.")
    s = re.sub(r"\.{2,}", ".", s)
    return s[:MAX_NAME] or "run"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a result folder (None when it can)."""
    if not name.strip():
        return "must not be empty"
    if len(name) > MAX_NAME:
        return f"at most {MAX_NAME} characters (it names the result folder), got {len(name)}"
    if any(ord(c) < 32 or c in "/\\" for c in name) or name.strip() in (".", ".."):
        return "must not contain '/', '\\', control characters or be '.'/'..' (it names the result folder)"
    if not re.search(r"[A-Za-z0-9]", name):
        return "needs at least one letter or digit (it names the result folder)"
    return None


# --- the range of a number-or-distribution -------------------------------------------


def support(value: Any) -> tuple[float, float]:
    """(lowest, highest) value a plain number or distribution table can draw."""
    if isinstance(value, NUMBER) and not isinstance(value, bool):
        return float(value), float(value)
    kind = getattr(value, "dist", None)
    if kind == "fixed":
        return float(value.value), float(value.value)
    if kind in ("uniform", "beta"):
        return float(value.low), float(value.high)
    if kind == "normal":
        lo = -math.inf if value.low is None else float(value.low)
        hi = math.inf if value.high is None else float(value.high)
        if value.sd == 0:
            m = min(max(float(value.mean), lo), hi)
            return m, m
        return lo, hi
    if kind == "lognormal":
        return (0.0, math.inf) if value.sigma > 0 else (float(value.median), float(value.median))
    return -math.inf, math.inf
