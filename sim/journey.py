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
    return _urgency_per_fomo(days_left, q_left, b.urgency_days, b.scarcity_weight)


@lru_cache(maxsize=256)
def _urgency_per_fomo(days_left: int, q_left: float, scale_days: float, scarcity_weight: float) -> float:
    return float(bh.urgency(days_left, q_left, 1.0, scale_days, scarcity_weight))


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
    return bh.urgency(days_left, q_left, m.pop.fomo[idx], b.urgency_days, b.scarcity_weight)


def _time_and_quota_left(m: CampaignModel) -> tuple[int, float]:
    """Campaign days left after today, and the visible share of the quota left."""
    sc = m.sc
    q_left = 1.0
    if m.quota_left is not None and sc.offer.quota_visible:
        q_left = m.quota_left / max(round(sc.offer.quota / m.scale), 1)
    return sc.calendar.days - 1 - m.day, q_left


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
    o, b = sc.offer, sc.behaviour
    on = m.incentives_on
    n = idx.size
    x_good, x_bad, abs_good, abs_bad = (np.empty(n) for _ in range(4))
    alpha = np.empty(n, dtype=np.float32)
    kernels.offer_outcomes_at(
        idx, pop.amount, pop.reference, pop.curvature,
        float(o.cashback + o.perk_value) if on else 0.0, o.term_days / 365,
        o.bonus_bp / 100 if on else 0.0, _costs(m), m.offer_rate, o.loss_size_pp,
        x_good, x_bad, abs_good, abs_bad, alpha,
    )  # fmt: skip
    p_loss = _loss_probability(m, env)
    framed = o.frame == "loss" and b.frame_strength != 0
    mag_frame = np.maximum(x_good, 0.0) ** alpha if framed else np.empty(0)
    half_u = np.empty(n)
    ok = np.empty(n, dtype=bool)
    kernels.conversion_utility(
        idx, x_good, x_bad, abs_good**alpha, abs_bad**alpha, mag_frame,
        *decision_weights(p_loss),
        b.frame_strength, env.inflation_pp * 0.2, 2 * env.market_drop, o.risk_level, o.suitability_check,
        b.trust_weight, b.risk_penalty, factor,
        pop.loss_aversion, pop.risk_appetite, pop.trust, pop.value_sensitivity, pop.fomo, pop.social_proof,
        m.adopter_share(idx), pop.threshold, pop.eligible, half_u, ok,
    )  # fmt: skip
    p, drop_below = np.empty(n), np.empty(n)
    kernels.conversion_odds(np.tanh(half_u), ok, b.decision_rate, np.atleast_1d(p_drop), p, drop_below)
    return p, drop_below


def conversion_probability_reference(m: CampaignModel, idx: np.ndarray, env: Environment) -> np.ndarray:
    """Daily P(convert) of customers ``idx`` (see :func:`sim.behaviour.conversion_probability`)."""
    sc, pop = m.sc, m.pop
    o, b = sc.offer, sc.behaviour
    on = m.incentives_on
    amount = np.maximum(pop.amount[idx], 1.0)
    term_years = o.term_days / 365
    extras = ((o.cashback + o.perk_value) / amount * 100 / term_years) if on else 0.0
    x_good, x_bad = bh.offer_outcomes(
        m.offer_rate, o.bonus_bp / 100 if on else 0.0, extras, _costs(m), o.loss_size_pp, pop.reference[idx]
    )
    alpha, lam = pop.curvature[idx], pop.loss_aversion[idx]
    value = bh.cpt_value(x_good, x_bad, _loss_probability(m, env), alpha, lam)
    value = bh.framed_value(value, x_good, alpha, lam, b.frame_strength, o.frame == "loss")
    appetite = pop.risk_appetite[idx] - env.inflation_pp * 0.2 - 2 * env.market_drop
    gap = np.maximum(o.risk_level - appetite, 0.0)
    trust = b.trust_weight * (pop.trust[idx] - 0.5)
    p = bh.conversion_probability(
        value,
        pop.value_sensitivity[idx],
        urgency(m, idx),
        bh.social_proof(m.adopter_share(idx), pop.social_proof[idx]),
        trust - b.risk_penalty * gap,
        pop.threshold[idx],
        b.decision_rate,
    )
    ok = pop.eligible[idx]
    if o.suitability_check:
        ok = ok & (o.risk_level <= np.round(appetite) + 0.5)
    return np.where(ok, p, 0.0)


def _costs(m: CampaignModel) -> float:
    o, b = m.sc.offer, m.sc.behaviour
    return o.fee_pp + b.lockup_cost_pp * o.lockup_days / 365 + o.early_withdrawal_penalty_pp * 0.1


def _loss_probability(m: CampaignModel, env: Environment) -> float:
    o = m.sc.offer
    p_loss = min(1.0, o.loss_probability + (0.0 if o.guaranteed else env.market_drop))
    if m.misleading_claim(env):
        p_loss *= 0.5  # "guaranteed principal" on a risky product hides half the risk
    return p_loss


# ---------------------------------------------------------------- anchoring
def anchor(m: CampaignModel, env: Environment) -> None:
    """References move part of the way toward the customer's own rate moved by the market,
    or toward a rival's higher rate for those who saw it (in place)."""
    pop = m.pop
    rival = env.competitor_rate is not None
    kernels.anchor_references(
        pop.reference, pop.current_rate, pop.anchor_speed, pop.saw_competitor,
        env.market_shift_pp + 0.5 * env.inflation_pp, env.competitor_rate if rival else 0.0, rival,
    )  # fmt: skip


def anchor_reference(m: CampaignModel, env: Environment) -> None:
    pop = m.pop
    target = pop.current_rate + (env.market_shift_pp + 0.5 * env.inflation_pp)
    if env.competitor_rate is not None:
        target = np.where(pop.saw_competitor, np.maximum(target, env.competitor_rate), target)
    pop.reference[:] = bh.anchored_reference(pop.reference, target, pop.anchor_speed)
