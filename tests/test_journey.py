"""Tests for sim.journey: the compiled consideration, conversion and anchoring give the
numbers of the documented equations composed over arrays with :mod:`sim.behaviour` (the
chain of docs/ODD.md 7.3-7.8, written here from the equations, not from the kernels),
over the shipped scenarios' mechanisms (loss framing, cashback, suitability, macro shifts,
misleading claims, incentives ending, the complete graph's float64 shares) and random
customers, days and shocks; and a hand-computed customer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import behaviour as bh
from sim import journey
from sim.model import CampaignModel
from sim.population import AWARE, CONSIDERING, DROPPED, Population
from sim.shocks import Environment, environment
from sim.terms import offer_terms
from sim.today import Today
from tests import twins
from tests.conftest import SCENARIOS, small

SHIPPED = ["deposit_sprint", "etf_flash_sale", "account_opening_festival", "credit_card_carnival"]


def model_on_day(name: str, seed: int, days: int, overrides: tuple[str, ...] = ()) -> CampaignModel:
    m = CampaignModel(small(SCENARIOS / f"{name}.toml", size=600, overrides=overrides), seed, agents=False)
    for _ in range(days):
        m.step()
    return m


def some(m: CampaignModel, seed: int, stage: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pool = np.arange(m.pop.size) if stage is None else np.flatnonzero(m.pop.stage == stage)
    return np.sort(rng.choice(pool, rng.integers(0, pool.size + 1), replace=False))


def shifted(env: Environment, rng: np.random.Generator, claims: bool) -> Environment:
    """The day's environment with random macro shifts (and banned claims lifted)."""
    return dataclasses.replace(
        env,
        inflation_pp=float(rng.choice([0.0, rng.normal(0, 2)])),
        market_drop=float(rng.choice([0.0, rng.random() * 0.3])),
        banned_claims=set() if claims else env.banned_claims,
    )


def conversion_chain(pop: Population, idx: np.ndarray, share: np.ndarray, day: Today) -> np.ndarray:
    """Daily P(convert) by docs/ODD.md 7.5-7.6, composed from sim.behaviour's array forms
    (in float64, as the engine computes)."""
    b, t = day.behaviour, day.terms
    names = ("amount", "reference", "curvature", "loss_aversion", "risk_appetite", "trust", "fomo",
             "social_proof", "value_sensitivity", "threshold")  # fmt: skip
    c = {f: getattr(pop, f)[idx].astype(np.float64) for f in names}
    extras = t.extras / np.maximum(c["amount"], 1.0) * 100 / day.term_years
    good, bad = bh.offer_outcomes(
        day.offer_rate, t.bonus_pp, extras, day.costs_pp, day.loss_pp, c["reference"]
    )
    value = bh.cpt_value(good, bad, day.p_loss, c["curvature"], c["loss_aversion"])
    appetite = c["risk_appetite"] - day.appetite_shift
    trust = b.trust_weight * (c["trust"] - 0.5) - b.risk_penalty * np.maximum(day.risk_level - appetite, 0.0)
    u_term = c["fomo"] * day.urgency  # urgency is linear in FOMO
    p = bh.conversion_probability(
        value,
        c["value_sensitivity"],
        u_term,
        bh.social_proof(share, c["social_proof"]),
        trust + day.utility_shift,
        c["threshold"],
        bh.decision_pace(b.decision_rate, u_term, b.urgency_pace),
    )
    ok = pop.eligible[idx] & ((not day.suitability) | (day.risk_level <= np.round(appetite) + 0.5))
    return np.where(ok, p, 0.0)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from([*SHIPPED, "mean_field"]),
    seed=st.integers(0, 10_000),
    days=st.integers(0, 25),
    incentives=st.booleans(),
    claims=st.booleans(),
)
def test_conversion_odds_follow_the_equations(
    name: str, seed: int, days: int, incentives: bool, claims: bool
) -> None:
    overrides = ("network.kind=complete",) if name == "mean_field" else ()
    m = model_on_day("deposit_sprint" if name == "mean_field" else name, seed, days, overrides)
    m.terms = offer_terms(m.sc.offer, m.live, incentives)  # today's terms, paid or not
    rng = np.random.default_rng(seed)
    env = shifted(environment(m.sc, m.shocks, m.day), rng, claims)
    idx = some(m, seed)
    p_drop = rng.random(idx.size) if rng.random() < 0.5 else np.asarray(rng.random())
    day, share = m.journey_day(env), m.adopter_share(idx)
    p, drop_below = journey.conversion_odds(m.pop, idx, share, p_drop, day)
    expected = conversion_chain(m.pop, idx, share, day)
    np.testing.assert_allclose(p, expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(drop_below, expected + (1 - expected) * p_drop, rtol=1e-6, atol=1e-12)
    assert p.dtype == np.float64


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from([*SHIPPED, "mean_field"]), seed=st.integers(0, 10_000), days=st.integers(0, 25))
def test_consideration_follows_the_hazard(name: str, seed: int, days: int) -> None:
    overrides = ("network.kind=complete",) if name == "mean_field" else ()
    m = model_on_day("deposit_sprint" if name == "mean_field" else name, seed, days, overrides)
    cand = some(m, seed, AWARE)
    u = np.random.default_rng(seed).random(cand.size)
    day, share = m.journey_day(environment(m.sc, m.shocks, m.day)), m.adopter_share(cand)
    b, pop = day.behaviour, m.pop
    expected = pop.stage.copy()
    u_term = pop.fomo[cand] * day.urgency  # urgency is linear in FOMO
    rate = b.consider_rate * pop.trust[cand] * (1.0 + u_term + bh.social_proof(share, pop.social_proof[cand]))
    p = bh.hazard_probability(rate)
    expected[cand[u < p]] = CONSIDERING
    expected[cand[(u >= p) & (u < p + b.drop_rate)]] = DROPPED
    journey.consider(pop, cand, u, share, day)
    np.testing.assert_array_equal(pop.stage, expected)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(SHIPPED), seed=st.integers(0, 10_000), days=st.integers(0, 25), rival=st.booleans()
)
def test_anchoring_follows_the_equations(name: str, seed: int, days: int, rival: bool) -> None:
    m = model_on_day(name, seed, days)
    rng = np.random.default_rng(seed)
    env = shifted(environment(m.sc, m.shocks, m.day), rng, False)
    m.pop.saw_competitor[:] = rng.random(m.pop.size) < 0.5
    env.competitor_rate = float(rng.normal(2.0, 0.5)) if rival else None
    day = m.journey_day(env)
    before = m.pop.reference.copy()
    journey.anchor(m.pop, day)
    fused = m.pop.reference.copy()
    m.pop.reference[:] = before
    twins.anchor_reference(m.pop, day)
    np.testing.assert_allclose(fused, m.pop.reference, rtol=1e-6, atol=1e-6)  # float32 against float64
    assert fused.dtype == np.float32


def test_one_customer_by_hand() -> None:
    """A guaranteed deposit, one customer: x_good = 2 + 0.5 + 0 - 0.25 - 1.5 = 0.75, V = 0.75
    (alpha = 1, p = 0); U = 0.5 x 0.4 = 0.2, S = 1 x 0.5 = 0.5, T = 1 x (0.8 - 0.5) = 0.3;
    u = 2 x 0.75 + 0.2 + 0.5 + 0.3 - 1.5 = 1 -> logistic 0.731059; P_decide = 1 - 0.7^(1 + 0.2)
    = 0.348195; P = 0.254551."""
    m = model_on_day("deposit_sprint", 3, 0)
    pop, idx = m.pop, np.array([0])
    for col, v in dict(
        amount=1e4, reference=1.5, curvature=1.0, loss_aversion=2.0, risk_appetite=3.0, trust=0.8,
        value_sensitivity=2.0, fomo=0.4, social_proof=1.0, threshold=1.5, eligible=True,
    ).items():  # fmt: skip
        getattr(pop, col)[0] = v
    day = dataclasses.replace(
        m.journey_day(environment(m.sc, m.shocks, 0)),
        terms=dataclasses.replace(m.terms, bonus_pp=0.5, extras=0.0),
        urgency=0.5, offer_rate=2.0, costs_pp=0.25, p_loss=0.0, loss_pp=0.0, w_good=1.0, w_bad=0.0,
        utility_shift=0.0, appetite_shift=0.0, risk_level=1, decision_hazard=-np.log(0.7),
        behaviour=m.sc.behaviour.model_copy(update={"trust_weight": 1.0, "urgency_pace": 1.0}),
    )  # fmt: skip
    p, drop_below = journey.conversion_odds(pop, idx, np.array([0.5]), 0.1, day)
    assert p[0] == pytest.approx(0.254551, abs=1e-6)
    assert drop_below[0] == pytest.approx(0.254551 + 0.745449 * 0.1, abs=1e-6)
    pop.eligible[0] = False
    assert journey.conversion_odds(pop, idx, np.array([0.5]), 0.1, day)[0][0] == 0.0
