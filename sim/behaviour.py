"""Behavioural-finance equations as pure functions over numpy arrays.

Each equation is written once, as a scalar function in :mod:`sim.equations` (whose
docstring, shown here too, states the equation and its source); the functions here are
those scalars as numpy ufuncs (numba ``vectorize``, compiled on first use and cached on
disk), so they broadcast over arrays and scalars, have no side effects and draw no random
numbers, and the engine's fused loops compute exactly the same equations. Units: rates and
outcomes in percentage points a year (pp); utilities are dimensionless logit scores.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from sim import equations as eq
from sim.equations import LOGIT_TO_D, TK92_ALPHA, TK92_DELTA, TK92_GAMMA, TK92_LAMBDA

ArrayLike = np.ndarray | float

__all__ = ["LOGIT_TO_D", "TK92_ALPHA", "TK92_DELTA", "TK92_GAMMA", "TK92_LAMBDA"]


def _array_form(scalar, signature: str) -> Callable[..., np.ndarray]:
    """The numpy ufunc of a scalar equation of :mod:`sim.equations` (one float64 loop of
    ``signature``), built on first call or by its ``load()``; it carries the scalar's name
    and docstring."""
    built = None

    def load() -> Callable[..., np.ndarray]:
        nonlocal built
        if built is None:
            from numba import vectorize

            built = vectorize([signature], cache=True)(scalar.py_func)
        return built

    @functools.wraps(scalar.py_func)
    def ufunc(*args: ArrayLike) -> np.ndarray:
        return (built or load())(*args)

    ufunc.load = load  # type: ignore[attr-defined]
    return ufunc


def load_engine_forms() -> None:
    """Build (load from numba's disk cache) the array forms every run of the engine calls,
    ~30 ms each, so that happens when :mod:`sim.model` is imported, not inside a run."""
    for f in (churn_probability, _combine, suitable, hazard_probability, outage_complaint_probability,
              transmission_probability):  # fmt: skip
        f.load()


prospect_value = _array_form(eq.prospect_value, "f8(f8,f8,f8)")
probability_weight = _array_form(eq.probability_weight, "f8(f8,f8)")
cpt_value = _array_form(eq.cpt_value, "f8(f8,f8,f8,f8,f8)")
anchored_reference = _array_form(eq.anchored_reference, "f8(f8,f8,f8)")
anchor_target = _array_form(eq.anchor_target, "f8(f8,f8,f8)")
social_proof = _array_form(eq.social_proof, "f8(f8,f8)")
logistic = _array_form(eq.logistic, "f8(f8)")
conversion_probability = _array_form(eq.conversion_probability, "f8(f8,f8,f8,f8,f8,f8,f8)")
hazard_probability = _array_form(eq.hazard_probability, "f8(f8)")
churn_probability = _array_form(eq.churn_probability, "f8(f8,f8,f8)")
decision_pace = _array_form(eq.decision_pace, "f8(f8,f8,f8)")
bass_adoption = _array_form(eq.bass_adoption, "f8(f8,f8,f8)")
bass_probability = _array_form(eq.bass_probability, "f8(f8,f8,f8)")
logit_effect_size = _array_form(eq.logit_effect_size, "f8(f8,f8)")
frame_tilt = _array_form(eq.frame_tilt, "f8(f8,b1,f8,f8)")
framing_shift = _array_form(eq.framing_shift, "f8(b1,f8,f8)")
flight_to_safety = _array_form(eq.flight_to_safety, "f8(f8,b1,f8)")
transmission_probability = _array_form(eq.transmission_probability, "f8(f8,f8)")
outage_complaint_probability = _array_form(eq.outage_complaint_probability, "f8(f8,b1,f8,f8)")
fatigue_factor = _array_form(eq.fatigue_factor, "f8(f8,f8)")
repeat_purchase_probability = _array_form(eq.repeat_purchase_probability, "f8(f8,f8,f8)")
suitable = _array_form(eq.suitable, "b1(f8,f8)")
_urgency = _array_form(eq.urgency, "f8(f8,f8,f8,f8,f8,f8)")
_combine = _array_form(eq.combine_probabilities, "f8(f8,f8)")
_offer_outcome = _array_form(eq.offer_outcome, "f8(f8,f8,f8,f8,f8)")
_felt_loss_probability = _array_form(eq.felt_loss_probability, "f8(f8,f8,f8,f8)")
_felt_loss_size = _array_form(eq.felt_loss_size, "f8(f8,f8,f8)")


def urgency(
    days_left: ArrayLike,
    quota_left_share: ArrayLike,
    fomo: ArrayLike,
    scale_days: float,
    scarcity_weight: float,
    scarcity_shape: float = 2.0,
) -> np.ndarray:
    return _urgency(days_left, quota_left_share, fomo, scale_days, scarcity_weight, scarcity_shape)


urgency.__doc__ = eq.urgency.__doc__


def combine_probabilities(*ps: ArrayLike) -> np.ndarray:
    """P(at least one of independent events) = 1 - prod(1 - p_i)
    (:func:`sim.equations.combine_probabilities`, folded over the events)."""
    out = np.zeros(())
    for p in ps:
        out = _combine(out, p)
    return out


def offer_outcomes(
    offer_rate: ArrayLike,
    bonus_pp: ArrayLike,
    extras_pp: ArrayLike,
    costs_pp: ArrayLike,
    loss_pp: ArrayLike,
    reference: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes of taking the offer relative to the reference rate, pp a year
    (:func:`sim.equations.offer_outcome`):

    good = offer_rate + bonus + extras - costs - reference (the product pays as expected),
    bad  = -loss + bonus + extras - costs - reference (a non-guaranteed product loses).
    Outcomes are coded against the reference point (Kahneman and Tversky 1979).
    """
    good = _offer_outcome(offer_rate, bonus_pp, extras_pp, costs_pp, reference)
    return good, _offer_outcome(-np.asarray(loss_pp), bonus_pp, extras_pp, costs_pp, reference)


def felt_downside(
    p_loss: ArrayLike, loss_pp: ArrayLike, drop: ArrayLike, exposure: float, salience: float
) -> tuple[np.ndarray, np.ndarray]:
    """Loss probability and size a customer expects after risky assets fell by ``drop``:

    p' = 1 - (1 - p)(1 - min(1, k * beta * D)),  L' = max(L, 100 * beta * D),

    with beta the product's exposure (:func:`market_exposure`) and k the salience of the
    fall (:func:`sim.equations.felt_loss_probability`, :func:`~sim.equations.felt_loss_size`).
    Investors extrapolate recent returns (Greenwood and Shleifer 2014) and a loss just
    seen sets the scale of a bad outcome (availability; Tversky and Kahneman 1973). A
    guaranteed product (beta = 0) is unaffected; the effect grows with risk level.
    """
    return _felt_loss_probability(p_loss, drop, exposure, salience), _felt_loss_size(loss_pp, drop, exposure)


# ---------------------------------------------------------------- anchors
def advertised_anchor(list_rate_pp: float | None, headline_pp: float, contrast_pp: float | None) -> float:
    """The creative's anchor: the lower of an advertised "was" rate below the headline rate
    and a contrast group's rate (both make the offer look better); NaN when there is none.

    A list rate at or above the product's own headline rate is no contrast (it would anchor
    customers against the product being sold), so it is not an anchor.
    """
    cands = [r for r in (list_rate_pp, contrast_pp) if r is not None and r < headline_pp]
    return min(cands) if cands else math.nan


# ---------------------------------------------------------------- market drops
#: Share of a fall in risky-asset prices that a product of risk level R1..R5 carries
#: (equity beta): R1 cash and money-market 0, R2 "fixed income plus" ~10-20% equity,
#: R3 balanced ~40%, R4 equity index funds ~1, R5 sector/leveraged >1 (typical allocations
#: of the risk classes banks use to grade wealth products and funds).
MARKET_BETA = (0.0, 0.15, 0.4, 1.0, 1.3)


def market_exposure(risk_level: int, guaranteed: bool, betas: tuple[float, ...] = MARKET_BETA) -> float:
    """Beta of the product to a market drop: 0 if guaranteed, else ``betas[level - 1]``."""
    return 0.0 if guaranteed else float(betas[int(risk_level) - 1])
