"""The journey's daily steps for a set of customers: considering the offer, the odds of
converting to it, and the daily move of their reference rates.

Every function takes the customer columns (:class:`sim.population.Population`), the
customers' indices, the share of their neighbours who have adopted (computed by the caller)
and :class:`sim.today.Today`, the day's shared inputs; none reads the model. The work is one
compiled pass per step (:mod:`sim.journey_kernels`) calling the scalar equations of
:mod:`sim.equations`, the same functions :mod:`sim.behaviour` offers over arrays.
"""

from __future__ import annotations

import numpy as np

from sim import journey_kernels as kernels
from sim.population import CONSIDERING, DROPPED, Population
from sim.today import Today


def consider(pop: Population, cand: np.ndarray, u: np.ndarray, share: np.ndarray, day: Today) -> None:
    """Aware customers ``cand`` consider the offer at the hazard
    ``consider_rate * trust * (1 + urgency + social proof)`` or drop out at ``drop_rate``;
    ``u`` holds one uniform each, ``share`` their adopted neighbours' share."""
    b = day.behaviour
    kernels.consider(
        cand, u, pop.trust, pop.fomo, pop.social_proof, share, day.urgency, b.consider_rate, b.drop_rate,
        pop.stage, CONSIDERING, DROPPED,
    )  # fmt: skip


def conversion_odds(
    pop: Population, idx: np.ndarray, share: np.ndarray, p_drop: np.ndarray | float, day: Today
) -> tuple[np.ndarray, np.ndarray]:
    """(P(convert today), P(convert) + P(drop out) today) of considering customers
    ``idx``, with ``p_drop`` the chance of dropping out of those who do not convert
    (one value for all, or one each)."""
    p, drop_below = np.empty(idx.size), np.empty(idx.size)
    kernels.conversion_odds(
        idx, share, np.atleast_1d(np.asarray(p_drop, dtype=np.float64)), pop.amount, pop.reference,
        pop.curvature, pop.loss_aversion, pop.risk_appetite, pop.trust, pop.value_sensitivity, pop.fomo,
        pop.social_proof, pop.threshold, pop.eligible, day.kernel_inputs, p, drop_below,
    )  # fmt: skip
    return p, drop_below


def anchor(pop: Population, day: Today) -> None:
    """References move part of the way toward their target: the customer's own rate moved
    by the market, pulled by the anchor weight toward a rival's rate for those who saw it,
    else toward the creative's anchor (in place; :func:`sim.behaviour.anchor_target`)."""
    rival = day.rival_rate is not None
    kernels.anchor_references(
        pop.reference, pop.current_rate, pop.anchor_speed, pop.anchor_weight, pop.saw_competitor,
        np.float32(day.own_shift), np.float32(day.rival_rate if rival else 0.0), rival,
        np.float32(day.creative_anchor),
    )  # fmt: skip
