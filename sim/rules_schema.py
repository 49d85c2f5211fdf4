"""The schema of adaptive playbooks: ``[[rules]]`` a scenario may declare, and ``[playbook]``.

A rule is a condition on the run's own state (:data:`STATE`, plus ``shock.<kind>`` and
``channel.<name>``) and a list of actions (:data:`ACTIONS`), evaluated once a day (see
:mod:`sim.rules`). Everything is data: no expressions, no ``eval``. Unknown state names and
actions are rejected with the nearest valid name; combinations that cannot work (an action
without the parameters it needs, a bonus above the compliance cap, a pace condition without a
pace target, an unknown channel) are reported at load, all at once, like every other problem.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.inputs import Strict
from sim.shock_kinds import SHOCK_KINDS

#: State a condition may read, evaluated at the start of a day (after the day's
#: environment, before marketing): flows are up to the end of yesterday. Documented in
#: docs/ODD.md and the README.
STATE: dict[str, str] = {
    "day": "today's day number (0-based)",
    "days_left": "campaign days left after today (negative in the observation window)",
    "phase": "today's phase name ('campaign' outside declared phases, 'observation' after); == or != only",
    "conversions": "conversions so far, real customers",
    "daily_conversions": "conversions yesterday, real customers",
    "pace_ratio": "conversions so far / (playbook.target_daily_conversions x campaign days elapsed)",
    "daily_pace_ratio": "yesterday's conversions / playbook.target_daily_conversions",
    "quota_used_share": "share of the quota sold (0 without a quota)",
    "incentive_left": "incentive pool left, money",
    "incentive_left_share": "incentive pool left / incentive pool at the start",
    "budget_left": "marketing pool left, money",
    "budget_left_share": "marketing pool left / marketing pool at the start",
    "complaints_per_10k": "expected complaints so far per 10,000 customers (as the KPI)",
    "rival_gap_pp": "best rival rate today minus our advertised rate with today's bonus, pp "
    "(-1000 when no rival offer is live)",
    "incentives_on": "whether incentives are being paid (true/false)",
    "bonus_bp": "today's bonus rate, bp",
    "cashback": "today's cashback per customer, money",
}
PREFIXED = {
    "shock.": "shock.<kind>: whether a shock of that kind is active today (true/false)",
    "channel.": "channel.<name>: whether the channel is open today (not closed by a shock or paused)",
}
OPS = ("<", "<=", ">", ">=", "==", "!=")

#: Actions and the parameters each needs (others are rejected).
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "set_bonus_bp": (("value",), "set the bonus rate to value bp (within playbook.max_bonus_bp)"),
    "shift_bonus_bp": (("value",), "add value bp to the bonus rate, clipped to 0..playbook.max_bonus_bp"),
    "set_cashback": (("value",), "set the cashback to value (within playbook.max_cashback)"),
    "shift_cashback": (("value",), "add value to the cashback, clipped to 0..playbook.max_cashback"),
    "move_budget": (
        ("from_channel", "to_channel", "value"),
        "move value (0..1) of the marketing budget's share from one channel to another "
        "(at most what the first one has)",
    ),
    "pause_channel": (("channel",), "stop buying contacts on a channel"),
    "resume_channel": (("channel",), "buy contacts on a paused channel again (a shock may still close it)"),
    "extend_campaign": (("value",), "add value days to the campaign; the observation window follows"),
    "end_campaign": ((), "end the campaign today (the offer closes); the observation window follows"),
    "top_up_incentives": (
        ("value",),
        "move value (money) from the risk reserve to the incentive pool (at most the reserve left), "
        "and pay incentives again",
    ),
    "set_frame": (("frame",), "advertise in the 'gain' or 'loss' frame"),
    "add_claim": (("claim",), "add a claim (refused while a regulatory ban on it is active)"),
    "drop_claim": (("claim",), "drop a claim"),
}
_PARAMS = ("value", "channel", "from_channel", "to_channel", "frame", "claim")


_Strict = Strict  # no unknown keys, frozen, finite numbers, strict kinds (sim.inputs)


def _suggest(name: str, valid: list[str], sep: str = ";") -> str:
    """The nearest valid name (cross-field problems are joined by "; ", so they use ",")."""
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    return f"{sep} did you mean {close[0]!r}?" if close else f" (valid: {', '.join(valid)})"


def state_problem(name: str) -> str | None:
    """Why ``name`` is not a state a condition may read, or None (channel names are
    checked against the scenario by :func:`rule_problems`)."""
    if name in STATE:
        return None
    if name.startswith("shock."):
        kind = name.removeprefix("shock.")
        if kind in SHOCK_KINDS:
            return None
        return f"unknown shock kind {kind!r}{_suggest(kind, list(SHOCK_KINDS))}"
    if name.startswith("channel.") and name.removeprefix("channel."):
        return None
    patterns = [doc.split(":")[0] for doc in PREFIXED.values()]  # shock.<kind>, channel.<name>
    return f"unknown state {name!r}{_suggest(name, [*STATE, *patterns])}"


def comparison_problem(state: str, op: str, value: float | bool | str) -> str | None:
    """Why ``state op value`` cannot be evaluated, or None."""
    if problem := state_problem(state):
        return problem
    textual = state == "phase"
    boolean = state == "incentives_on" or state.startswith(("shock.", "channel."))
    if textual and not isinstance(value, str):
        return "phase is compared with a phase name (a string)"
    if boolean and not isinstance(value, bool):
        return f"{state} is compared with true or false"
    if not (textual or boolean) and isinstance(value, (bool, str)):
        return f"{state} is a number: compare it with a number"
    if (textual or boolean) and op not in ("==", "!="):
        return f"{state} can only be compared with == or !="
    return None


class Condition(_Strict):
    """One comparison ``state op value``."""

    state: str = Field(description="a name of sim.rules_schema.STATE, shock.<kind> or channel.<name>")
    op: Literal[OPS]  # type: ignore[valid-type]
    value: float | bool | str

    @model_validator(mode="after")
    def _valid(self) -> Condition:
        if problem := comparison_problem(self.state, self.op, self.value):
            raise ValueError(problem)
        return self


class When(_Strict):
    """One comparison (``state``, ``op``, ``value``), or ``all`` / ``any`` of several."""

    state: str | None = None
    op: Literal[OPS] | None = None  # type: ignore[valid-type]
    value: float | bool | str | None = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None

    @model_validator(mode="after")
    def _form(self) -> When:
        compare = (self.state, self.op, self.value)
        groups = [g for g in (self.all, self.any) if g is not None]
        if groups and any(x is not None for x in compare):
            raise ValueError("give either state/op/value or all/any, not both")
        if len(groups) > 1:
            raise ValueError("give one of all or any")
        if groups:
            if not groups[0]:
                raise ValueError("all/any needs at least one condition")
            return self
        if any(x is None for x in compare):
            missing = [k for k, x in zip(("state", "op", "value"), compare, strict=True) if x is None]
            raise ValueError(f"a condition needs state, op and value (missing: {', '.join(missing)})")
        if problem := comparison_problem(self.state, self.op, self.value):
            raise ValueError(problem)
        return self


class Action(_Strict):
    do: str = Field(description="what the action does (see sim.rules_schema.ACTIONS)")
    value: float | None = None
    channel: str | None = None
    from_channel: str | None = None
    to_channel: str | None = None
    frame: Literal["gain", "loss"] | None = None
    claim: str | None = None

    @model_validator(mode="after")
    def _params(self) -> Action:
        if self.do not in ACTIONS:
            raise ValueError(f"unknown action {self.do!r}{_suggest(self.do, list(ACTIONS))}")
        needed = ACTIONS[self.do][0]
        given = {p for p in _PARAMS if getattr(self, p) is not None}
        problems = []
        if missing := [p for p in needed if p not in given]:
            problems.append(f"{self.do} needs {', '.join(missing)}")
        if extra := sorted(given - set(needed)):
            problems.append(f"{self.do} takes no {', '.join(extra)}")
        v = self.value
        if v is not None and "value" in needed:
            if self.do in ("set_bonus_bp", "set_cashback", "top_up_incentives") and v < 0:
                problems.append(f"{self.do}: value must be at least 0, given {v}")
            if self.do == "move_budget" and not 0 < v <= 1:
                problems.append(f"move_budget: value is a budget share in (0, 1], given {v}")
            if self.do == "extend_campaign" and (v < 1 or v != int(v)):
                problems.append(f"extend_campaign: value is a whole number of days >= 1, given {v}")
        if (
            self.do == "move_budget"
            and self.from_channel is not None
            and self.from_channel == self.to_channel
        ):
            problems.append("move_budget: from_channel and to_channel must differ")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Rule(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="names the rule in tables and reports")
    note: str = Field("", description="where the rule comes from (shown in the report)")
    when: When
    actions: tuple[Action, ...] = Field(min_length=1)
    cooldown: int = Field(0, ge=0, le=3650, description="days after a firing before it may fire again")
    max_fires: int | None = Field(None, ge=1, le=100_000, description="firings at most (default: no limit)")
    from_day: int = Field(0, ge=0, le=3650, description="first day it is evaluated")
    until_day: int | None = Field(None, ge=0, le=3650, description="last day it is evaluated (inclusive)")

    @model_validator(mode="after")
    def _window(self) -> Rule:
        if self.until_day is not None and self.until_day < self.from_day:
            raise ValueError(f"until_day ({self.until_day}) is before from_day ({self.from_day})")
        return self


class Playbook(_Strict):
    """Settings shared by the rules: the pace they steer to and the compliance caps."""

    target_daily_conversions: float | None = Field(
        None, gt=0, description="target pace, real conversions a day (for pace_ratio conditions)"
    )
    max_bonus_bp: float = Field(2000.0, ge=0, le=2000, description="compliance cap on the bonus rate")
    max_cashback: float | None = Field(None, ge=0, description="compliance cap on cashback (default none)")
    max_extension_days: int = Field(
        90, ge=0, le=730, description="campaign days the rules may add in all (extend_campaign)"
    )


def rule_problems(data: Mapping[str, Any]) -> list[str]:
    """Cross-field problems of the rules in (raw or validated) scenario data: unknown
    channels, bonus/cashback beyond the caps, pace conditions without a target."""
    rules = data.get("rules")
    if not isinstance(rules, (list, tuple)):
        return []
    channels = data.get("channels") if isinstance(data.get("channels"), Mapping) else {}
    playbook = data.get("playbook") if isinstance(data.get("playbook"), Mapping) else {}
    offer = data.get("offer") if isinstance(data.get("offer"), Mapping) else {}
    cap_bonus = playbook.get("max_bonus_bp", 2000.0)
    cap_cash = playbook.get("max_cashback")
    problems = []
    if _number(offer.get("bonus_bp")) and _number(cap_bonus) and offer["bonus_bp"] > cap_bonus:
        problems.append(f"offer.bonus_bp: {offer['bonus_bp']} is above playbook.max_bonus_bp ({cap_bonus})")
    if _number(offer.get("cashback")) and _number(cap_cash) and offer["cashback"] > cap_cash:
        problems.append(f"offer.cashback: {offer['cashback']} is above playbook.max_cashback ({cap_cash})")
    names = [r.get("name") for r in rules if isinstance(r, Mapping)]
    if len(set(map(str, names))) != len(names):
        problems.append("rules: names must be unique")
    for i, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            continue
        for path, state in _states(rule.get("when"), f"rules.{i}.when"):
            if not isinstance(state, str):
                continue
            ch = state.removeprefix("channel.")
            if state.startswith("channel.") and channels and ch not in channels:
                problems.append(f"{path}.state: unknown channel {ch!r}{_suggest(ch, list(channels), ',')}")
            if "pace_ratio" in state and not _number(playbook.get("target_daily_conversions")):
                problems.append(f"{path}.state: {state} needs playbook.target_daily_conversions")
        for j, act in enumerate(rule.get("actions") or ()):
            if not isinstance(act, Mapping):
                continue
            where = f"rules.{i}.actions.{j}"
            for key in ("channel", "from_channel", "to_channel"):
                ch = act.get(key)
                if isinstance(ch, str) and channels and ch not in channels:
                    problems.append(
                        f"{where}.{key}: unknown channel {ch!r}{_suggest(ch, list(channels), ',')}"
                    )
            v = act.get("value")
            if act.get("do") == "set_bonus_bp" and _number(v) and _number(cap_bonus) and v > cap_bonus:
                problems.append(f"{where}.value: bonus {v} bp is above playbook.max_bonus_bp ({cap_bonus})")
            if act.get("do") == "set_cashback" and _number(v) and _number(cap_cash) and v > cap_cash:
                problems.append(f"{where}.value: cashback {v} is above playbook.max_cashback ({cap_cash})")
    return problems


def _states(when: Any, path: str) -> list[tuple[str, Any]]:
    if not isinstance(when, Mapping):
        return []
    out = [(path, when["state"])] if "state" in when else []
    for key in ("all", "any"):
        for k, sub in enumerate(when.get(key) or () if isinstance(when.get(key), (list, tuple)) else ()):
            out += _states(sub, f"{path}.{key}.{k}")
    return out


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
