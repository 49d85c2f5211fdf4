"""Tests for sim.channels: weighted contact sampling, its fast path, fatigue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.channels import SCRATCH_EMPTY, fatigue_factor, interest_weights, sample_targets
from sim.loading import load_scenario
from sim.model import CampaignModel
from sim.population import AWARE, CONSIDERING, UNAWARE
from sim.runner import run_model


def sample(seed: int, k: int, weights: np.ndarray, closed: np.ndarray, fast: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scratch = np.full(weights.size, SCRATCH_EMPTY, np.int32) if fast else None
    w_mean = float(weights.mean()) if fast else None
    out = sample_targets(rng, k, weights, float(weights.max()), lambda i: ~closed[i], w_mean, scratch)
    if fast:
        assert (scratch == SCRATCH_EMPTY).all()  # left as found, ready for the next call
    return out


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 400),
    k=st.integers(0, 500),
    closed_share=st.floats(0, 1),
)
def test_fast_path_gives_the_same_contacts(seed: int, n: int, k: int, closed_share: float) -> None:
    rng = np.random.default_rng(seed + 1)
    weights = rng.random(n).astype(np.float32)
    closed = rng.random(n) < closed_share
    slow = sample(seed, k, weights, closed, fast=False)
    fast = sample(seed, k, weights, closed, fast=True)
    np.testing.assert_array_equal(slow, fast)
    assert len(set(fast.tolist())) == fast.size <= k  # distinct, at most k
    assert not closed[fast].any()


def test_contacts_follow_the_weights() -> None:
    # two halves, weights 1 and 3: contacts split 1:3 when few are drawn
    weights = np.repeat(np.array([1.0, 3.0], np.float32), 50_000)
    closed = np.zeros(weights.size, bool)
    idx = sample(3, 2_000, weights, closed, fast=True)
    assert idx.size == 2_000
    share_heavy = (idx >= 50_000).mean()
    assert abs(share_heavy - 0.75) < 0.04


def test_fatigue_is_one_for_a_first_contact_and_decays() -> None:
    f = fatigue_factor(np.array([0, 1, 2], np.int16), 0.5)
    np.testing.assert_allclose(f, np.exp([-0.0, -0.5, -1.0]), rtol=1e-6)


BANK = Path(__file__).resolve().parents[1] / "calibration" / "bank_telemarketing_scenario.toml"


def _bank_sales(conversation: bool, seed: int = 3) -> float:
    """The bank month with every client losing interest on day 0 unless called that day
    (drop_rate 1): from day 1 each call reaches a client who lost interest."""
    sc = load_scenario(
        BANK,
        [
            "population.size=3000",
            "behaviour.drop_rate=1.0",
            "behaviour.reengage=1.0",
            "offer.base_rate_pp=6.0",  # above the clients' 4.9%, so a considering client may subscribe
            f"channels.telemarketing.conversation={str(conversation).lower()}",
        ],
    )
    return run_model(sc, seed=seed).summary["conversions"]


def test_a_conversation_brings_a_client_back_and_moves_them_on_in_one_call() -> None:
    """A call that brings back a client who lost interest can also make them consider
    (docs/ODD.md 7.3); an impression only makes them aware, and they drift off again
    before the next contact, so only day 0's calls sell."""
    one_stage, conversation = _bank_sales(False), _bank_sales(True)
    assert conversation > 5 * one_stage
    assert conversation > 100  # real clients, 3,000 simulated for 20,000


def test_interest_weights_by_hand() -> None:
    interested = np.zeros(7, dtype=bool)
    interested[[AWARE, CONSIDERING]] = True
    w, w_max, w_mean = interest_weights(
        np.array([1.0, 2.0, 0.5], np.float32), interested, np.array([AWARE, UNAWARE, CONSIDERING]), 10.0
    )
    assert w.tolist() == [10.0, 2.0, 5.0]
    assert w_max == 10.0
    assert w_mean == pytest.approx(17 / 3)


@pytest.mark.parametrize("priority", [1.0, 9.0])
def test_a_list_that_favours_interest_calls_interested_customers_first(priority: float) -> None:
    """Half the clients are aware (showing interest), half not, with equal reach: the first
    day's calls go to the aware ones in proportion k / (k + 1), k = interest_priority
    (about 260 calls among 20,000 clients, so the pools barely shrink)."""
    sc = load_scenario(
        BANK,
        [
            "population.size=20000",
            "segments.0.share=0.5",
            "segments.1.share=0.5",
            "segments.1.initially_aware=0",
            "channels.telemarketing.reach.cold=1.0",
            f"channels.telemarketing.interest_priority={priority}",
            "calendar.days=1",
        ],
    )
    m = CampaignModel(sc, seed=5)
    m.step()
    called = m.pop.exposures > 0
    share = called[m.pop.segment == 0].sum() / called.sum()
    assert called.sum() > 200
    assert share == pytest.approx(priority / (priority + 1), abs=0.06)
