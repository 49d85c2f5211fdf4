"""Customers as columns: one numpy array per attribute (structure of arrays).

Customers are data; behaviour lives in plain functions (:mod:`sim.behaviour`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from sim import behaviour as bh
from sim.distributions import draw
from sim.scenario import STAGES, Offer, Scenario

UNAWARE, AWARE, CONSIDERING, CONVERTED, RETAINED, CHURNED, DROPPED = range(len(STAGES))


@dataclass
class Population:
    """Per-customer state. Stage codes index :data:`sim.scenario.STAGES`."""

    segment: np.ndarray  # int16 segment index
    balance: np.ndarray  # investable balance, currency
    amount: np.ndarray  # amount the offer would attract, 0 when below minimum
    current_rate: np.ndarray  # pp a year earned today
    reference: np.ndarray  # anchored reference rate, pp a year
    risk_appetite: np.ndarray  # 1..5
    digital: np.ndarray  # 0..1
    trust: np.ndarray  # 0..1
    loss_aversion: np.ndarray
    curvature: np.ndarray
    anchor_weight: np.ndarray  # 0..1, how far anchors move the reference
    anchor_speed: np.ndarray
    fomo: np.ndarray
    social_proof: np.ndarray
    value_sensitivity: np.ndarray
    threshold: np.ndarray
    churn_hazard: np.ndarray
    eligible: np.ndarray  # bool
    new_money: np.ndarray  # share of amount new to the bank
    stage: np.ndarray  # int8
    converted_day: np.ndarray  # int32, -1 if never
    held: np.ndarray  # int32 units of the product bought: 0 never, 1 converted, more with repeat purchases
    invited: np.ndarray  # bool: came through an invitation
    invites_sent: np.ndarray  # int32 (referral.max_invites fits)
    exposures: np.ndarray  # int32, marketing contacts received, all channels
    channel_contacts: np.ndarray  # uint16 (channels, customers), for frequency caps
    saw_competitor: np.ndarray  # bool
    unsuitable: np.ndarray  # bool: sold above risk appetite

    @property
    def size(self) -> int:
        return int(self.stage.size)

    def column_names(self) -> list[str]:
        return [f.name for f in fields(self)]


def segment_sizes(shares: np.ndarray, n: int) -> np.ndarray:
    """Largest-remainder rounding so the segment sizes add up to exactly ``n``."""
    raw = np.asarray(shares, dtype=float) * n
    sizes = np.floor(raw).astype(np.int64)
    short = n - int(sizes.sum())
    sizes[np.argsort(-(raw - sizes), kind="stable")[:short]] += 1
    return sizes


def offer_rate(offer: Offer, market_shift_pp: float = 0.0) -> float:
    """The product's own headline rate without bonus, pp a year: the expected return of a
    non-guaranteed product, else its base rate, moved by ``offer.rate_pass_through`` times
    today's move of market rates since day 0.

    rate = r0 + pass_through * shift. A bank's deposit rate follows money-market rates
    only part of the way (retail interest-rate pass-through: de Bondt 2002, ECB Working
    Paper 136, finds euro-area retail rates follow a money-market move less than one for
    one within a month and more fully in the long run); 0 keeps the rate fixed, 1 moves it
    one for one, so the margin over what money earns elsewhere stays the same."""
    rate = offer.base_rate_pp if offer.guaranteed else offer.expected_return_pp
    return rate + offer.rate_pass_through * market_shift_pp


def creative_anchor(offer: Offer) -> float:
    """The creative's anchor (:func:`sim.behaviour.advertised_anchor`) against the headline
    rate with bonus; NaN when the creative shows none."""
    headline = offer_rate(offer) + offer.bonus_bp / 100
    return bh.advertised_anchor(offer.list_rate_pp, headline, offer.contrast_rate_pp)


def build_population(sc: Scenario, rng: np.random.Generator) -> Population:
    """Draw every customer's attributes segment by segment from ``rng``."""
    n = sc.population.size
    sizes = segment_sizes(np.array([s.share for s in sc.segments]), n)
    seg = np.repeat(np.arange(len(sizes), dtype=np.int16), sizes)
    # Each segment's draws go straight into its slice of the full columns (no concatenation);
    # columns kept as float32 are rounded on assignment, as astype would.
    f32 = np.float32
    col = {name: np.empty(n, dtype) for name, dtype in _DRAWN.items()}
    lo = 0
    for s, k in zip(sc.segments, sizes, strict=True):
        k = int(k)
        part = slice(lo, lo + k)
        lo += k
        col["balance"][part] = np.maximum(draw(s.balance, rng, k), 0.0)
        col["current_rate"][part] = draw(s.current_rate_pp, rng, k)
        col["risk_appetite"][part] = np.clip(draw(s.risk_appetite, rng, k), 1, 5)
        col["digital"][part] = np.clip(draw(s.digital_affinity, rng, k), 0, 1)
        col["trust"][part] = np.clip(draw(s.trust, rng, k), 0, 1)
        col["loss_aversion"][part] = np.maximum(draw(s.loss_aversion, rng, k), 0.0)
        col["curvature"][part] = np.clip(draw(s.curvature, rng, k), 0.05, 1.5)
        col["anchor_weight"][part] = np.clip(draw(s.anchor_weight, rng, k), 0, 1)
        col["anchor_speed"][part] = np.clip(draw(s.anchor_speed, rng, k), 0, 1)
        col["fomo"][part] = np.maximum(draw(s.fomo, rng, k), 0.0)
        col["social_proof"][part] = np.maximum(draw(s.social_proof, rng, k), 0.0)
        col["value_sensitivity"][part] = np.maximum(draw(s.value_sensitivity, rng, k), 0.0)
        col["threshold"][part] = draw(s.threshold, rng, k)
        col["churn_hazard"][part] = s.churn_hazard
        col["eligible"][part] = rng.random(k) < s.eligible
        col["new_money"][part] = s.new_money_share
        col["amount_share"][part] = s.amount_share
        col["aware0"][part] = rng.random(k) < s.initially_aware

    offer = sc.offer
    amount = col["balance"] * col["amount_share"]
    if offer.max_amount is not None:
        amount = np.minimum(amount, offer.max_amount)
    amount = np.where(amount >= offer.min_amount, amount, 0.0)
    # Anchoring: the starting reference is the target the creative sets (docs/ODD.md 7.8);
    # it then adjusts only partly each day.
    anchor = creative_anchor(offer)
    reference = col["current_rate"]
    if not math.isnan(anchor):
        reference = reference + col["anchor_weight"] * (anchor - reference)
    stage = np.where(col["aware0"], AWARE, UNAWARE).astype(np.int8)
    return Population(
        segment=seg,
        balance=col["balance"],
        amount=amount,
        current_rate=col["current_rate"].astype(f32),
        reference=reference.astype(f32),
        risk_appetite=col["risk_appetite"],
        digital=col["digital"],
        trust=col["trust"],
        loss_aversion=col["loss_aversion"],
        curvature=col["curvature"],
        anchor_weight=col["anchor_weight"].astype(f32),
        anchor_speed=col["anchor_speed"],
        fomo=col["fomo"],
        social_proof=col["social_proof"],
        value_sensitivity=col["value_sensitivity"],
        threshold=col["threshold"],
        churn_hazard=col["churn_hazard"],
        eligible=col["eligible"] & (amount > 0),
        new_money=col["new_money"],
        stage=stage,
        converted_day=np.full(n, -1, dtype=np.int32),
        held=np.zeros(n, dtype=np.int32),
        invited=np.zeros(n, dtype=bool),
        invites_sent=np.zeros(n, dtype=np.int32),
        exposures=np.zeros(n, dtype=np.int32),
        # a channel contacts a customer at most once a day, so its count never exceeds the
        # campaign's days with the rules' extension (<= 3650 + 730): uint16 cannot wrap,
        # whatever the frequency cap
        channel_contacts=np.zeros((len(sc.channels), n), dtype=np.uint16),
        saw_competitor=np.zeros(n, dtype=bool),
        unsuitable=np.zeros(n, dtype=bool),
    )


# Drawn columns and their storage: float64 where later arithmetic needs full precision.
_F32 = np.float32
_DRAWN: dict[str, type] = {
    "balance": np.float64,
    "current_rate": np.float64,
    "risk_appetite": _F32,
    "digital": _F32,
    "trust": _F32,
    "loss_aversion": _F32,
    "curvature": _F32,
    "anchor_weight": np.float64,
    "anchor_speed": _F32,
    "fomo": _F32,
    "social_proof": _F32,
    "value_sensitivity": _F32,
    "threshold": _F32,
    "churn_hazard": _F32,
    "eligible": np.bool_,
    "new_money": _F32,
    "amount_share": np.float64,
    "aware0": np.bool_,
}
