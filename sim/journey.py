"""The journey's daily probabilities for a set of customers (considering the offer,
converting to it) and the daily move of their reference rates, each in two forms that
give bit-identical numbers.

Every function takes the customer columns (:class:`sim.population.Population`), the
customers' indices, the share of their neighbours who have adopted (computed by the caller)
and :class:`sim.today.Today`, the day's shared inputs; none reads the model.

``*_reference`` is the readable form, a chain of :mod:`sim.behaviour` equations over
numpy arrays. The default form evaluates the same operations in the same order and
precision, fused per customer by :mod:`sim.journey_kernels`, with numpy still computing every
power, ``tanh`` and ``expm1``: a few calls per stage instead of ~70, which is most of a
day's cost at 10k customers. ``tests/test_journey.py`` checks that both agree exactly.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim import behaviour as bh
from sim import journey_kernels as kernels
from sim.population import CONSIDERING, DROPPED, Population
from sim.today import Today


@lru_cache(maxsize=64)
def either(p: float, q: float) -> float:
    """P(at least one of two independent events), :func:`sim.behaviour.combine_probabilities`."""
    return float(bh.combine_probabilities(p, q))


def urgency(pop: Population, idx: np.ndarray, day: Today) -> np.ndarray:
    """Today's urgency of customers ``idx`` (:func:`sim.behaviour.urgency`)."""
    if day.urgency is None:
        return np.zeros(idx.size, dtype=np.float32)
    return pop.fomo[idx] * np.float64(day.urgency)


# ---------------------------------------------------------------- consideration
def consider(pop: Population, cand: np.ndarray, u: np.ndarray, share: np.ndarray, day: Today) -> None:
    """Aware customers ``cand`` consider the offer at the hazard
    ``consider_rate * trust * (1 + urgency + social proof)`` or drop out at ``drop_rate``;
    ``u`` holds one uniform each, ``share`` their adopted neighbours' share."""
    if day.urgency is None:  # no urgency: numpy's float32 path, kept as it is
        consider_reference(pop, cand, u, share, day)
        return
    b = day.behaviour
    neg_rate = np.empty(cand.size)
    kernels.consideration_rates(
        cand, pop.trust, pop.fomo, pop.social_proof, share, day.urgency, b.consider_rate, neg_rate
    )
    kernels.settle_hazard(cand, u, np.expm1(neg_rate), b.drop_rate, pop.stage, CONSIDERING, DROPPED)


def consider_reference(
    pop: Population, cand: np.ndarray, u: np.ndarray, share: np.ndarray, day: Today
) -> None:
    b = day.behaviour
    u_term = urgency(pop, cand, day)
    s_term = bh.social_proof(share, pop.social_proof[cand])
    rate = b.consider_rate * pop.trust[cand] * (1.0 + u_term + s_term)
    p_cons = bh.hazard_probability(rate)
    pop.stage[cand[u < p_cons]] = CONSIDERING
    pop.stage[cand[(u >= p_cons) & (u < p_cons + b.drop_rate)]] = DROPPED


# ---------------------------------------------------------------- conversion
def conversion_odds(
    pop: Population, idx: np.ndarray, share: np.ndarray, p_drop: np.ndarray | float, day: Today
) -> tuple[np.ndarray, np.ndarray]:
    """(P(convert today), P(convert) + P(drop out) today) of considering customers
    ``idx``, with ``p_drop`` the chance of dropping out of those who do not convert."""
    if day.urgency is None:
        p = conversion_probability_reference(pop, idx, share, day)
        return p, p + (1 - p) * p_drop
    b, terms = day.behaviour, day.terms
    n = idx.size
    x_good, x_bad, abs_good, abs_bad = (np.empty(n) for _ in range(4))
    alpha = np.empty(n, dtype=np.float32)
    kernels.offer_outcomes_at(
        idx, pop.amount, pop.reference, pop.curvature, terms.extras, day.term_years,
        terms.bonus_pp, day.costs_pp, day.offer_rate, day.loss_pp,
        x_good, x_bad, abs_good, abs_bad, alpha,
    )  # fmt: skip
    half_u = np.empty(n)
    ok = np.empty(n, dtype=bool)
    kernels.conversion_utility(
        idx, x_good, x_bad, abs_good**alpha, abs_bad**alpha, day.w_good, day.w_bad,
        day.utility_shift, day.appetite_shift, day.risk_level, day.suitability,
        b.trust_weight, b.risk_penalty, day.urgency,
        pop.loss_aversion, pop.risk_appetite, pop.trust, pop.value_sensitivity, pop.fomo, pop.social_proof,
        share, pop.threshold, pop.eligible, half_u, ok,
    )  # fmt: skip
    decide = bh.decision_pace(b.decision_rate, pop.fomo[idx].astype(np.float64) * day.urgency, b.urgency_pace)
    p, drop_below = np.empty(n), np.empty(n)
    kernels.conversion_odds(np.tanh(half_u), ok, decide, np.atleast_1d(p_drop), p, drop_below)
    return p, drop_below


def conversion_probability_reference(
    pop: Population, idx: np.ndarray, share: np.ndarray, day: Today
) -> np.ndarray:
    """Daily P(convert) of customers ``idx`` (see :func:`sim.behaviour.conversion_probability`)."""
    b, terms = day.behaviour, day.terms
    amount = np.maximum(pop.amount[idx], 1.0)
    extras = (terms.extras / amount * 100 / day.term_years) if terms.incentives_on else 0.0
    x_good, x_bad = bh.offer_outcomes(
        day.offer_rate, terms.bonus_pp, extras, day.costs_pp, day.loss_pp, pop.reference[idx]
    )
    alpha, lam = pop.curvature[idx], pop.loss_aversion[idx]
    value = bh.cpt_value(x_good, x_bad, day.p_loss, alpha, lam)
    appetite = pop.risk_appetite[idx] - day.appetite_shift
    gap = np.maximum(day.risk_level - appetite, 0.0)
    trust = b.trust_weight * (pop.trust[idx] - 0.5)
    u_term = urgency(pop, idx, day)
    p = bh.conversion_probability(
        value,
        pop.value_sensitivity[idx],
        u_term,
        bh.social_proof(share, pop.social_proof[idx]),
        trust - b.risk_penalty * gap + day.utility_shift,
        pop.threshold[idx],
        bh.decision_pace(b.decision_rate, u_term, b.urgency_pace),
    )
    ok = pop.eligible[idx]
    if day.suitability:
        ok = ok & (day.risk_level <= np.round(appetite) + 0.5)
    return np.where(ok, p, 0.0)


# ---------------------------------------------------------------- anchoring
def anchor(pop: Population, day: Today) -> None:
    """References move part of the way toward their target: the customer's own rate moved
    by the market, pulled by the anchor weight toward a rival's rate for those who saw it,
    else toward the creative's anchor (in place; :func:`sim.behaviour.anchor_target`)."""
    rival = day.rival_rate is not None
    kernels.anchor_references(
        pop.reference, pop.current_rate, pop.anchor_speed, pop.anchor_weight, pop.saw_competitor,
        day.own_shift, day.rival_rate if rival else 0.0, rival, day.creative_anchor,
    )  # fmt: skip
