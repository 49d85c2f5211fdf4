"""Each behavioural equation, written once, as a scalar function of plain arithmetic and
``math`` (compiled by numba and cached on disk).

These are the only homes of the equations: :mod:`sim.behaviour` turns each into a numpy
ufunc (the readable array API) and the fused per-customer loops of
:mod:`sim.journey_kernels` and :mod:`sim.kernels` call them directly. Units: rates and
outcomes in percentage points a year (pp); utilities are dimensionless logit scores.
"""

from __future__ import annotations

import math

from numba import njit

#: Tversky and Kahneman (1992) median estimates, used as default priors.
TK92_ALPHA = 0.88
TK92_LAMBDA = 2.25
TK92_GAMMA = 0.61  # probability weighting for gains
TK92_DELTA = 0.69  # probability weighting for losses

equation = njit(cache=True, nogil=True)


@equation
def prospect_value(x: float, alpha: float, loss_aversion: float) -> float:
    """Prospect-theory value function.

    v(x) = x^alpha for x >= 0 and v(x) = -lambda * (-x)^alpha for x < 0,
    with curvature alpha and loss aversion lambda (Tversky and Kahneman 1992, eq. 5;
    alpha = 0.88, lambda = 2.25 are their estimates).
    """
    mag = abs(x) ** alpha
    return mag if x >= 0 else -loss_aversion * mag


@equation
def probability_weight(p: float, gamma: float) -> float:
    """Inverse-S decision weight w(p) = p^g / (p^g + (1-p)^g)^(1/g) (Tversky and Kahneman
    1992); p is clipped to [0, 1]."""
    p = min(max(p, 0.0), 1.0)
    pg = p**gamma
    return pg / (pg + (1.0 - p) ** gamma) ** (1.0 / gamma)


@equation
def weighted_value(
    x_good: float, x_bad: float, w_good: float, w_bad: float, alpha: float, lam: float
) -> float:
    """Cumulative prospect value of x_good >= x_bad given the decision weights w_good =
    w+(1-p) and w_bad = w-(p) (Tversky and Kahneman 1992):
    both gains:  V = v(x_bad) + w_good [v(x_good) - v(x_bad)];
    both losses: V = v(x_good) + w_bad [v(x_bad) - v(x_good)];
    mixed:       V = w_good v(x_good) + w_bad v(x_bad).
    """
    vg = prospect_value(x_good, alpha, lam)
    vb = prospect_value(x_bad, alpha, lam)
    if x_bad >= 0:
        return vb + w_good * (vg - vb)
    if x_good <= 0:
        return vg + w_bad * (vb - vg)
    return w_good * vg + w_bad * vb


@equation
def cpt_value(x_good: float, x_bad: float, p_bad: float, alpha: float, loss_aversion: float) -> float:
    """Cumulative prospect value of a two-outcome prospect (x_good w.p. 1-p, x_bad w.p. p):
    :func:`weighted_value` with w_good = w+(1-p), gamma = 0.61, and w_bad = w-(p),
    delta = 0.69 (:func:`probability_weight`; Tversky and Kahneman 1992).
    A guaranteed product has p = 0 and V = v(x_good).
    """
    w_good = probability_weight(1.0 - p_bad, TK92_GAMMA)
    w_bad = probability_weight(p_bad, TK92_DELTA)
    return weighted_value(x_good, x_bad, w_good, w_bad, alpha, loss_aversion)


@equation
def anchored_reference(reference: float, target: float, speed: float) -> float:
    """Anchoring and insufficient adjustment: r' = r + k (target - r), 0 <= k <= 1.

    The reference rate moves only part of the way toward rates seen today (Tversky and
    Kahneman 1974, anchoring and adjustment; partial adjustment as in Nerlove 1958).
    """
    return reference + speed * (target - reference)


@equation
def anchor_target(own: float, anchor: float, weight: float) -> float:
    """Where a customer's reference rate settles: T = own + w (A - own), with ``own`` the
    rate the customer earns, A the salient anchor seen (an advertised "was" rate, a contrast
    group's return, a rival's rate; NaN when none: T = own) and w in [0, 1] the customer's
    anchor weight.

    Reference points are partly set by recent and salient comparison rates (Kahneman and
    Tversky 1979; Thaler 1985 on reference prices; Mazumdar, Raj and Sinha 2005 review
    advertised reference prices); w governs how far; :func:`anchored_reference` how fast.
    """
    if math.isnan(anchor):
        return own
    return own + weight * (anchor - own)


@equation
def offer_outcome(paid: float, bonus_pp: float, extras_pp: float, costs_pp: float, reference: float) -> float:
    """Outcome of taking the offer relative to the reference rate, pp a year:
    x = paid + bonus + extras - costs - reference, with ``paid`` the product's rate when it
    pays as expected (good outcome) or minus the loss when a non-guaranteed product loses
    (bad outcome). ``extras`` are cashback and perks per amount (:func:`extras_rate`),
    ``costs`` fees and lock-up disutility. Outcomes are coded against the reference point
    (Kahneman and Tversky 1979).
    """
    return paid + (bonus_pp + extras_pp - costs_pp - reference)


@equation
def extras_rate(extras: float, amount: float, term_years: float) -> float:
    """Cashback and perks (money per customer) as a rate on the amount: e = extras /
    max(amount, 1) x 100 / term years, pp a year."""
    return extras / max(amount, 1.0) * 100.0 / term_years


@equation
def urgency(
    days_left: float,
    quota_left_share: float,
    fomo: float,
    scale_days: float,
    scarcity_weight: float,
    scarcity_shape: float,
) -> float:
    """FOMO and scarcity: U = fomo * (exp(-days_left / tau) + w_s * (1 - q)^kappa).

    Shape: the deadline term is 1 on the last day, e^-1 = 0.37 tau days before and 0.05
    three tau before, so a short tau (1-3 days) concentrates urgency in the last days, like
    the deadline effect (Ariely and Wertenbroch 2002) and end-of-promotion sales spikes.
    The scarcity term grows with the used share 1 - q of a visible quota (commodity theory,
    Lynn 1991; scarcity heuristic, Cialdini 2001): concave for kappa < 1 (a counter bites
    from the first sales), convex for kappa > 1 (only a nearly gone quota matters).
    """
    deadline = math.exp(-max(days_left, 0.0) / scale_days)
    scarcity = scarcity_weight * (1.0 - quota_left_share) ** scarcity_shape
    return fomo * (deadline + scarcity)


@equation
def social_proof(share_converted: float, strength: float) -> float:
    """Social proof: S = s * share of neighbours converted (Cialdini 2001; the imitation
    term of Bass 1969 applied to the customer's own neighbourhood)."""
    return strength * share_converted


@equation
def consideration_hazard(rate: float, trust: float, urgency_term: float, social_term: float) -> float:
    """Daily hazard of an aware customer starting to consider the offer:
    h = rate x trust x (1 + U + S), with U urgency and S social proof (docs/ODD.md 7.3)."""
    return rate * trust * (1.0 + urgency_term + social_term)


@equation
def logistic(u: float) -> float:
    """Binary logit choice probability 1 / (1 + e^-u) (McFadden 1974), as (1 + tanh(u/2)) / 2
    (no overflow for extreme utilities)."""
    return 0.5 * (1.0 + math.tanh(0.5 * u))


@equation
def trust_term(
    trust: float, trust_weight: float, risk_level: float, appetite: float, risk_penalty: float
) -> float:
    """Trust and risk fit in the utility of converting: T = w_T (trust - 0.5) - rho x
    max(R - A, 0), with R the product's risk level and A the customer's risk appetite
    (docs/ODD.md 7.6: a product above one's appetite weighs against it)."""
    return trust_weight * (trust - 0.5) - risk_penalty * max(risk_level - appetite, 0.0)


@equation
def suitable(risk_level: float, appetite: float) -> bool:
    """Suitability rule: a product may be sold when its risk level is within the customer's
    risk appetite rounded to a level, R <= round(A) + 0.5 (sales above it are mis-selling)."""
    return risk_level <= round(appetite) + 0.5


@equation
def conversion_probability(
    value: float,
    sensitivity: float,
    urgency_term: float,
    social_term: float,
    trust_term: float,
    threshold: float,
    decision_rate: float,
) -> float:
    """Daily probability that a considering customer converts.

    P = d * logistic(beta * V + U + S + T - c): a binary logit on utility with
    heterogeneous weights (McFadden 1974); d is the largest daily decision rate, beta the
    customer's sensitivity to the prospect value V, U urgency, S social proof, T trust and
    c the customer's threshold.
    """
    return decision_rate * logistic(sensitivity * value + urgency_term + social_term + trust_term - threshold)


@equation
def combine_probabilities(p: float, q: float) -> float:
    """P(at least one of two independent events) = 1 - (1 - p)(1 - q)."""
    return 1.0 - (1.0 - p) * (1.0 - q)


@equation
def hazard_probability(rate: float) -> float:
    """Daily probability of an event with constant hazard h: 1 - e^-h."""
    return -math.expm1(-rate)


@equation
def churn_probability(hazard: float, bonus_pp: float, rate_chasing: float) -> float:
    """Daily churn after conversion: 1 - exp(-h (1 + c * bonus)).

    Rate chasers attracted by a bonus leave faster (hot money; the "teaser rate" effect
    reported for promotional deposits), so the hazard grows with the bonus in pp.
    """
    return hazard_probability(hazard * (1.0 + rate_chasing * bonus_pp))


@equation
def decision_hazard(decision_rate: float) -> float:
    """The daily decision hazard h = -ln(1 - d) of a daily decision probability d (d is
    capped just below 1)."""
    return -math.log1p(-min(decision_rate, 1.0 - 1e-12))


@equation
def paced_decision(hazard: float, urgency_term: float, pace: float) -> float:
    """Daily probability that a considering customer decides today, P = 1 - e^(-h (1 + k U))
    with h the decision hazard (:func:`decision_hazard`): urgency multiplies the hazard by
    1 + k U (see :func:`decision_pace`)."""
    return hazard_probability(hazard * (1.0 + pace * urgency_term))


@equation
def decision_pace(decision_rate: float, urgency_term: float, pace: float) -> float:
    """Daily probability that a considering customer decides today:
    P = 1 - (1 - d)^(1 + k U): the decision hazard -ln(1 - d) is multiplied by 1 + k U.

    Urgency pulls decisions forward (procrastination ends at deadlines: O'Donoghue and Rabin
    1999; Ariely and Wertenbroch 2002), which is what makes the last days rush, rather than
    only making the offer look better. k = 0 gives the plain daily rate d.
    """
    return paced_decision(decision_hazard(decision_rate), urgency_term, pace)


@equation
def bass_adoption(t: float, p: float, q: float) -> float:
    """Bass (1969) cumulative adoption F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)."""
    e = math.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


@equation
def bass_probability(p: float, q: float, share_adopted: float) -> float:
    """Daily adoption probability of a customer who has not adopted, in the network form of
    the Bass (1969) model: hazard h = p + q * s, with s the share of the customer's
    neighbours who adopted (on a complete graph, the population's adopted share F, which
    gives Bass's dF/dt = (p + q F)(1 - F)), and P = 1 - e^-h (:func:`hazard_probability`)."""
    return hazard_probability(p + q * share_adopted)


#: Chinn (2000): a logit difference times sqrt(3)/pi is on Cohen's d scale (the logistic
#: distribution has standard deviation pi/sqrt(3)).
LOGIT_TO_D = math.sqrt(3.0) / math.pi


@equation
def logit_effect_size(p_control: float, p_treatment: float) -> float:
    """Cohen's d of a change in a rate: d = (logit p1 - logit p0) * sqrt(3) / pi (Chinn 2000).

    How a conversion-rate difference is put on the scale of framing meta-analyses
    (O'Keefe and Jensen 2007, 2009; Gallagher and Updegraff 2012 report r ~ 0.03-0.08,
    i.e. d = 2r / sqrt(1 - r^2) ~ 0.06-0.16). Rates are clipped to [1e-12, 1 - 1e-12].
    """
    p0 = min(max(p_control, 1e-12), 1 - 1e-12)
    p1 = min(max(p_treatment, 1e-12), 1 - 1e-12)
    return (math.log(p1 / (1 - p1)) - math.log(p0 / (1 - p0))) * LOGIT_TO_D


@equation
def frame_tilt(risk_level: float, guaranteed: bool, pivot: float, span: float) -> float:
    """Whether taking the offer is, to the customer, taking a risk (+) or securing a sure
    thing (-): tilt = -1 for a guaranteed product, else clip((level - pivot) / span, -1, 1).

    Prospect theory predicts that loss frames favour the risky option and gain frames the
    sure one (Tversky and Kahneman 1981); Rothman and Salovey (1997) carry this over to
    persuasion (loss frames for behaviours seen as risky, gain frames for safe ones), which
    the meta-analyses above find only weakly. A low-risk product below ``pivot`` is the
    "safe choice", a high-risk one above it the "risky choice".
    """
    if guaranteed:
        return -1.0
    return min(max((risk_level - pivot) / span, -1.0), 1.0)


@equation
def framing_shift(loss_framed: bool, tilt: float, strength: float) -> float:
    """Logit-utility shift of a loss-framed creative against a gain-framed one:
    du = s * tilt if loss-framed, else 0; so |du| <= s and the sign follows the product's
    risk profile (:func:`frame_tilt`).

    Additive in utility, so it never interacts with loss aversion: raising lambda lowers
    the prospect value of a risky product under either frame (the shift does not cancel
    it, unlike a frame that re-codes gains as losses avoided). A shift du moves the logit
    of a conversion rate by at most du, i.e. |d| <= s * sqrt(3) / pi (0.11 at s = 0.2).
    """
    return strength * tilt if loss_framed else 0.0


@equation
def felt_loss_probability(p_loss: float, drop: float, exposure: float, salience: float) -> float:
    """Loss probability a customer expects after risky assets fell by ``drop``:
    p' = 1 - (1 - p)(1 - min(1, k * beta * D)), with beta the product's exposure and k the
    salience of the fall. Investors extrapolate recent returns (Greenwood and Shleifer
    2014); a guaranteed product (beta = 0) is unaffected."""
    return 1.0 - (1.0 - p_loss) * (1.0 - min(1.0, salience * exposure * drop))


@equation
def felt_loss_size(loss_pp: float, drop: float, exposure: float) -> float:
    """Loss size a customer expects after risky assets fell by ``drop``: L' = max(L, 100 *
    beta * D): a loss just seen sets the scale of a bad outcome (availability; Tversky and
    Kahneman 1973)."""
    return max(loss_pp, 100.0 * exposure * drop)


@equation
def flight_to_safety(drop: float, guaranteed: bool, strength: float) -> float:
    """Utility gain of a guaranteed product while risky assets are down: du = s * D if
    guaranteed, else 0 (flight to safety: household money moves into deposits after equity
    falls; Baele, Bekaert, Inghelbrecht and Wei 2020)."""
    return strength * drop if guaranteed else 0.0


@equation
def transmission_probability(contacts: float, degree: float) -> float:
    """Per-link probability that a customer passes a rumour on: min(1, c / k) for degree k,
    so each teller reaches about c people whatever the graph (a graph-independent contact
    rate, as in network SIR models normalised by degree; Pastor-Satorras et al. 2015);
    0 for isolated customers."""
    return min(1.0, contacts / max(degree, 1.0)) if degree > 0 else 0.0


@equation
def outage_complaint_probability(tried: float, blocked: bool, rate: float, blocked_factor: float) -> float:
    """P(complain) on an outage day: rate for every customer who tried to act (opened the
    app for the offer; ``tried`` 1, else 0), times ``blocked_factor`` for those blocked in
    the middle of buying, at most 1. Complaints come from everyone the failure touched,
    not only lost buyers."""
    return min(1.0, rate * tried * (blocked_factor if blocked else 1.0))


@equation
def repeat_purchase_probability(propensity: float, held: float, fatigue: float) -> float:
    """P(a holder reached by a contact buys the product again that day) = r^h x F, with r
    the repeat propensity (``behaviour.repeat_purchase``), h >= 1 the units the customer
    already holds and F the contact's fatigue factor e^(-f n) (:func:`fatigue_factor`).

    Existing customers buy again far more readily than prospects buy at all: in the bank
    telemarketing data (Moro, Cortez and Rita 2014) calls to clients whose previous
    campaign ended in a subscription succeed 65% of the time, against 8.8% for clients
    never called before; add-on buying by current customers is the core of customer
    lifetime value (Reinartz and Kumar 2003). Each unit already held lowers the chance of
    one more geometrically (every further unit needs the same yes again: the bank's share
    of the customer's savings fills up), so a customer called without limit holds on
    average at most 1 / (1 - r) units; r = 0: nobody buys twice. r is clipped to [0, 1].
    """
    r = min(max(propensity, 0.0), 1.0)
    return r ** max(held, 1.0) * fatigue


@equation
def fatigue_factor(exposures: float, fatigue: float) -> float:
    """Diminishing returns to repeated exposure: e^(-f n) after n earlier contacts
    (advertising wear-out; Pechmann and Stewart 1988)."""
    return math.exp(-fatigue * exposures)


@equation
def contact_complaint_probability(rate: float, exposures: float) -> float:
    """P(a contact draws a complaint) = rate x (1 + (n - 1) / 2) for the customer's n-th
    contact: the more often contacted, the likelier to complain."""
    return rate * (1.0 + 0.5 * (exposures - 1))
