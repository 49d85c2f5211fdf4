"""Tests for sim.journey: the fused consideration and conversion give exactly the numbers
of their readable numpy forms, over the shipped scenarios' mechanisms (loss framing,
cashback, suitability, macro shifts, misleading claims, incentives ending, the complete
graph's float64 shares) and random customers, days and shocks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import journey
from sim.model import CampaignModel
from sim.population import AWARE, CONSIDERING
from sim.shocks import Environment, environment
from sim.terms import offer_terms
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


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from([*SHIPPED, "mean_field"]),
    seed=st.integers(0, 10_000),
    days=st.integers(0, 25),
    incentives=st.booleans(),
    claims=st.booleans(),
)
def test_conversion_odds_equal_the_numpy_chain(
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
    ref = journey.conversion_probability_reference(m.pop, idx, share, day)
    np.testing.assert_array_equal(p, ref)
    np.testing.assert_array_equal(drop_below, ref + (1 - ref) * p_drop)
    assert p.dtype == ref.dtype == np.float64


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from([*SHIPPED, "mean_field"]), seed=st.integers(0, 10_000), days=st.integers(0, 25))
def test_consideration_equals_the_numpy_chain(name: str, seed: int, days: int) -> None:
    overrides = ("network.kind=complete",) if name == "mean_field" else ()
    m = model_on_day("deposit_sprint" if name == "mean_field" else name, seed, days, overrides)
    cand = some(m, seed, AWARE)
    u = np.random.default_rng(seed).random(cand.size)
    day, share = m.journey_day(environment(m.sc, m.shocks, m.day)), m.adopter_share(cand)
    before = m.pop.stage.copy()
    journey.consider(m.pop, cand, u, share, day)
    fused = m.pop.stage.copy()
    m.pop.stage[:] = before
    journey.consider_reference(m.pop, cand, u, share, day)
    np.testing.assert_array_equal(fused, m.pop.stage)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(SHIPPED), seed=st.integers(0, 10_000), days=st.integers(0, 25), rival=st.booleans()
)
def test_anchoring_equals_the_numpy_chain(name: str, seed: int, days: int, rival: bool) -> None:
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
    np.testing.assert_array_equal(fused, m.pop.reference)
    assert fused.dtype == np.float32


def test_the_check_can_tell_a_different_probability() -> None:
    """The comparison above is exact: one ulp of difference in one customer fails it."""
    m = model_on_day("deposit_sprint", 1, 5)
    env = environment(m.sc, m.shocks, m.day)
    idx = np.flatnonzero(m.pop.stage == CONSIDERING)
    day, share = m.journey_day(env), m.adopter_share(idx)
    p, _ = journey.conversion_odds(m.pop, idx, share, 0.0, day)
    ref = journey.conversion_probability_reference(m.pop, idx, share, day)
    assert idx.size > 0 and (ref > 0).any()
    ref[np.argmax(ref)] = np.nextafter(ref.max(), 1.0)
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(p, ref)
