"""The journey's daily probabilities for a set of customers (considering the offer,
converting to it) and the daily move of their reference rates, each in two forms that
give bit-identical numbers.

``*_reference`` is the readable form, a chain of :mod:`sim.behaviour` equations over
numpy arrays. The default form evaluates the same operations in the same order and
precision, fused per customer by :mod:`sim.journey_kernels`, with numpy still computing every
power, ``tanh`` and ``expm1``: a few calls per stage instead of ~70, which is most of a
day's cost at 10k customers. ``tests/test_journey.py`` checks that both agree exactly.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as bh
from sim import journey_kernels as kernels
from sim.population import CONSIDERING, DROPPED

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.shocks import Environment


def urgency_factor(m: CampaignModel) -> float | None:
    """Today's urgency per unit of FOMO (:func:`sim.behaviour.urgency`); None once the
    campaign is over (no urgency at all)."""
    days_left, q_left = _time_and_quota_left(m)
    if days_left < 0:
        return None
    b = m.sc.behaviour
    return _urgency_per_fomo(days_left, q_left, b.urgency_days, b.scarcity_weight, b.scarcity_shape)


@lru_cache(maxsize=256)
def _urgency_per_fomo(days_left: int, q_left: float, scale_days: float, weight: float, shape: float) -> float:
    return float(bh.urgency(days_left, q_left, 1.0, scale_days, weight, shape))


@lru_cache(maxsize=64)
def either(p: float, q: float) -> float:
    """P(at least one of two independent events), :func:`sim.behaviour.combine_probabilities`."""
    return float(bh.combine_probabilities(p, q))


@lru_cache(maxsize=64)
def decision_weights(p_loss: float) -> tuple[float, float]:
    """The rank-dependent weights :func:`sim.behaviour.cpt_value` gives the good and the bad
    outcome when the bad one has probability ``p_loss``."""
    w_good = bh.probability_weight(1.0 - np.asarray(p_loss), bh.TK92_GAMMA)
    return float(w_good), float(bh.probability_weight(p_loss, bh.TK92_DELTA))


def urgency(m: CampaignModel, idx: np.ndarray) -> np.ndarray:
    """Today's urgency of customers ``idx`` (:func:`sim.behaviour.urgency`)."""
    days_left, q_left = _time_and_quota_left(m)
    if days_left < 0:
        return np.zeros(idx.size, dtype=np.float32)
    b = m.sc.behaviour
    return bh.urgency(days_left, q_left, m.pop.fomo[idx], b.urgency_days, b.scarcity_weight, b.scarcity_shape)


def _time_and_quota_left(m: CampaignModel) -> tuple[int, float]:
    """Campaign days left after today, and the visible share of the quota left."""
    sc = m.sc
    q_left = 1.0
    if m.quota_left is not None and sc.offer.quota_visible:
        q_left = m.quota_left / max(round(sc.offer.quota / m.scale), 1)
    return m.campaign_days - 1 - m.day, q_left


# ---------------------------------------------------------------- consideration
def consider(m: CampaignModel, cand: np.ndarray, u: np.ndarray) -> None:
    """Aware customers ``cand`` consider the offer at the hazard
    ``consider_rate * trust * (1 + urgency + social proof)`` or drop out at ``drop_rate``;
    ``u`` holds one uniform each."""
    factor = urgency_factor(m)
    if factor is None:  # no urgency: numpy's float32 path, kept as it is
        consider_reference(m, cand, u)
        return
    pop, b = m.pop, m.sc.behaviour
    neg_rate = np.empty(cand.size)
    kernels.consideration_rates(
        cand, pop.trust, pop.fomo, pop.social_proof, m.adopter_share(cand), factor, b.consider_rate, neg_rate
    )
    kernels.settle_hazard(cand, u, np.expm1(neg_rate), b.drop_rate, pop.stage, CONSIDERING, DROPPED)


def consider_reference(m: CampaignModel, cand: np.ndarray, u: np.ndarray) -> None:
    pop, b = m.pop, m.sc.behaviour
    u_term = urgency(m, cand)
    s_term = bh.social_proof(m.adopter_share(cand), pop.social_proof[cand])
    rate = b.consider_rate * pop.trust[cand] * (1.0 + u_term + s_term)
    p_cons = bh.hazard_probability(rate)
    pop.stage[cand[u < p_cons]] = CONSIDERING
    pop.stage[cand[(u >= p_cons) & (u < p_cons + b.drop_rate)]] = DROPPED


# ---------------------------------------------------------------- conversion
def conversion_odds(m: CampaignModel, idx: np.ndarray, env: Environment, p_drop: np.ndarray | float) -> tuple:
    """(P(convert today), P(convert) + P(drop out) today) of considering customers
    ``idx``, with ``p_drop`` the chance of dropping out of those who do not convert."""
    factor = urgency_factor(m)
    if factor is None:
        p = conversion_probability_reference(m, idx, env)
        return p, p + (1 - p) * p_drop
    sc, pop = m.sc, m.pop
    o, b, terms = sc.offer, sc.behaviour, m.terms
    p_loss, loss_pp = felt_risk(m, env)
    n = idx.size
    x_good, x_bad, abs_good, abs_bad = (np.empty(n) for _ in range(4))
    alpha = np.empty(n, dtype=np.float32)
    kernels.offer_outcomes_at(
        idx, pop.amount, pop.reference, pop.curvature, terms.extras, o.term_days / 365,
        terms.bonus_pp, _costs(m), m.offer_rate, loss_pp,
        x_good, x_bad, abs_good, abs_bad, alpha,
    )  # fmt: skip
    half_u = np.empty(n)
    ok = np.empty(n, dtype=bool)
    kernels.conversion_utility(
        idx, x_good, x_bad, abs_good**alpha, abs_bad**alpha,
        *decision_weights(p_loss),
        utility_shift(m, env), appetite_shift(m, env), o.risk_level, o.suitability_check,
        b.trust_weight, b.risk_penalty, factor,
        pop.loss_aversion, pop.risk_appetite, pop.trust, pop.value_sensitivity, pop.fomo, pop.social_proof,
        m.adopter_share(idx), pop.threshold, pop.eligible, half_u, ok,
    )  # fmt: skip
    decide = bh.decision_pace(b.decision_rate, pop.fomo[idx].astype(np.float64) * factor, b.urgency_pace)
    p, drop_below = np.empty(n), np.empty(n)
    kernels.conversion_odds(np.tanh(half_u), ok, decide, np.atleast_1d(p_drop), p, drop_below)
    return p, drop_below


def conversion_probability_reference(m: CampaignModel, idx: np.ndarray, env: Environment) -> np.ndarray:
    """Daily P(convert) of customers ``idx`` (see :func:`sim.behaviour.conversion_probability`)."""
    sc, pop = m.sc, m.pop
    o, b, terms = sc.offer, sc.behaviour, m.terms
    p_loss, loss_pp = felt_risk(m, env)
    amount = np.maximum(pop.amount[idx], 1.0)
    term_years = o.term_days / 365
    extras = (terms.extras / amount * 100 / term_years) if terms.incentives_on else 0.0
    x_good, x_bad = bh.offer_outcomes(
        m.offer_rate, terms.bonus_pp, extras, _costs(m), loss_pp, pop.reference[idx]
    )
    alpha, lam = pop.curvature[idx], pop.loss_aversion[idx]
    value = bh.cpt_value(x_good, x_bad, p_loss, alpha, lam)
    appetite = pop.risk_appetite[idx] - appetite_shift(m, env)
    gap = np.maximum(o.risk_level - appetite, 0.0)
    trust = b.trust_weight * (pop.trust[idx] - 0.5)
    u_term = urgency(m, idx)
    p = bh.conversion_probability(
        value,
        pop.value_sensitivity[idx],
        u_term,
        bh.social_proof(m.adopter_share(idx), pop.social_proof[idx]),
        trust - b.risk_penalty * gap + utility_shift(m, env),
        pop.threshold[idx],
        bh.decision_pace(b.decision_rate, u_term, b.urgency_pace),
    )
    ok = pop.eligible[idx]
    if o.suitability_check:
        ok = ok & (o.risk_level <= np.round(appetite) + 0.5)
    return np.where(ok, p, 0.0)


def _costs(m: CampaignModel) -> float:
    o, b = m.sc.offer, m.sc.behaviour
    return (
        o.fee_pp
        + b.lockup_cost_pp * o.lockup_days / 365
        + o.early_withdrawal_penalty_pp * b.early_withdrawal_weight
    )


def felt_risk(m: CampaignModel, env: Environment) -> tuple[float, float]:
    """(loss probability, loss size in pp) a customer feels today: the offer's own, raised
    by a market drop in proportion to the product's exposure (:func:`sim.behaviour.felt_downside`),
    with a share of the probability hidden by a misleading claim."""
    o, b = m.sc.offer, m.sc.behaviour
    beta = bh.market_exposure(o.risk_level, o.guaranteed, b.market_beta)
    p, loss = bh.felt_downside(o.loss_probability, o.loss_size_pp, env.market_drop, beta, b.drop_salience)
    p = float(p)
    if m.misleading_claim(env):
        p *= 1.0 - b.misleading_risk_hidden  # "guaranteed principal" on a risky product
    return min(p, 1.0), float(loss)


def utility_shift(m: CampaignModel, env: Environment) -> float:
    """Today's additive utility terms shared by every customer: the loss frame's shift
    (:func:`sim.behaviour.framing_shift`) and flight to safety during a market drop
    (:func:`sim.behaviour.flight_to_safety`)."""
    o, b = m.sc.offer, m.sc.behaviour
    tilt = bh.frame_tilt(o.risk_level, o.guaranteed, b.frame_pivot, b.frame_span)
    frame = bh.framing_shift(m.terms.loss_frame, tilt, b.frame_strength)  # today's frame (rules)
    return float(frame + bh.flight_to_safety(env.market_drop, o.guaranteed, b.flight_to_safety))


def appetite_shift(m: CampaignModel, env: Environment) -> float:
    """Risk-appetite levels lost today to inflation and a market drop."""
    b = m.sc.behaviour
    return float(
        b.inflation_appetite_shift * env.inflation_pp + b.market_drop_appetite_shift * env.market_drop
    )


# ---------------------------------------------------------------- anchoring
def anchor(m: CampaignModel, env: Environment) -> None:
    """References move part of the way toward their target: the customer's own rate moved
    by the market, pulled by the anchor weight toward a rival's rate for those who saw it,
    else toward the creative's anchor (in place; :func:`sim.behaviour.anchor_target`)."""
    pop = m.pop
    rival = env.competitor_rate is not None
    kernels.anchor_references(
        pop.reference, pop.current_rate, pop.anchor_speed, pop.anchor_weight, pop.saw_competitor,
        _own_shift(m, env), env.competitor_rate if rival else 0.0, rival, m.creative_anchor,
    )  # fmt: skip


def _own_shift(m: CampaignModel, env: Environment) -> float:
    return float(env.market_shift_pp + m.sc.behaviour.inflation_reference_pass * env.inflation_pp)
