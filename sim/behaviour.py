"""Behavioural-finance equations as pure functions over numpy arrays.

Every function takes and returns arrays (or scalars that broadcast), has no side
effects and draws no random numbers, so each can be checked by hand. Units: rates and
outcomes in percentage points a year (pp); utilities are dimensionless logit scores.
"""

from __future__ import annotations

import numpy as np

ArrayLike = np.ndarray | float

#: Tversky and Kahneman (1992) median estimates, used as default priors.
TK92_ALPHA = 0.88
TK92_LAMBDA = 2.25
TK92_GAMMA = 0.61  # probability weighting for gains
TK92_DELTA = 0.69  # probability weighting for losses


def prospect_value(x: ArrayLike, alpha: ArrayLike, loss_aversion: ArrayLike) -> np.ndarray:
    """Prospect-theory value function.

    v(x) = x^alpha for x >= 0 and v(x) = -lambda * (-x)^alpha for x < 0,
    with curvature alpha and loss aversion lambda (Tversky and Kahneman 1992, eq. 5;
    alpha = 0.88, lambda = 2.25 are their estimates).
    """
    x = np.asarray(x)
    mag = np.abs(x) ** alpha
    return np.where(x >= 0, mag, -loss_aversion * mag)


def probability_weight(p: ArrayLike, gamma: float) -> np.ndarray:
    """Inverse-S decision weight w(p) = p^g / (p^g + (1-p)^g)^(1/g) (Tversky and Kahneman 1992)."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    pg = p**gamma
    return pg / (pg + (1.0 - p) ** gamma) ** (1.0 / gamma)


def cpt_value(
    x_good: ArrayLike,
    x_bad: ArrayLike,
    p_bad: ArrayLike,
    alpha: ArrayLike,
    loss_aversion: ArrayLike,
) -> np.ndarray:
    """Cumulative prospect value of a two-outcome prospect (x_good w.p. 1-p, x_bad w.p. p).

    With x_good >= x_bad and the rank-dependent weights of Tversky and Kahneman (1992):
    both gains:  V = v(x_bad) + w+(1-p) [v(x_good) - v(x_bad)];
    both losses: V = v(x_good) + w-(p) [v(x_bad) - v(x_good)];
    mixed:       V = w+(1-p) v(x_good) + w-(p) v(x_bad).
    A guaranteed product has p = 0 and V = v(x_good).
    """
    vg = prospect_value(x_good, alpha, loss_aversion)
    vb = prospect_value(x_bad, alpha, loss_aversion)
    wg = probability_weight(1.0 - np.asarray(p_bad), TK92_GAMMA)
    wl = probability_weight(p_bad, TK92_DELTA)
    x_good = np.asarray(x_good)
    x_bad = np.asarray(x_bad)
    gains = vb + wg * (vg - vb)
    losses = vg + wl * (vb - vg)
    mixed = wg * vg + wl * vb
    return np.where(x_bad >= 0, gains, np.where(x_good <= 0, losses, mixed))


def framed_value(
    value: ArrayLike,
    x_good: ArrayLike,
    alpha: ArrayLike,
    loss_aversion: ArrayLike,
    strength: float,
    loss_framed: bool,
) -> np.ndarray:
    """Framing: a loss-framed creative ("don't miss out on x") makes a share of the gain
    felt as a loss avoided (Tversky and Kahneman 1981; Meyerowitz and Chaiken 1987):

    V' = V + s * (lambda - 1) * max(x_good, 0)^alpha if loss-framed, else V' = V,
    with s in [0, 1] the share of customers' evaluation that adopts the frame.
    """
    value = np.asarray(value)
    if not loss_framed or strength == 0:
        return value
    gain = np.maximum(np.asarray(x_good), 0.0) ** alpha
    return value + strength * (np.asarray(loss_aversion) - 1.0) * gain


def anchored_reference(reference: ArrayLike, target: ArrayLike, speed: ArrayLike) -> np.ndarray:
    """Anchoring and insufficient adjustment: r' = r + k (target - r), 0 <= k <= 1.

    The reference rate moves only part of the way toward rates seen today (Tversky and
    Kahneman 1974, anchoring and adjustment; partial adjustment as in Nerlove 1958).
    """
    reference = np.asarray(reference)
    return reference + np.asarray(speed) * (np.asarray(target) - reference)


def offer_outcomes(
    offer_rate: float,
    bonus_pp: ArrayLike,
    extras_pp: ArrayLike,
    costs_pp: ArrayLike,
    loss_pp: float,
    reference: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes of taking the offer relative to the reference rate, pp a year.

    good = offer_rate + bonus + extras - costs - reference (the product pays as expected),
    bad  = -loss + bonus + extras - costs - reference (a non-guaranteed product loses).
    ``extras`` are cashback and perks per amount, ``costs`` fees and lock-up disutility.
    Outcomes are coded against the reference point (Kahneman and Tversky 1979).
    """
    base = np.asarray(bonus_pp) + np.asarray(extras_pp) - np.asarray(costs_pp) - reference
    return offer_rate + base, -loss_pp + base


def urgency(
    days_left: float,
    quota_left_share: float,
    fomo: ArrayLike,
    scale_days: float,
    scarcity_weight: float,
) -> np.ndarray:
    """FOMO and scarcity: U = fomo * (exp(-days_left / tau) + w_s * (1 - q)^2).

    Urgency grows as the deadline nears (deadline effect, Ariely and Wertenbroch 2002)
    and as the visible quota q (share left) runs out (commodity theory, Lynn 1991;
    scarcity heuristic, Cialdini 2001). Convex in the used share: a nearly full quota
    matters more than a half-used one.
    """
    deadline = np.exp(-max(days_left, 0.0) / scale_days)
    scarcity = scarcity_weight * (1.0 - quota_left_share) ** 2
    return np.asarray(fomo) * (deadline + scarcity)


def social_proof(share_converted: ArrayLike, strength: ArrayLike) -> np.ndarray:
    """Social proof: S = s * share of neighbours converted (Cialdini 2001; the imitation
    term of Bass 1969 applied to the customer's own neighbourhood)."""
    return np.asarray(strength) * np.asarray(share_converted)


def logistic(u: ArrayLike) -> np.ndarray:
    """Binary logit choice probability 1 / (1 + e^-u) (McFadden 1974)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u)))


def conversion_probability(
    value: ArrayLike,
    sensitivity: ArrayLike,
    urgency_term: ArrayLike,
    social_term: ArrayLike,
    trust_term: ArrayLike,
    threshold: ArrayLike,
    decision_rate: float,
) -> np.ndarray:
    """Daily probability that a considering customer converts.

    P = d * logistic(beta * V + U + S + T - c): a binary logit on utility with
    heterogeneous weights (McFadden 1974); d is the largest daily decision rate, beta the
    customer's sensitivity to the prospect value V, U urgency, S social proof, T trust and
    c the customer's threshold.
    """
    u = np.asarray(sensitivity) * value + urgency_term + social_term + trust_term - np.asarray(threshold)
    return decision_rate * logistic(u)


def combine_probabilities(*ps: ArrayLike) -> np.ndarray:
    """P(at least one of independent events) = 1 - prod(1 - p_i)."""
    q = np.ones(np.broadcast(*[np.asarray(p) for p in ps]).shape)
    for p in ps:
        q = q * (1.0 - np.asarray(p))
    return 1.0 - q


def hazard_probability(rate: ArrayLike) -> np.ndarray:
    """Daily probability of an event with constant hazard h: 1 - e^-h."""
    return -np.expm1(-np.asarray(rate))


def churn_probability(hazard: ArrayLike, bonus_pp: ArrayLike, rate_chasing: ArrayLike) -> np.ndarray:
    """Daily churn after conversion: 1 - exp(-h (1 + c * bonus)).

    Rate chasers attracted by a bonus leave faster (hot money; the "teaser rate" effect
    reported for promotional deposits), so the hazard grows with the bonus in pp.
    """
    return hazard_probability(np.asarray(hazard) * (1.0 + np.asarray(rate_chasing) * bonus_pp))


def bass_adoption(t: ArrayLike, p: float, q: float) -> np.ndarray:
    """Bass (1969) cumulative adoption F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)
