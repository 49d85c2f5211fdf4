"""The journey's per-customer loops (numba, cached on disk): one pass over the customers of
a stage, calling the scalar equations of :mod:`sim.equations` (the same functions
:mod:`sim.behaviour` vectorizes) for each, instead of one numpy call per operation.

They contain no arithmetic of their own beyond U = fomo x the day's urgency per unit of
FOMO (:func:`sim.equations.urgency` is linear in FOMO, so the model evaluates it once a
day at fomo = 1).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim import equations as eq


@njit(cache=True, nogil=True)
def consider(
    cand: np.ndarray,
    u: np.ndarray,
    trust: np.ndarray,
    fomo: np.ndarray,
    strength: np.ndarray,
    share: np.ndarray,
    urgency: float,
    consider_rate: float,
    drop: float,
    stage: np.ndarray,
    moved: int,
    dropped: int,
) -> None:
    """With ``p`` the daily probability of the consideration hazard
    (:func:`sim.equations.consideration_hazard`, :func:`~sim.equations.hazard_probability`)
    of customer ``cand[i]``: ``u[i] < p`` moves on, ``p <= u[i] < p + drop`` drops out."""
    for i in range(cand.size):
        j = cand[i]
        social = eq.social_proof(share[i], strength[j])
        p = eq.hazard_probability(eq.consideration_hazard(consider_rate, trust[j], fomo[j] * urgency, social))
        if u[i] < p:
            stage[j] = moved
        elif u[i] < p + drop:
            stage[j] = dropped


@njit(cache=True, nogil=True)
def conversion_odds(
    idx: np.ndarray,
    share: np.ndarray,
    p_drop: np.ndarray,
    amount: np.ndarray,
    reference: np.ndarray,
    curvature: np.ndarray,
    loss_aversion: np.ndarray,
    risk_appetite: np.ndarray,
    trust: np.ndarray,
    sensitivity: np.ndarray,
    fomo: np.ndarray,
    strength: np.ndarray,
    threshold: np.ndarray,
    eligible: np.ndarray,
    day: tuple,
    p: np.ndarray,
    drop_below: np.ndarray,
) -> None:
    """``p[i]``: the daily P(convert) of customer ``idx[i]``
    (:func:`sim.equations.conversion_probability` of the prospect value of the offer's
    outcomes, urgency, social proof, trust and risk fit plus the day's shared utility, at
    the day's decision pace), 0 if not eligible or, with suitability checks, unsuitable;
    ``drop_below[i]``: P(convert or drop out), drop-outs at ``p_drop`` (one entry: all).
    ``day`` is (offer rate, bonus pp, extras money, costs pp, term years, loss pp, w_good,
    w_bad, utility shift, appetite shift, risk level, suitability, trust weight, risk
    penalty, urgency per FOMO, decision hazard, urgency pace)."""
    (offer_rate, bonus, extras, costs, term_years, loss, w_good, w_bad, shift, appetite_shift,
     risk_level, suitability, trust_weight, risk_penalty, urgency, hazard, pace) = day  # fmt: skip
    one = p_drop.size == 1
    for i in range(idx.size):
        j = idx[i]
        appetite = risk_appetite[j] - appetite_shift
        if not eligible[j] or (suitability and not eq.suitable(risk_level, appetite)):
            p[i] = 0.0
        else:
            e = eq.extras_rate(extras, amount[j], term_years)
            good = eq.offer_outcome(offer_rate, bonus, e, costs, reference[j])
            bad = eq.offer_outcome(-loss, bonus, e, costs, reference[j])
            value = eq.weighted_value(good, bad, w_good, w_bad, curvature[j], loss_aversion[j])
            u_term = fomo[j] * urgency
            social = eq.social_proof(share[i], strength[j])
            t_term = eq.trust_term(trust[j], trust_weight, risk_level, appetite, risk_penalty) + shift
            decide = eq.paced_decision(hazard, u_term, pace)
            p[i] = eq.conversion_probability(
                value, sensitivity[j], u_term, social, t_term, threshold[j], decide
            )
        drop_below[i] = eq.combine_probabilities(p[i], p_drop[0 if one else i])


@njit(cache=True, nogil=True)
def anchor_references(
    reference: np.ndarray,
    current_rate: np.ndarray,
    speed: np.ndarray,
    weight: np.ndarray,
    saw_rival: np.ndarray,
    shift: float,
    rival_rate: float,
    rival: bool,
    creative: float,
) -> None:
    """In place, in float32 (one pass over every customer a day: float32 keeps it as fast
    as the fused form it replaced): each reference moves toward its target
    (:func:`sim.equations.anchored_reference`), the customer's own rate moved by ``shift``
    pulled toward the rival's rate where ``saw_rival`` (if ``rival``), else toward
    ``creative`` (none when NaN; :func:`sim.equations.anchor_target`)."""
    for j in range(reference.size):
        a = rival_rate if rival and saw_rival[j] else creative
        target = eq.anchor_target(current_rate[j] + shift, a, weight[j])
        reference[j] = eq.anchored_reference(reference[j], target, speed[j])


def _day_tuple() -> tuple:
    return (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, True, 0.0, 0.0, 0.0, 0.0, 0.0)


def _load_for_model_dtypes() -> None:
    """Load each kernel for the dtypes the model passes on import (see
    :func:`sim.kernels._load_for_model_dtypes`)."""
    i64, f32, f64, i8 = (
        np.zeros(1, np.int64),
        np.zeros(1, np.float32),
        np.zeros(1, np.float64),
        np.zeros(1, np.int8),
    )
    ok = np.zeros(1, np.bool_)
    for share in (f32, f64):  # a stored graph's shares are float32, the complete graph's float64
        consider(i64[:0], f64, f32, f32, f32, share, 0.0, 0.0, 0.0, i8.copy(), 2, 6)
        for p_drop in (f64,):
            conversion_odds(i64[:0], share, p_drop, f64, f32, f32, f32, f32, f32, f32, f32, f32, f32, ok,
                            _day_tuple(), f64.copy(), f64.copy())  # fmt: skip
    anchor_references(f32.copy(), f32, f32, f32, ok, np.float32(0), np.float32(0), False, np.float32(0))


_load_for_model_dtypes()
