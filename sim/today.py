"""What the journey needs to know about today: one frozen value, the same for every
customer, built once a day by the model (:func:`today`) and passed to :mod:`sim.journey`
with the customer columns.

It gathers the day's offer terms, the scenario's behaviour parameters and everything the
day's environment changes in the journey's equations (felt risk, utility and appetite
shifts, the reference rates' drift), so the journey functions read arrays and this value,
never the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from sim import behaviour as bh
from sim import equations as eq
from sim.scenario import Behaviour, Scenario
from sim.shock_kinds import Environment
from sim.terms import OfferTerms

# The day's shared values come from the same scalar equations, run as plain Python: a
# handful of calls a day, where loading each compiled form would cost more than the run.
_eq = SimpleNamespace(
    **{
        name: getattr(eq, name).py_func
        for name in (
            "urgency", "decision_hazard", "probability_weight", "felt_loss_probability", "felt_loss_size",
            "frame_tilt", "framing_shift", "flight_to_safety",
        )
    }
)  # fmt: skip


@dataclass(frozen=True)
class Today:
    """The day's shared inputs of the journey's equations.

    ``urgency``: urgency per unit of FOMO (:func:`sim.equations.urgency` at fomo = 1; it is
    linear in FOMO), 0 once the campaign is over; ``decision_hazard``: the daily decision
    hazard (:func:`sim.equations.decision_hazard`); ``offer_rate``: the product's own rate,
    pp a year; ``costs_pp``: fees and lock-up disutility, pp a year; ``term_years``: the
    product's term;
    ``p_loss``/``loss_pp``: the loss probability and size felt today (:func:`felt_risk`);
    ``w_good``/``w_bad``: their rank-dependent decision weights; ``utility_shift``: the
    additive utility shared by everyone (frame, flight to safety); ``appetite_shift``: risk
    appetite lost today; ``risk_level``/``suitability``: the product's risk level and
    whether sales are checked against appetite; ``own_shift``: today's move of the rate a
    customer earns (market and inflation), pp; ``rival_rate``: a rival's rate seen today
    (None: no rival); ``creative_anchor``: the creative's anchor (NaN: none).
    """

    terms: OfferTerms
    behaviour: Behaviour
    urgency: float
    decision_hazard: float
    offer_rate: float
    costs_pp: float
    term_years: float
    p_loss: float
    loss_pp: float
    w_good: float
    w_bad: float
    utility_shift: float
    appetite_shift: float
    risk_level: int
    suitability: bool
    own_shift: float
    rival_rate: float | None
    creative_anchor: float

    @property
    def kernel_inputs(self) -> tuple:
        """The day's inputs of :func:`sim.journey_kernels.conversion_odds`, in its order."""
        b, t = self.behaviour, self.terms
        return (
            self.offer_rate, t.bonus_pp, t.extras, self.costs_pp, self.term_years, self.loss_pp,
            self.w_good, self.w_bad, self.utility_shift, self.appetite_shift, float(self.risk_level),
            bool(self.suitability), b.trust_weight, b.risk_penalty, self.urgency, self.decision_hazard,
            b.urgency_pace,
        )  # fmt: skip


def today(
    sc: Scenario,
    env: Environment,
    terms: OfferTerms,
    *,
    days_left: int,
    quota_left_share: float,
    offer_rate: float,
    creative_anchor: float,
    misleading: bool,
) -> Today:
    """Today's :class:`Today` from the scenario, the day's environment and terms, the
    campaign days left after today (negative once it is over), the visible share of the
    quota left, the product's own rate, the creative's anchor and whether today's offer
    makes a misleading claim."""
    o, b = sc.offer, sc.behaviour
    p_loss, loss_pp = felt_risk(sc, env, misleading)
    urgency = 0.0  # none once the campaign is over
    if days_left >= 0:
        urgency = _eq.urgency(
            days_left, quota_left_share, 1.0, b.urgency_days, b.scarcity_weight, b.scarcity_shape
        )
    return Today(
        terms=terms,
        behaviour=b,
        urgency=urgency,
        decision_hazard=_eq.decision_hazard(b.decision_rate),
        offer_rate=offer_rate,
        costs_pp=costs(sc),
        term_years=o.term_days / 365,
        p_loss=p_loss,
        loss_pp=loss_pp,
        w_good=_eq.probability_weight(1.0 - p_loss, eq.TK92_GAMMA),  # as in sim.equations.cpt_value
        w_bad=_eq.probability_weight(p_loss, eq.TK92_DELTA),
        utility_shift=utility_shift(sc, env, terms.loss_frame),
        appetite_shift=appetite_shift(b, env),
        risk_level=o.risk_level,
        suitability=o.suitability_check,
        own_shift=float(env.market_shift_pp + b.inflation_reference_pass * env.inflation_pp),
        rival_rate=env.competitor_rate,
        creative_anchor=creative_anchor,
    )


def costs(sc: Scenario) -> float:
    """Fees, lock-up disutility and the felt share of an early-withdrawal penalty, pp a year."""
    o, b = sc.offer, sc.behaviour
    return (
        o.fee_pp
        + b.lockup_cost_pp * o.lockup_days / 365
        + o.early_withdrawal_penalty_pp * b.early_withdrawal_weight
    )


def felt_risk(sc: Scenario, env: Environment, misleading: bool) -> tuple[float, float]:
    """(loss probability, loss size in pp) a customer feels today: the offer's own, raised
    by a market drop in proportion to the product's exposure (:func:`sim.behaviour.felt_downside`),
    with a share of the probability hidden by a misleading claim."""
    o, b = sc.offer, sc.behaviour
    beta = bh.market_exposure(o.risk_level, o.guaranteed, b.market_beta)
    p = _eq.felt_loss_probability(o.loss_probability, env.market_drop, beta, b.drop_salience)
    if misleading:
        p *= 1.0 - b.misleading_risk_hidden  # "guaranteed principal" on a risky product
    return min(p, 1.0), _eq.felt_loss_size(o.loss_size_pp, env.market_drop, beta)


def utility_shift(sc: Scenario, env: Environment, loss_frame: bool) -> float:
    """Today's additive utility terms shared by every customer: the loss frame's shift
    (:func:`sim.behaviour.framing_shift`; the frame rules may change) and flight to safety
    during a market drop (:func:`sim.behaviour.flight_to_safety`)."""
    o, b = sc.offer, sc.behaviour
    tilt = _eq.frame_tilt(o.risk_level, o.guaranteed, b.frame_pivot, b.frame_span)
    frame = _eq.framing_shift(loss_frame, tilt, b.frame_strength)
    return frame + _eq.flight_to_safety(env.market_drop, o.guaranteed, b.flight_to_safety)


def appetite_shift(b: Behaviour, env: Environment) -> float:
    """Risk-appetite levels lost today to inflation and a market drop."""
    return float(
        b.inflation_appetite_shift * env.inflation_pp + b.market_drop_appetite_shift * env.market_drop
    )
