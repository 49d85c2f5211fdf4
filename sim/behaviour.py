"""Behavioural-finance equations as pure functions over numpy arrays.

Every function takes and returns arrays (or scalars that broadcast), has no side
effects and draws no random numbers, so each can be checked by hand. Units: rates and
outcomes in percentage points a year (pp); utilities are dimensionless logit scores.
"""

from __future__ import annotations

import math

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
    scarcity_shape: float = 2.0,
) -> np.ndarray:
    """FOMO and scarcity: U = fomo * (exp(-days_left / tau) + w_s * (1 - q)^kappa).

    Shape: the deadline term is 1 on the last day, e^-1 = 0.37 tau days before and 0.05
    three tau before, so a short tau (1-3 days) concentrates urgency in the last days, like
    the deadline effect (Ariely and Wertenbroch 2002) and end-of-promotion sales spikes.
    The scarcity term grows with the used share 1 - q of a visible quota (commodity theory,
    Lynn 1991; scarcity heuristic, Cialdini 2001): concave for kappa < 1 (a counter bites
    from the first sales), convex for kappa > 1 (only a nearly gone quota matters).
    """
    deadline = np.exp(-max(days_left, 0.0) / scale_days)
    scarcity = scarcity_weight * (1.0 - quota_left_share) ** scarcity_shape
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


# ---------------------------------------------------------------- framing, sized to evidence
#: Chinn (2000): a logit difference times sqrt(3)/pi is on Cohen's d scale (the logistic
#: distribution has standard deviation pi/sqrt(3)).
LOGIT_TO_D = math.sqrt(3.0) / math.pi


def logit_effect_size(p_control: ArrayLike, p_treatment: ArrayLike) -> np.ndarray:
    """Cohen's d of a change in a rate: d = (logit p1 - logit p0) * sqrt(3) / pi (Chinn 2000).

    How a conversion-rate difference is put on the scale of framing meta-analyses
    (O'Keefe and Jensen 2007, 2009; Gallagher and Updegraff 2012 report r ~ 0.03-0.08,
    i.e. d = 2r / sqrt(1 - r^2) ~ 0.06-0.16). Rates are clipped to [1e-12, 1 - 1e-12].
    """
    p0 = np.clip(np.asarray(p_control, dtype=float), 1e-12, 1 - 1e-12)
    p1 = np.clip(np.asarray(p_treatment, dtype=float), 1e-12, 1 - 1e-12)
    return (np.log(p1 / (1 - p1)) - np.log(p0 / (1 - p0))) * LOGIT_TO_D


def frame_tilt(risk_level: ArrayLike, guaranteed: bool, pivot: float, span: float) -> np.ndarray:
    """Whether taking the offer is, to the customer, taking a risk (+) or securing a sure
    thing (-): tilt = -1 for a guaranteed product, else clip((level - pivot) / span, -1, 1).

    Prospect theory predicts that loss frames favour the risky option and gain frames the
    sure one (Tversky and Kahneman 1981); Rothman and Salovey (1997) carry this over to
    persuasion (loss frames for behaviours seen as risky, gain frames for safe ones), which
    the meta-analyses above find only weakly. A low-risk product below ``pivot`` is the
    "safe choice", a high-risk one above it the "risky choice".
    """
    if guaranteed:
        return np.asarray(-1.0)
    return np.clip((np.asarray(risk_level, dtype=float) - pivot) / span, -1.0, 1.0)


def framing_shift(loss_framed: bool, tilt: ArrayLike, strength: ArrayLike) -> np.ndarray:
    """Logit-utility shift of a loss-framed creative against a gain-framed one:
    du = s * tilt if loss-framed, else 0; so |du| <= s and the sign follows the product's
    risk profile (:func:`frame_tilt`).

    Additive in utility, so it never interacts with loss aversion: raising lambda lowers
    the prospect value of a risky product under either frame (the shift does not cancel
    it, unlike a frame that re-codes gains as losses avoided). A shift du moves the logit
    of a conversion rate by at most du, i.e. |d| <= s * sqrt(3) / pi (0.11 at s = 0.2).
    """
    if not loss_framed:
        return np.zeros_like(np.asarray(tilt, dtype=float))
    return np.asarray(strength) * np.asarray(tilt, dtype=float)


# ---------------------------------------------------------------- anchors
def anchor_target(own: ArrayLike, anchor: ArrayLike, weight: ArrayLike) -> np.ndarray:
    """Where a customer's reference rate settles: T = own + w (A - own), with ``own`` the
    rate the customer earns, A the salient anchor seen (an advertised "was" rate, a contrast
    group's return, a rival's rate; NaN when none) and w in [0, 1] the customer's anchor
    weight.

    Reference points are partly set by recent and salient comparison rates (Kahneman and
    Tversky 1979; Thaler 1985 on reference prices; Mazumdar, Raj and Sinha 2005 review
    advertised reference prices); w governs how far; :func:`anchored_reference` how fast.
    """
    own = np.asarray(own, dtype=float)
    a = np.asarray(anchor, dtype=float)
    return np.where(np.isnan(a), own, own + np.asarray(weight) * (np.where(np.isnan(a), 0.0, a) - own))


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


def felt_downside(
    p_loss: ArrayLike, loss_pp: ArrayLike, drop: ArrayLike, exposure: float, salience: float
) -> tuple[np.ndarray, np.ndarray]:
    """Loss probability and size a customer expects after risky assets fell by ``drop``:

    p' = 1 - (1 - p)(1 - min(1, k * beta * D)),  L' = max(L, 100 * beta * D),

    with beta the product's exposure (:func:`market_exposure`) and k the salience of the
    fall. Investors extrapolate recent returns (Greenwood and Shleifer 2014) and a loss just
    seen sets the scale of a bad outcome (availability; Tversky and Kahneman 1973). A
    guaranteed product (beta = 0) is unaffected; the effect grows with risk level.
    """
    hit = np.minimum(1.0, salience * exposure * np.asarray(drop, dtype=float))
    p_new = 1.0 - (1.0 - np.asarray(p_loss, dtype=float)) * (1.0 - hit)
    return p_new, np.maximum(np.asarray(loss_pp, dtype=float), 100.0 * exposure * np.asarray(drop))


def flight_to_safety(drop: ArrayLike, guaranteed: bool, strength: float) -> np.ndarray:
    """Utility gain of a guaranteed product while risky assets are down: du = s * D if
    guaranteed, else 0 (flight to safety: household money moves into deposits after equity
    falls; Baele, Bekaert, Inghelbrecht and Wei 2020)."""
    return np.asarray(strength * np.asarray(drop, dtype=float) if guaranteed else np.zeros_like(drop))


# ---------------------------------------------------------------- deadlines and quotas
def decision_pace(decision_rate: ArrayLike, urgency_term: ArrayLike, pace: float) -> np.ndarray:
    """Daily probability that a considering customer decides today:
    P = 1 - (1 - d)^(1 + k U): the decision hazard -ln(1 - d) is multiplied by 1 + k U.

    Urgency pulls decisions forward (procrastination ends at deadlines: O'Donoghue and Rabin
    1999; Ariely and Wertenbroch 2002), which is what makes the last days rush, rather than
    only making the offer look better. k = 0 gives the plain daily rate d.
    """
    d = np.asarray(decision_rate, dtype=float)
    return -np.expm1(np.log1p(-np.minimum(d, 1.0 - 1e-12)) * (1.0 + pace * np.asarray(urgency_term)))


# ---------------------------------------------------------------- rumours, outages
def transmission_probability(contacts: float, degree: ArrayLike) -> np.ndarray:
    """Per-link probability that a customer passes a rumour on: min(1, c / k) for degree k,
    so each teller reaches about c people whatever the graph (a graph-independent contact
    rate, as in network SIR models normalised by degree; Pastor-Satorras et al. 2015);
    0 for isolated customers."""
    k = np.asarray(degree, dtype=float)
    return np.where(k > 0, np.minimum(1.0, contacts / np.maximum(k, 1.0)), 0.0)


def outage_complaint_probability(
    tried: ArrayLike, blocked: ArrayLike, rate: float, blocked_factor: float
) -> np.ndarray:
    """P(complain) on an outage day: rate for every customer who tried to act (opened the
    app for the offer), times ``blocked_factor`` for those blocked in the middle of buying.
    Complaints come from everyone the failure touched, not only lost buyers."""
    base = rate * np.asarray(tried, dtype=float)
    return np.minimum(1.0, base * np.where(np.asarray(blocked), blocked_factor, 1.0))
