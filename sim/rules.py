"""Adaptive playbooks: the scenario's ``[[rules]]`` evaluated once a day.

Fixed point of the daily order: after the day's environment is known, before marketing.
Every rule reads the same snapshot of the state (:func:`read_state`: flows up to the end of
yesterday, today's environment and terms), so the order of rules never changes what they
see; the actions of rules that hold apply in declaration order. A rule is evaluated only
inside its ``from_day``..``until_day`` window, at most ``max_fires`` times, and after a
firing on day t not again before day t + 1 + ``cooldown``. Every action that fires is
recorded (:data:`COLUMNS`), with the value it changed before and after.

Rules that never fire change nothing: no random number is drawn here, so such a run is
bit-identical to the same run without them.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.population import offer_rate
from sim.rules_schema import Action, Condition, Rule, When
from sim.shock_kinds import SHOCK_KINDS

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.shocks import Environment

COLUMNS = ("day", "rule", "action", "target", "value_before", "value_after")
NO_RIVAL_GAP = -1000.0
_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def holds(when: When | Condition, state: dict[str, float | bool | str]) -> bool:
    """Whether a condition (or ``all``/``any`` of several) holds in ``state``."""
    if isinstance(when, When) and when.all is not None:
        return all(holds(c, state) for c in when.all)
    if isinstance(when, When) and when.any is not None:
        return any(holds(c, state) for c in when.any)
    return bool(_OPS[when.op](state[when.state], when.value))


def read_state(m: CampaignModel, env: Environment, totals: dict[str, float]) -> dict[str, float | bool | str]:
    """The documented state (:data:`sim.rules_schema.STATE`) at the start of day ``m.day``."""
    sc, led, live = m.sc, m.ledger, m.live
    d = m.day
    real_n = m.pop.size * m.scale
    target = sc.playbook.target_daily_conversions
    elapsed = min(d, m.campaign_days)
    pace = (totals["conversions"] / (target * elapsed) if elapsed else 1.0) if target else np.nan
    quota_used = 0.0
    if m.quota_left is not None:
        quota_used = 1 - m.quota_left / max(round(sc.offer.quota / m.scale), 1)
    rival = NO_RIVAL_GAP
    if env.competitor_rate is not None:
        rival = env.competitor_rate - (offer_rate(sc.offer, env.market_shift_pp) + live.bonus_bp / 100)
    marketing_left = max(led.marketing_pool - led.marketing_spent, 0.0)
    state: dict[str, float | bool | str] = {
        "day": d,
        "days_left": m.campaign_days - 1 - d,
        "phase": env.phase,
        "conversions": totals["conversions"],
        "daily_conversions": totals["yesterday"],
        "pace_ratio": pace,
        "daily_pace_ratio": totals["yesterday"] / target if target else np.nan,
        "quota_used_share": quota_used,
        "incentive_left": led.incentive_left,
        "incentive_left_share": _share(led.incentive_left, led.incentive_start),
        "budget_left": marketing_left,
        "budget_left_share": _share(marketing_left, led.marketing_pool),
        "complaints_per_10k": totals["complaints_expected"] / real_n * 1e4,
        "rival_gap_pp": rival,
        "incentives_on": led.incentives_on,
        "bonus_bp": live.bonus_bp,
        "cashback": live.cashback,
    }
    for kind in SHOCK_KINDS:
        state[f"shock.{kind}"] = kind in env.active_kinds
    for name, is_open in env.channel_open.items():
        state[f"channel.{name}"] = is_open and name not in m.paused
    return state


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


@dataclass
class RuleBook:
    """The run's rules, their firing counts and the record of every action taken."""

    rules: tuple[Rule, ...]
    fires: list[int] = field(init=False)
    last_fired: list[int] = field(init=False)
    records: list[dict] = field(default_factory=list)
    totals: dict[str, float] = field(
        default_factory=lambda: {"conversions": 0.0, "yesterday": 0.0, "complaints_expected": 0.0}
    )

    def __post_init__(self) -> None:
        self.fires = [0] * len(self.rules)
        self.last_fired = [-(10**9)] * len(self.rules)

    def evaluate(self, m: CampaignModel, env: Environment) -> bool:
        """Evaluate every rule on day ``m.day`` and apply the actions of those that hold;
        True when one fired."""
        if m.records:  # fold yesterday's flows into the running totals
            rec = m.records[-1]
            self.totals["conversions"] += rec["new_conversions"]
            self.totals["yesterday"] = rec["new_conversions"]
            self.totals["complaints_expected"] += rec["complaints_expected"]
        d = m.day
        due = [
            i
            for i, r in enumerate(self.rules)
            if r.from_day <= d
            and (r.until_day is None or d <= r.until_day)
            and (r.max_fires is None or self.fires[i] < r.max_fires)
            and d >= self.last_fired[i] + 1 + r.cooldown
        ]
        if not due:
            return False
        state = read_state(m, env, self.totals)
        firing = [i for i in due if holds(self.rules[i].when, state)]
        for i in firing:
            rule = self.rules[i]
            self.fires[i] += 1
            self.last_fired[i] = d
            for action in rule.actions:
                target, before, after = apply(m, env, action)
                self.records.append(
                    {"day": d, "rule": rule.name, "action": action.do, "target": target,
                     "value_before": float(before), "value_after": float(after)}
                )  # fmt: skip
        return bool(firing)

    def fire_counts(self) -> dict[str, float]:
        """Firings per rule, as summary columns ``rule_fires.<name>``."""
        return {f"rule_fires.{r.name}": float(n) for r, n in zip(self.rules, self.fires, strict=True)}


def apply(m: CampaignModel, env: Environment, a: Action) -> tuple[str, float, float]:
    """Carry out one action on the model; returns (what it changed, value before, after).

    Flags are recorded as 1/0 (channel open, claim made, loss frame); the campaign length in
    days; budget moves as the share of the channel money is taken from."""
    live, led, pb = m.live, m.ledger, m.sc.playbook
    do = a.do
    if do in ("set_bonus_bp", "shift_bonus_bp"):
        before = live.bonus_bp
        new = a.value if do == "set_bonus_bp" else before + a.value
        live.bonus_bp = float(min(max(new, 0.0), pb.max_bonus_bp))
        return "offer.bonus_bp", before, live.bonus_bp
    if do in ("set_cashback", "shift_cashback"):
        before = live.cashback
        new = a.value if do == "set_cashback" else before + a.value
        cap = np.inf if pb.max_cashback is None else pb.max_cashback
        live.cashback = float(min(max(new, 0.0), cap))
        return "offer.cashback", before, live.cashback
    if do == "move_budget":
        c_from, c_to = m.channel_names.index(a.from_channel), m.channel_names.index(a.to_channel)
        before = float(led.channel_shares[c_from])
        led.move_share(c_from, c_to, a.value)
        return f"{a.from_channel}->{a.to_channel}", before, float(led.channel_shares[c_from])
    if do in ("pause_channel", "resume_channel"):
        before = float(a.channel not in m.paused)
        if do == "pause_channel":
            m.paused.add(a.channel)
        else:
            m.paused.discard(a.channel)
        return f"channel.{a.channel}", before, float(a.channel not in m.paused)
    if do in ("extend_campaign", "end_campaign"):
        before = m.campaign_days
        if do == "extend_campaign":
            room = pb.max_extension_days - (m.campaign_days - m.sc.calendar.days)
            m.set_campaign_days(m.campaign_days + int(min(a.value, max(room, 0))))
        elif m.day < m.campaign_days:
            m.set_campaign_days(m.day)
        return "calendar.days", before, m.campaign_days
    if do == "top_up_incentives":
        before = led.incentive_left
        if led.top_up(a.value) > 0 and led.incentives_on:
            m.offer_withdrawn = False  # an offer closed for lack of money reopens
        return "incentive_left", before, led.incentive_left
    if do == "set_frame":
        before = float(live.frame == "loss")
        live.frame = a.frame
        return "offer.frame (1 = loss)", before, float(live.frame == "loss")
    # add_claim / drop_claim
    before = float(a.claim in live.claims)
    if do == "add_claim" and a.claim not in live.claims and a.claim not in env.banned_claims:
        live.claims = (*live.claims, a.claim)
    elif do == "drop_claim":
        live.claims = tuple(c for c in live.claims if c != a.claim)
    return f"claim.{a.claim}", before, float(a.claim in live.claims)
