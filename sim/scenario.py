"""The scenario schema: every field a planner may write, with types, ranges and rules.

Validated once, at load (see :mod:`sim.loading`); the engine trusts it afterwards.
Money is in the scenario's ``currency`` and in *real* customer-base units; the model
scales it to the simulated population with ``population.represents / population.size``.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.data_schema import Schedule, Uncertainty
from sim.distributions import Value
from sim.inputs import InputWarning, Strict, name_problem, support
from sim.rules_schema import Playbook, Rule
from sim.scenario_checks import cross_field_problems
from sim.shock_kinds import SHOCK_KINDS, Shock  # noqa: F401 - SHOCK_KINDS re-exported

STAGES = ("unaware", "aware", "considering", "converted", "retained", "churned", "dropped")
PRODUCTS = ("term_deposit", "wealth", "fund_etf", "brokerage_account", "credit_card")
CHANNEL_KINDS = ("online", "offline")
NETWORK_KINDS = ("small_world", "scale_free", "homophily", "complete", "none")
MAX_CAMPAIGN_DAYS = 3650


class Population(Strict):
    size: int = Field(20_000, ge=10, le=50_000_000, description="simulated customers")
    represents: float | None = Field(
        None,
        gt=0,
        description="real customers the simulation stands for, i.e. the market size (default: size); "
        "a float so that calibration can fit it",
    )
    agents: bool = Field(True, description="create Mesa CustomerAgent views")

    @property
    def scale(self) -> float:
        return (self.represents or self.size) / self.size


class Segment(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    share: float = Field(gt=0, le=1)
    balance: Value = Field(description="investable balance in currency")
    current_rate_pp: Value = Field(1.5, description="rate the customer earns today, % a year")
    risk_appetite: Value = Field(3.0, description="1 (capital protection) .. 5 (aggressive)")
    digital_affinity: Value = 0.5
    trust: Value = 0.7
    loss_aversion: Value = 2.25
    curvature: Value = 0.88
    anchor_weight: Value = Field(0.3, description="weight of the advertised 'original' rate")
    anchor_speed: Value = Field(0.2, description="daily partial adjustment of the reference")
    fomo: Value = 1.0
    social_proof: Value = 1.0
    value_sensitivity: Value = Field(2.0, description="logit weight on prospect value")
    threshold: Value = Field(1.0, description="utility a customer needs before acting")
    churn_hazard: float = Field(0.002, ge=0, le=1, description="daily churn after conversion")
    rate_chasing: float = Field(0.5, ge=0, description="extra churn per pp of bonus")
    eligible: float = Field(1.0, ge=0, le=1, description="share eligible for the offer")
    initially_aware: float = Field(0.0, ge=0, le=1)
    new_money_share: float = Field(0.6, ge=0, le=1, description="share of amount new to bank")
    amount_share: float = Field(0.5, gt=0, le=1, description="share of balance moved")


class Offer(Strict):
    product: Literal[PRODUCTS]  # type: ignore[valid-type]
    base_rate_pp: float = Field(0.0, ge=-5, le=50, description="rate without bonus, % a year")
    rate_pass_through: float = Field(
        0.0, ge=0, le=1,
        description="share of a move in market rates (macro shocks, a replayed market_shift_pp) "
        "the product's own rate follows",
    )  # fmt: skip
    list_rate_pp: float | None = Field(
        None, ge=-5, le=100, description="advertised 'original' rate or price anchor, % a year"
    )
    contrast_rate_pp: float | None = Field(
        None, ge=-5, le=100, description="a contrast group's rate shown beside the offer, % a year"
    )
    bonus_bp: float = Field(0.0, ge=0, le=2000)
    cashback: float = Field(0.0, ge=0)
    perk_value: float = Field(0.0, ge=0, description="money value of perks per customer")
    fee_pp: float = Field(0.0, ge=0, le=20)
    min_amount: float = Field(0.0, ge=0)
    max_amount: float | None = Field(None, gt=0)
    term_days: int = Field(90, ge=1, le=3650)
    lockup_days: int = Field(0, ge=0, le=3650)
    early_withdrawal_penalty_pp: float = Field(0.0, ge=0, le=20)
    risk_level: int = Field(1, ge=1, le=5)
    guaranteed: bool = True
    expected_return_pp: float = Field(0.0, ge=-50, le=100)
    loss_probability: float = Field(0.0, ge=0, le=1)
    loss_size_pp: float = Field(0.0, ge=0, le=100)
    quota: int | None = Field(None, ge=1, description="max conversions, real customers")
    quota_visible: bool = True
    frame: Literal["gain", "loss"] = "gain"
    claims: tuple[str, ...] = ()
    margin_bp: float = Field(100.0, ge=-1000, le=5000, description="bank margin, bp a year")
    suitability_check: bool = Field(True, description="block sales above risk appetite")
    on_incentive_exhausted: Literal["continue_without_bonus", "stop_offer", "end_campaign"] = Field(
        "continue_without_bonus",
        description="when the incentive pool runs out: keep selling without incentives; close the "
        "offer (booked media runs on); or close the offer and stop paid media",
    )

    @model_validator(mode="after")
    def _rules(self) -> Offer:
        if self.max_amount is not None and self.max_amount < self.min_amount:
            raise ValueError("max_amount must be at least min_amount")
        if self.guaranteed and self.loss_probability > 0:
            raise ValueError("a guaranteed product cannot have loss_probability > 0")
        return self


class Phase(Strict):
    name: str
    start: int = Field(ge=0, description="first day (0-based)")
    end: int = Field(ge=0, description="last day, inclusive")
    spend_weight: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Calendar(Strict):
    # 10 years: room for a multi-year campaign replay (2008-05..2010-11 in calendar days is
    # 944); per-channel contact counts (uint16) stay below 65,535 even with the rules'
    # largest extension (playbook.max_extension_days <= 730)
    days: int = Field(30, ge=1, le=MAX_CAMPAIGN_DAYS, description="campaign length (at most 10 years)")
    observation_days: int = Field(30, ge=0, le=730, description="post-campaign window")
    phases: tuple[Phase, ...] = ()

    @model_validator(mode="after")
    def _inside(self) -> Calendar:
        for i, p in enumerate(self.phases):
            if p.end >= self.days:
                raise ValueError(
                    f"phases[{i}] ({p.name}) ends on day {p.end}, "
                    f"outside the campaign (days 0..{self.days - 1})"
                )
        return self


class Channel(Strict):
    kind: Literal[CHANNEL_KINDS]  # type: ignore[valid-type]
    budget_share: float = Field(ge=0, le=1)
    cost_per_contact: float | None = Field(None, ge=0)
    cpm: float | None = Field(None, ge=0, description="cost per 1000 impressions")
    daily_capacity: int = Field(ge=0, description="contacts a day, real customers")
    reach: dict[str, float] = Field(default_factory=dict, description="by segment, 0..1")
    default_reach: float = Field(0.5, ge=0, le=1)
    awareness: float = Field(ge=0, le=1, description="P(aware | contacted)")
    consideration: float = Field(ge=0, le=1, description="P(considering | contacted, aware)")
    frequency_cap: int = Field(
        5, ge=1, le=65_535, description="contacts per customer per campaign (uint16 counters)"
    )
    fatigue: float = Field(0.3, ge=0, description="effect decay per earlier contact")
    complaint_rate: float = Field(0.0, ge=0, le=1, description="complaints per contact")
    # A call or a branch visit is a conversation: the contact that makes a customer aware
    # (or brings back one who lost interest) can also make them consider, where an ad's
    # impression moves a customer one stage per contact.
    conversation: bool = Field(False, description="a contact can make aware and considering at once")
    # A list ranked by a propensity model, or retargeting: customers who show interest
    # (aware or considering at the day's start) are k times as likely to be picked.
    interest_priority: float = Field(
        1.0, gt=0, le=1e6, description="reach weight factor for customers showing interest"
    )

    @model_validator(mode="after")
    def _price(self) -> Channel:
        if (self.cost_per_contact is None) == (self.cpm is None):
            raise ValueError("give exactly one of cost_per_contact or cpm")
        for seg, r in self.reach.items():
            if not 0 <= r <= 1:
                raise ValueError(f"reach.{seg} must be within 0..1, got {r}")
        return self

    @property
    def unit_cost(self) -> float:
        return self.cost_per_contact if self.cost_per_contact is not None else self.cpm / 1000


class Budget(Strict):
    total: float = Field(ge=0)
    fixed_costs: float = Field(0.0, ge=0)
    risk_reserve_share: float = Field(0.0, ge=0, lt=1)
    marketing_share: float = Field(0.5, ge=0, le=1, description="of spendable, for channels")
    pacing: Literal["even", "front_loaded", "phases"] = "phases"

    @model_validator(mode="after")
    def _fits(self) -> Budget:
        if self.fixed_costs > self.total * (1 - self.risk_reserve_share):
            raise ValueError("fixed_costs exceed the budget left after the risk reserve")
        return self


class Referral(Strict):
    invite_rate: float = Field(0.0, ge=0, le=50, description="invitations a day per converter")
    active_days: int = Field(14, ge=0, description="days after converting a customer invites")
    max_invites: int = Field(10, ge=0, le=1_000_000, description="per converter (int32 counters)")
    accept_probability: float = Field(0.3, ge=0, le=1)
    to_stage: Literal["aware", "considering"] = "considering"
    trust_boost: float = Field(0.1, ge=0, le=1)
    inviter_reward: float = Field(0.0, ge=0)
    invitee_reward: float = Field(0.0, ge=0)


class Network(Strict):
    kind: Literal[NETWORK_KINDS] = "small_world"  # type: ignore[valid-type]
    mean_degree: float = Field(10, ge=0, le=500)
    rewire: float = Field(0.1, ge=0, le=1)
    homophily: float = Field(0.8, ge=0, le=1)


class Diffusion(Strict):
    """Bass (1969) direct adoption: hazard p + q * share of converted neighbours."""

    innovation: float = Field(0.0, ge=0, le=1)
    imitation: float = Field(0.0, ge=0, le=5)
    bypass_journey: bool = Field(False, description="adopt straight from any stage")


class Behaviour(Strict):
    """Behavioural coefficients (docs/ODD.md, submodels 7.4-7.9: equations and sources)."""

    decision_rate: float = Field(0.3, ge=0, le=1, description="max daily P(decide)")
    consider_rate: float = Field(0.05, ge=0, le=1, description="base daily aware->considering")
    drop_rate: float = Field(0.02, ge=0, le=1, description="daily P(lose interest)")
    reengage: float = Field(0.5, ge=0, le=1, description="contact effect on dropped")
    urgency_days: float = Field(5.0, gt=0, le=365, description="deadline decay scale")
    scarcity_weight: float = Field(1.0, ge=0, le=20)
    scarcity_shape: float = Field(2.0, ge=0.25, le=5, description="curvature of quota scarcity")
    urgency_pace: float = Field(1.0, ge=0, le=20, description="how strongly urgency pulls decisions forward")
    trust_weight: float = Field(1.0, ge=0, le=20)
    lockup_cost_pp: float = Field(0.5, ge=0, le=20, description="pp a year per year of lock-up")
    early_withdrawal_weight: float = Field(
        0.1, ge=0, le=1, description="share of the early-withdrawal penalty felt as a yearly cost"
    )
    risk_penalty: float = Field(0.5, ge=0, le=20, description="utility per level above appetite")
    frame_strength: float = Field(0.2, ge=0, le=1, description="largest utility shift of a loss frame")
    frame_pivot: float = Field(2.5, ge=1, le=5, description="risk level where framing is neutral")
    frame_span: float = Field(1.5, ge=0.5, le=4, description="risk levels from pivot to full tilt")
    market_beta: tuple[float, float, float, float, float] = Field(
        (0.0, 0.15, 0.4, 1.0, 1.3), description="exposure of risk levels R1..R5 to a market drop"
    )
    drop_salience: float = Field(2.0, ge=0, le=10, description="felt loss probability per exposed drop")
    flight_to_safety: float = Field(3.0, ge=0, le=20, description="utility of guaranteed products per drop")
    market_drop_appetite_shift: float = Field(2.0, ge=0, le=10, description="appetite lost per unit drop")
    inflation_appetite_shift: float = Field(0.2, ge=0, le=2, description="appetite lost per pp inflation")
    inflation_reference_pass: float = Field(
        0.5, ge=0, le=1, description="share of inflation passed into reference rates"
    )
    misleading_risk_hidden: float = Field(
        0.5, ge=0, le=1, description="share of loss risk a misleading claim hides"
    )
    word_of_mouth: float = Field(0.0, ge=0, le=1, description="aware from converted friends")
    repeat_purchase: float = Field(
        0.0,
        ge=0,
        le=1,
        description="P(a holder reached by a contact buys again), before fatigue; 0: nobody buys twice",
    )

    @field_validator("market_beta")
    @classmethod
    def _betas(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not (0.0 <= b <= 3.0) for b in v):
            raise ValueError(f"each beta must be between 0 and 3, got {list(v)}")
        return v


class Complaints(Strict):
    outage: float = Field(
        0.01, ge=0, le=1, description="P(complain) of a customer who tried to act during an outage"
    )
    outage_blocked_factor: float = Field(
        3.0, ge=1, le=20, description="how many times more a blocked buyer complains"
    )
    mis_selling: float = Field(0.05, ge=0, le=1, description="P(complain) per unsuitable sale")
    misleading_claim: float = Field(0.02, ge=0, le=1, description="per sale with a bad claim")
    misleading_claims: tuple[str, ...] = ("guaranteed_principal", "risk_free", "guaranteed_return")


class ValueHorizon(Strict):
    """How long the bank earns margin on the money a campaign brings (see :mod:`sim.value`)."""

    horizon_years: float | None = Field(
        None, ge=0, le=50, description="years margin is earned over (default: one product term)"
    )
    renewal: float | None = Field(
        None, ge=0, le=1, description="P(money rolls over at each term end); default from churn_hazard"
    )
    discount_rate: float = Field(0.08, ge=0, le=1, description="annual discount rate d")


class Compliance(Strict):
    """Costs of getting conduct wrong, booked in net value (see :mod:`sim.value`)."""

    complaint_cost: float = Field(500.0, ge=0, description="handling cost per complaint")
    remediation_per_case: float = Field(
        3000.0, ge=0, description="redress and admin per mis-sold case (its margin is also forfeited)"
    )
    misleading_claim_fine: float = Field(
        5_000_000.0, ge=0, description="regulatory fine for misleading claims (5M CNY cited)"
    )
    fine_probability: float = Field(0.5, ge=0, le=1, description="P(fined) once such a claim was used")


class Target(Strict):
    """A goal on one summary KPI: ``at_least`` and/or ``at_most`` (see :mod:`sim.targets`)."""

    at_least: float | None = Field(None, description="the KPI must be at least this")
    at_most: float | None = Field(None, description="the KPI must be at most this")

    @model_validator(mode="after")
    def _bounded(self) -> Target:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_most < self.at_least:
            raise ValueError(f"at_most ({self.at_most}) is below at_least ({self.at_least})")
        return self


CROSS_FIELDS = {"segments", "channels", "shocks", "network", "targets", "rules", "playbook", "offer"}


class Scenario(Strict):
    name: str = Field(description="names the result folder (as a slug); at most 80 characters")
    description: str = ""
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    population: Population = Population()
    segments: tuple[Segment, ...] = Field(min_length=1)
    offer: Offer
    calendar: Calendar = Calendar()
    channels: dict[str, Channel] = Field(default_factory=dict)
    budget: Budget
    referral: Referral = Referral()
    network: Network = Network()
    diffusion: Diffusion = Diffusion()
    behaviour: Behaviour = Behaviour()
    complaints: Complaints = Complaints()
    shocks: tuple[Shock, ...] = ()
    value: ValueHorizon = ValueHorizon()
    compliance: Compliance = Compliance()
    market_rate_pp: float = Field(1.5, description="prevailing market rate, % a year")
    baseline: bool = Field(
        True, description="pair each replication with its campaign-off run (incremental KPIs)"
    )
    targets: dict[str, Target] = Field(
        default_factory=dict, description="goals on summary KPIs; P(hit) in summary and report"
    )
    playbook: Playbook = Playbook()
    rules: tuple[Rule, ...] = Field((), description="in-flight rules (see sim.rules_schema)")
    schedule: Schedule | None = Field(
        None, description="per-day inputs replayed in the run (campaign replay)"
    )
    uncertainty: Uncertainty | None = Field(None, description="posterior draws carried from a calibration")

    @model_validator(mode="after")
    def _replayed_channels(self) -> Scenario:
        if self.schedule is None:
            return self
        problems = []
        for key in ("contacts", "to_subscribers", "to_contacts"):
            for name in sorted(set(getattr(self.schedule, key)) - set(self.channels)):
                near = difflib.get_close_matches(name, list(self.channels), n=1, cutoff=0.5)
                hint = f"; did you mean {near[0]!r}?" if near else f" (channels: {', '.join(self.channels)})"
                problems.append(f"schedule.{key}: {name!r} is not a channel{hint}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _runnable_draws(self) -> Scenario:
        from sim.uncertainty import draw_problems  # it validates drawn scenarios with this class

        if problems := draw_problems(self):
            raise ValueError("; ".join(problems))
        return self

    @field_validator("name")
    @classmethod
    def _usable_name(cls, name: str) -> str:
        if problem := name_problem(name):
            raise ValueError(problem)
        return name

    @model_validator(mode="after")
    def _cross(self) -> Scenario:
        problems = cross_field_problems(self.model_dump(include=CROSS_FIELDS))
        for i, shock in enumerate(self.shocks):
            if support(shock.start)[0] >= self.horizon:
                warnings.warn(
                    f"{self.name}: shocks.{i}.start: the shock starts on day {support(shock.start)[0]:g} "
                    f"or later, after the horizon (days 0..{self.horizon - 1}): it never takes effect",
                    InputWarning,
                    stacklevel=2,
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @staticmethod
    def raw_problems(data: Mapping[str, Any]) -> list[str]:
        """Cross-field problems of unvalidated data, so they are reported alongside field
        errors rather than only once every field is valid."""
        return cross_field_problems(data)

    @property
    def horizon(self) -> int:
        return self.calendar.days + self.calendar.observation_days
