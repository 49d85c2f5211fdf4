"""Customers as columns: one numpy array per attribute (structure of arrays).

Customers are data; behaviour lives in plain functions (:mod:`sim.behaviour`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.distributions import draw
from sim.scenario import STAGES, Scenario

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
    invited: np.ndarray  # bool: came through an invitation
    invites_sent: np.ndarray  # int16
    exposures: np.ndarray  # int16, marketing contacts received, all channels
    channel_contacts: np.ndarray  # uint8 (channels, customers), for frequency caps
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


def build_population(sc: Scenario, rng: np.random.Generator) -> Population:
    """Draw every customer's attributes segment by segment from ``rng``."""
    n = sc.population.size
    sizes = segment_sizes(np.array([s.share for s in sc.segments]), n)
    seg = np.repeat(np.arange(len(sizes), dtype=np.int16), sizes)
    cols: dict[str, list[np.ndarray]] = {}

    def put(name: str, values: np.ndarray) -> None:
        cols.setdefault(name, []).append(values)

    for s, k in zip(sc.segments, sizes, strict=True):
        k = int(k)
        put("balance", np.maximum(draw(s.balance, rng, k), 0.0))
        put("current_rate", draw(s.current_rate_pp, rng, k))
        put("risk_appetite", np.clip(draw(s.risk_appetite, rng, k), 1, 5))
        put("digital", np.clip(draw(s.digital_affinity, rng, k), 0, 1))
        put("trust", np.clip(draw(s.trust, rng, k), 0, 1))
        put("loss_aversion", np.maximum(draw(s.loss_aversion, rng, k), 0.0))
        put("curvature", np.clip(draw(s.curvature, rng, k), 0.05, 1.5))
        put("anchor_weight", np.clip(draw(s.anchor_weight, rng, k), 0, 1))
        put("anchor_speed", np.clip(draw(s.anchor_speed, rng, k), 0, 1))
        put("fomo", np.maximum(draw(s.fomo, rng, k), 0.0))
        put("social_proof", np.maximum(draw(s.social_proof, rng, k), 0.0))
        put("value_sensitivity", np.maximum(draw(s.value_sensitivity, rng, k), 0.0))
        put("threshold", draw(s.threshold, rng, k))
        put("churn_hazard", np.full(k, s.churn_hazard))
        put("eligible", rng.random(k) < s.eligible)
        put("new_money", np.full(k, s.new_money_share))
        put("amount_share", np.full(k, s.amount_share))
        put("aware0", rng.random(k) < s.initially_aware)

    col = {name: np.concatenate(parts) for name, parts in cols.items()}
    offer = sc.offer
    amount = col["balance"] * col["amount_share"]
    if offer.max_amount is not None:
        amount = np.minimum(amount, offer.max_amount)
    amount = np.where(amount >= offer.min_amount, amount, 0.0)
    list_rate = offer.list_rate_pp if offer.list_rate_pp is not None else offer.base_rate_pp
    # Anchoring: the starting reference mixes what the customer earns with the advertised
    # "original" rate (Tversky and Kahneman 1974); it then adjusts only partly each day.
    w = col["anchor_weight"]
    reference = (1 - w) * col["current_rate"] + w * list_rate
    stage = np.where(col["aware0"], AWARE, UNAWARE).astype(np.int8)
    f32 = np.float32
    return Population(
        segment=seg,
        balance=col["balance"],
        amount=amount,
        current_rate=col["current_rate"].astype(f32),
        reference=reference.astype(f32),
        risk_appetite=col["risk_appetite"].astype(f32),
        digital=col["digital"].astype(f32),
        trust=col["trust"].astype(f32),
        loss_aversion=col["loss_aversion"].astype(f32),
        curvature=col["curvature"].astype(f32),
        anchor_speed=col["anchor_speed"].astype(f32),
        fomo=col["fomo"].astype(f32),
        social_proof=col["social_proof"].astype(f32),
        value_sensitivity=col["value_sensitivity"].astype(f32),
        threshold=col["threshold"].astype(f32),
        churn_hazard=col["churn_hazard"].astype(f32),
        eligible=col["eligible"] & (amount > 0),
        new_money=col["new_money"].astype(f32),
        stage=stage,
        converted_day=np.full(n, -1, dtype=np.int32),
        invited=np.zeros(n, dtype=bool),
        invites_sent=np.zeros(n, dtype=np.int16),
        exposures=np.zeros(n, dtype=np.int16),
        channel_contacts=np.zeros((len(sc.channels), n), dtype=np.uint8),
        saw_competitor=np.zeros(n, dtype=bool),
        unsuitable=np.zeros(n, dtype=bool),
    )
