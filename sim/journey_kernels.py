"""Compiled arithmetic of the journey's equations (numba, cached on disk): the +, -, *, /
of :mod:`sim.behaviour`'s equations evaluated per customer in one loop instead of one numpy
call per operation.

Transcendental functions (power, tanh, expm1) stay numpy calls between these kernels, and
every operation keeps numpy's dtypes and order (float32 where numpy computes in float32),
so the results are bit-identical to the plain-numpy forms in :mod:`sim.journey`, which
``tests/test_journey.py`` checks.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def consideration_rates(
    cand: np.ndarray,
    trust: np.ndarray,
    fomo: np.ndarray,
    strength: np.ndarray,
    share: np.ndarray,
    urgency: float,
    consider_rate: float,
    out: np.ndarray,
) -> None:
    """``out = -(consider_rate * trust * (1 + fomo * urgency + strength * share))`` at
    ``cand`` (the negated daily hazard of considering, ready for ``expm1``)."""
    c = np.float32(consider_rate)
    for i in range(cand.size):
        j = cand[i]
        u_term = np.float64(fomo[j]) * urgency
        s_term = strength[j] * share[i]
        out[i] = -(c * trust[j] * (1.0 + u_term + s_term))


@njit(cache=True, nogil=True)
def settle_hazard(
    cand: np.ndarray,
    u: np.ndarray,
    expm1: np.ndarray,
    drop: float,
    stage: np.ndarray,
    moved: int,
    dropped: int,
) -> None:
    """With ``p = -expm1`` (= 1 - e^-h): ``u < p`` moves on, ``p <= u < p + drop`` drops."""
    for i in range(cand.size):
        p = -expm1[i]
        if u[i] < p:
            stage[cand[i]] = moved
        elif u[i] < p + drop:
            stage[cand[i]] = dropped


@njit(cache=True, nogil=True)
def offer_outcomes_at(
    idx: np.ndarray,
    amount: np.ndarray,
    reference: np.ndarray,
    curvature: np.ndarray,
    extras_per_amount: float,
    term_years: float,
    bonus: float,
    costs: float,
    offer_rate: float,
    loss: float,
    x_good: np.ndarray,
    x_bad: np.ndarray,
    abs_good: np.ndarray,
    abs_bad: np.ndarray,
    alpha: np.ndarray,
) -> None:
    """:func:`sim.behaviour.offer_outcomes` at ``idx`` with extras
    ``extras_per_amount / max(amount, 1) * 100 / term_years`` (none when 0); also
    ``|x_good|``, ``|x_bad|`` and the curvature, for the prospect values' powers."""
    for i in range(idx.size):
        j = idx[i]
        extras = 0.0
        if extras_per_amount != 0.0:
            extras = extras_per_amount / max(amount[j], 1.0) * 100.0 / term_years
        base = bonus + extras - costs - np.float64(reference[j])
        x_good[i] = offer_rate + base
        x_bad[i] = -loss + base
        abs_good[i] = abs(x_good[i])
        abs_bad[i] = abs(x_bad[i])
        alpha[i] = curvature[j]


@njit(cache=True, nogil=True)
def conversion_utility(
    idx: np.ndarray,
    x_good: np.ndarray,
    x_bad: np.ndarray,
    mag_good: np.ndarray,
    mag_bad: np.ndarray,
    w_good: float,
    w_bad: float,
    shift: float,
    appetite_shift: float,
    risk_level: int,
    suitability: bool,
    trust_weight: float,
    risk_penalty: float,
    urgency: float,
    loss_aversion: np.ndarray,
    risk_appetite: np.ndarray,
    trust: np.ndarray,
    sensitivity: np.ndarray,
    fomo: np.ndarray,
    strength: np.ndarray,
    share: np.ndarray,
    threshold: np.ndarray,
    eligible: np.ndarray,
    half_utility: np.ndarray,
    ok: np.ndarray,
) -> None:
    """Half the logit utility of converting (for ``tanh``) and whether the customer may
    convert, from the outcomes and their powers ``mag = |x| ** alpha``: the cumulative
    prospect value (:func:`sim.behaviour.cpt_value` with decision weights ``w_good``,
    ``w_bad``), urgency, social proof, trust less the risk-gap penalty plus the day's
    shared ``shift`` (framing, flight to safety), threshold
    (:func:`~sim.behaviour.conversion_probability`); eligibility and, with ``suitability``,
    risk level within the rounded appetite less ``appetite_shift``."""
    half = np.float32(0.5)
    for i in range(idx.size):
        j = idx[i]
        lam = loss_aversion[j]
        vg = mag_good[i] if x_good[i] >= 0 else -lam * mag_good[i]
        vb = mag_bad[i] if x_bad[i] >= 0 else -lam * mag_bad[i]
        if x_bad[i] >= 0:
            value = vb + w_good * (vg - vb)
        elif x_good[i] <= 0:
            value = vg + w_bad * (vb - vg)
        else:
            value = w_good * vg + w_bad * vb
        appetite = risk_appetite[j]
        if appetite_shift != 0.0:
            appetite = appetite - np.float32(appetite_shift)
        gap = np.float32(risk_level) - appetite
        if gap < 0:  # np.maximum(gap, 0.0)
            gap = np.float32(0.0)
        trust_term = np.float32(trust_weight) * (trust[j] - half) - np.float32(risk_penalty) * gap
        trust_term = trust_term + np.float32(shift)
        u = sensitivity[j] * value + np.float64(fomo[j]) * urgency + strength[j] * share[i]
        half_utility[i] = 0.5 * (u + trust_term - threshold[j])
        ok[i] = eligible[j] and (not suitability or risk_level <= np.rint(appetite) + 0.5)


@njit(cache=True, nogil=True)
def conversion_odds(
    tanh: np.ndarray,
    ok: np.ndarray,
    decide: np.ndarray,
    p_drop: np.ndarray,
    p: np.ndarray,
    drop_below: np.ndarray,
) -> None:
    """``p = where(ok, decide * logistic, 0)`` with ``logistic = (1 + tanh) / 2`` and
    ``decide`` the day's decision probability (:func:`sim.behaviour.decision_pace`), and
    ``drop_below = p + (1 - p) * p_drop`` (``p_drop`` of one entry applies to all)."""
    one = p_drop.size == 1
    for i in range(tanh.size):
        p[i] = decide[i] * (0.5 * (1.0 + tanh[i])) if ok[i] else 0.0
        drop_below[i] = p[i] + (1 - p[i]) * p_drop[0 if one else i]


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
    """In place, in float32: ``reference += speed * (target - reference)`` with
    ``target = own + weight * (anchor - own)``, ``own = current_rate + shift`` and the
    anchor the rival's rate where ``saw_rival`` (if ``rival``), else ``creative`` (none
    when NaN) (:func:`sim.behaviour.anchor_target`, :func:`~sim.behaviour.anchored_reference`)."""
    s, r, c = np.float32(shift), np.float32(rival_rate), np.float32(creative)
    for j in range(reference.size):
        own = current_rate[j] + s
        a = r if rival and saw_rival[j] else c
        target = own
        if not np.isnan(a):  # in float64 and rounded once, as anchor_target computes it
            o64 = np.float64(own)
            target = np.float32(o64 + np.float64(weight[j]) * (np.float64(a) - o64))
        reference[j] = reference[j] + speed[j] * (target - reference[j])


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
        consideration_rates(i64, f32, f32, f32, share, 0.0, 0.0, f64.copy())
        conversion_utility(i64, f64, f64, f64, f64, 0.0, 0.0, 0.0, 0.0, 1, True, 0.0, 0.0, 0.0,
                           f32, f32, f32, f32, f32, f32, share, f32, ok, f64.copy(), ok.copy())  # fmt: skip
    settle_hazard(i64, f64, f64, 0.0, i8.copy(), 2, 6)
    offer_outcomes_at(i64, f64, f32, f32, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, f64.copy(), f64.copy(), f64.copy(),
                      f64.copy(), f32.copy())  # fmt: skip
    conversion_odds(f64, ok, f64, f64, f64.copy(), f64.copy())
    anchor_references(f32.copy(), f32, f32, f32, ok, 0.0, 0.0, False, 0.0)


_load_for_model_dtypes()
