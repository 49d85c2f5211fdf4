"""The page's levers: controls over scenario fields, with the schema's bounds and units.

A lever edit is written into the resolved raw scenario (as ``--set`` would) and the result
is validated by the same schema as files (:func:`sim.loading.scenario_from_dict`); every
problem line is attached to the lever whose field it names, so the page shows it next to
that control. Channel-mix levers keep the shares summing to one (:func:`rebalance`); a
campaign-length change stretches the phase plan as experiments do
(:func:`sim.experiments.edits.fit_phases`); a shock is switched off by setting its
``probability`` to 0 (its draws stay in place, so the other shocks keep their common
random numbers) and resized by scaling its magnitude.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt

from sim.experiments.edits import _apply, _set, field_at, fit_phases
from sim.loading import SpecError, scenario_from_dict, value_at
from sim.scenario import Scenario

Kind = Literal["number", "int", "share", "toggle", "optional_int"]

#: The field a shock's "size" lever scales, by kind (regulatory shocks have no size).
SHOCK_SIZE = {
    "competitor": "rate_pp",
    "macro": "rate_pp",
    "outage": "abandon",
    "rumour": "trust_drop",
}

#: Simple levers: (path, label, unit, kind); shown when the path exists or has a default.
SIMPLE = (
    ("budget.total", "Total budget", "money", "number"),
    ("offer.bonus_bp", "Bonus rate", "bp a year", "number"),
    ("offer.cashback", "Cashback", "money per customer", "number"),
    ("calendar.days", "Campaign length", "days", "int"),
    ("offer.quota", "Quota", "customers (0 = no quota)", "optional_int"),
    ("referral.inviter_reward", "Referral reward (inviter)", "money", "number"),
    ("referral.invitee_reward", "Referral reward (invitee)", "money", "number"),
)


@dataclass(frozen=True)
class Lever:
    """One control. ``key`` is the scenario path it edits (shock levers: ``shocks.I.on`` and
    ``shocks.I.size``; mix levers: ``channels.NAME.budget_share``)."""

    key: str
    label: str
    unit: str
    kind: Kind
    low: float
    high: float
    step: float
    base: Any  # value in the loaded scenario
    group: str  # "offer", "budget", "mix", "shocks", ...


def _bounds(path: list[str]) -> tuple[float | None, float | None, bool]:
    """Schema bounds (inclusive low, inclusive high) of a field, and whether low is strict."""
    field, _ = field_at(path)
    low = high = None
    strict = False
    for m in getattr(field, "metadata", []) if field is not None else []:
        if isinstance(m, Ge):
            low = float(m.ge)
        elif isinstance(m, Gt):
            low, strict = float(m.gt), True
        elif isinstance(m, Le):
            high = float(m.le)
        elif isinstance(m, Lt):
            high = float(m.lt)
    return low, high, strict


def _nice_high(base: float, floor: float) -> float:
    """An upper slider end for an unbounded field: about four times today's value."""
    x = max(4 * abs(base), floor)
    mag = 10 ** math.floor(math.log10(x))
    return math.ceil(x / mag) * mag


def _step(high: float, kind: Kind) -> float:
    if kind in ("int", "optional_int"):
        return max(1, round(high / 200))
    return 10 ** math.floor(math.log10(high / 200)) if high > 0 else 1.0


def _on_grid(step: float, low: float, base: float, kind: Kind) -> float:
    """The largest power-of-ten step at most ``step`` that puts ``base`` on the slider's grid
    (a slider snaps an off-grid value, which would count as an edit of its own)."""
    floor = 1.0 if kind in ("int", "optional_int") else 1e-6
    while step > floor and not math.isclose((base - low) / step, round((base - low) / step), abs_tol=1e-9):
        step = max(step / 10, floor)
    return int(step) if kind in ("int", "optional_int") else step


def levers_for(raw: Mapping[str, Any]) -> list[Lever]:
    """The levers a resolved raw scenario offers, in page order."""
    out: list[Lever] = []
    for path, label, unit, kind in SIMPLE:
        keys = path.split(".")
        field, _ = field_at(keys)
        base = value_at(raw, keys)
        if base is None and path != "offer.quota":
            base = field.get_default() if field is not None and not field.is_required() else None
            if base is None:
                continue
        low, high, strict = _bounds(keys)
        low = (low or 0.0) + (1 if strict and kind == "int" else 0)
        if kind == "optional_int":
            low, base = 0.0, base or 0
        currency = raw.get("currency", "CNY")
        unit = unit.replace("money", currency)
        floor = {"int": 60, "optional_int": 10_000}.get(kind, 100.0)
        high = high if high is not None and kind != "optional_int" else _nice_high(float(base), floor)
        if path == "calendar.days":
            high = min(high, max(120, 2 * float(base)))
        step = _on_grid(_step(high, kind), low, float(base), kind)
        out.append(Lever(path, label, unit, kind, low, high, step, base, keys[0]))
    for name, ch in (raw.get("channels") or {}).items():
        share = float(ch.get("budget_share", 0.0))
        out.append(
            Lever(
                f"channels.{name}.budget_share",
                name,
                "share of marketing",
                "share",
                0.0,
                1.0,
                0.01,
                share,
                "mix",
            )
        )
    for i, shock in enumerate(raw.get("shocks") or ()):
        kind = shock.get("kind", "shock")
        on = float(shock.get("probability", 1.0)) > 0
        out.append(Lever(f"shocks.{i}.on", f"{kind} shock", "on/off", "toggle", 0, 1, 1, on, "shocks"))
        if kind in SHOCK_SIZE:
            out.append(
                Lever(
                    f"shocks.{i}.size", f"{kind} size", "x as planned", "number", 0.0, 3.0, 0.1, 1.0, "shocks"
                )
            )
    return out


def rebalance(shares: Mapping[str, float], changed: str, value: float) -> dict[str, float]:
    """Set one channel's share to ``value`` (clipped to 0..1) and scale the others so the
    mix still sums to one: ``s_j' = s_j * (1 - v) / sum_{k != i} s_k``; when the others are
    all zero the remainder is split equally between them."""
    v = min(1.0, max(0.0, float(value)))
    others = [c for c in shares if c != changed]
    if not others:
        return {changed: 1.0}
    rest = sum(max(0.0, float(shares[c])) for c in others)
    out = {changed: v}
    for c in others:
        w = max(0.0, float(shares[c])) / rest if rest > 0 else 1 / len(others)
        out[c] = (1 - v) * w
    return out


def apply_levers(raw: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``raw`` with lever values written in (values absent from ``values`` keep
    the scenario's own)."""
    data = copy.deepcopy(dict(raw))
    old_days = int((data.get("calendar") or {}).get("days", 30))
    for key, value in values.items():
        keys = key.split(".")
        if keys[0] == "shocks":
            shock = data["shocks"][int(keys[1])]
            if keys[2] == "on":
                base_p = float(value_at(raw, ["shocks", keys[1], "probability"]) or 1.0)
                shock["probability"] = (base_p if base_p > 0 else 1.0) if value else 0.0
            else:
                name = SHOCK_SIZE[shock["kind"]]
                old = value_at(raw, ["shocks", keys[1], name])
                shock[name] = _apply(0.0 if old is None else old, "scale", float(value))
        elif key == "offer.quota":
            if value in (None, 0):
                data.get("offer", {}).pop("quota", None)
            else:
                _set(data, keys, int(value))
        else:
            field, _ = field_at(keys)
            is_int = field is not None and field.annotation is int
            _set(data, keys, round(value) if is_int and isinstance(value, float) else value)
    fit_phases(data, old_days)
    return data


@dataclass
class Checked:
    """The outcome of validating lever values: a scenario, or problems by lever key
    (``""`` holds problems no single lever owns)."""

    scenario: Scenario | None
    problems: dict[str, list[str]]
    data: dict[str, Any]


def check(raw: Mapping[str, Any], values: Mapping[str, Any], levers: list[Lever], source: str) -> Checked:
    """Apply and validate; attach each problem line to the lever whose path it names."""
    try:
        data = apply_levers(raw, values)
    except (ValueError, TypeError, KeyError) as exc:
        return Checked(None, {"": [f"cannot apply the levers: {exc}"]}, dict(raw))
    try:
        return Checked(scenario_from_dict(data, source), {}, data)
    except SpecError as exc:
        problems: dict[str, list[str]] = {}
        for line in exc.problems:
            problems.setdefault(owner(line, levers), []).append(line)
        return Checked(None, problems, data)


def owner(line: str, levers: list[Lever]) -> str:
    """The key of the lever a problem line belongs to: the longest lever path that prefixes
    the line's field path, else a lever in the same section (``budget: ...`` belongs to the
    total budget, ``channels: ...`` to the mix), else ``""``."""
    path = line.split(":", 1)[0].strip()
    best = ""
    for lv in levers:
        key = lv.key.rsplit(".", 1)[0] if lv.kind == "toggle" or lv.key.endswith(".size") else lv.key
        if (path == key or path.startswith(key + ".")) and len(lv.key) > len(best):
            best = lv.key
    if best:
        return best
    section = path.split(".")[0]
    if section == "channels":
        return "mix"
    return next((lv.key for lv in levers if lv.key.split(".")[0] == section), "")
