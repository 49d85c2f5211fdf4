"""Tests for sim.kernels: each compiled loop gives exactly what its numpy form gives.

The numpy forms below are the expressions the kernels replaced in the model (kept here
as the reference); inputs are random, with repeated ids, closed customers, isolated
nodes and empty arrays, and comparisons are exact.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import graphops, kernels
from sim.channels import SCRATCH_EMPTY, OpenRule, fatigue_factor, sample_targets
from sim.network import build_network
from sim.population import AWARE, CONSIDERING, CONVERTED, DROPPED, RETAINED, UNAWARE
from tests import twins

N_STAGES = 7
cases = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def customers(seed: int, n: int) -> tuple[np.random.Generator, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    start = rng.integers(0, N_STAGES, n).astype(np.int8)
    stage = start.copy()
    stage[rng.random(n) < 0.2] = CONSIDERING  # some moved on earlier today
    return rng, start, stage


def contacts(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, ...]:
    idx = rng.integers(0, n, m)  # repeats: several channels may reach one customer
    coef = rng.random(m).astype(np.float32)
    fatigue = np.exp(-0.3 * rng.integers(0, 5, m).astype(np.float32))
    return idx, coef, fatigue, rng.random(m)


@cases
@given(seed=seeds, n=st.integers(1, 300), k=st.integers(0, 400), limit=st.integers(0, 4))
def test_fused_sampling_equals_the_numpy_filters(seed: int, n: int, k: int, limit: int) -> None:
    rng, start, _ = customers(seed, n)
    weights = rng.random(n).astype(np.float32)
    weights[rng.random(n) < 0.1] = 0.0
    counts = rng.integers(0, 5, n).astype(np.uint8)
    open_stage = rng.random(N_STAGES) < 0.7
    taken = np.zeros(n, bool)
    rule = OpenRule(start, open_stage, counts, limit, taken)
    w_max, w_mean = float(weights.max()), float(weights.mean())
    fused = sample_targets(np.random.default_rng(seed), k, weights, w_max, rule, w_mean)
    assert not taken.any()  # left as found
    scratch = np.full(n, SCRATCH_EMPTY, np.int32)
    plain = sample_targets(np.random.default_rng(seed), k, weights, w_max, lambda i: rule(i), w_mean, scratch)
    np.testing.assert_array_equal(fused, plain)
    assert not (~rule(fused)).any() and np.unique(fused).size == fused.size <= k


@cases
@given(seed=seeds, n=st.integers(1, 200), m=st.integers(0, 150), fatigue=st.floats(0, 2))
def test_record_contacts(seed: int, n: int, m: int, fatigue: float) -> None:
    rng = np.random.default_rng(seed)
    idx = rng.permutation(n)[: min(m, n)]
    counts = rng.integers(0, 9, n).astype(np.uint8)
    exposures = rng.integers(0, 30, n).astype(np.int16)
    u = rng.random(idx.size)
    c, e = counts.copy(), exposures.copy()
    factor = np.empty(idx.size, np.float32)
    n_complaints = kernels.record_contacts(idx, c, e, fatigue, factor, u, 0.07)
    # wear-out e^(-f n) of the earlier exposures (Pechmann and Stewart 1988)
    np.testing.assert_allclose(factor, np.exp(-fatigue * exposures[idx]), rtol=1e-6)
    np.testing.assert_array_equal(factor, fatigue_factor(exposures[idx], fatigue))
    counts[idx] += 1
    exposures[idx] += 1
    np.testing.assert_array_equal(c, counts)
    np.testing.assert_array_equal(e, exposures)
    assert n_complaints == (u < 0.07 * (1.0 + 0.5 * (exposures[idx] - 1))).sum()


@cases
@given(seed=seeds, n=st.integers(1, 200), m=st.integers(0, 300), reengage=st.floats(0, 1))
def test_awareness_from_contacts(seed: int, n: int, m: int, reengage: float) -> None:
    rng, start, stage = customers(seed, n)
    idx, coef, fatigue, u = contacts(rng, n, m)
    got = stage.copy()
    kernels.aware_from_contacts(
        idx, coef, fatigue, u, start, got, reengage, UNAWARE, DROPPED, CONSIDERING, AWARE
    )
    s = start[idx]
    p = coef * fatigue * np.where(s == DROPPED, reengage, 1.0)
    hit = idx[((s == UNAWARE) | (s == DROPPED)) & (u < p)]
    stage[hit[stage[hit] != CONSIDERING]] = AWARE
    np.testing.assert_array_equal(got, stage)


@cases
@given(seed=seeds, n=st.integers(1, 200), m=st.integers(0, 300))
def test_consideration_from_contacts(seed: int, n: int, m: int) -> None:
    rng, start, stage = customers(seed, n)
    idx, coef, fatigue, u = contacts(rng, n, m)
    conversation = rng.random(m) < 0.5
    got = stage.copy()
    kernels.consider_from_contacts(idx, coef, fatigue, u, start, got, conversation, AWARE, CONSIDERING)
    ready = (start[idx] == AWARE) | (conversation & (stage[idx] == AWARE))
    stage[idx[ready & (u < coef * fatigue)]] = CONSIDERING
    np.testing.assert_array_equal(got, stage)


def test_conversation_contact_takes_a_customer_made_aware_today_on_to_considering() -> None:
    """Hand case: customers 0-2 were dropped at the day's start and made aware today;
    0 is called by a conversation channel, 1 by an ad channel, 2 by a conversation whose
    draw misses; 3 was aware at the start and is moved by the ad as before."""
    start = np.array([DROPPED, DROPPED, DROPPED, AWARE], dtype=np.int8)
    stage = np.array([AWARE, AWARE, AWARE, AWARE], dtype=np.int8)
    idx = np.arange(4, dtype=np.int64)
    coef = np.full(4, 0.5, np.float32)
    fatigue = np.ones(4, np.float32)
    u = np.array([0.4, 0.4, 0.6, 0.4])
    conversation = np.array([True, False, True, False])
    kernels.consider_from_contacts(idx, coef, fatigue, u, start, stage, conversation, AWARE, CONSIDERING)
    assert stage.tolist() == [CONSIDERING, AWARE, AWARE, CONSIDERING]


def graph_with_adopters(seed: int, n: int) -> tuple:
    rng = np.random.default_rng(seed)
    g = build_network("small_world", n, rng, mean_degree=rng.integers(0, 6), rewire=0.3)
    adopted = rng.random(n) < 0.3
    counts = np.zeros(n, np.int32)
    np.add.at(counts, graphops.neighbours_of(g, np.flatnonzero(adopted)), 1)
    return rng, g, adopted, counts


@cases
@given(seed=seeds, n=st.integers(2, 200))
def test_adopter_counts_and_shares(seed: int, n: int) -> None:
    rng, g, adopted, counts = graph_with_adopters(seed, n)
    new = rng.permutation(n)[: rng.integers(0, n)]
    got = counts.copy()
    kernels.add_neighbour_counts(g.indptr, g.indices, got, new)
    np.add.at(counts, graphops.neighbours_of(g, new), 1)
    np.testing.assert_array_equal(got, counts)
    idx = rng.integers(0, n, rng.integers(0, 3 * n))
    share = graphops.adopter_share(g, counts, adopted, 0, idx)
    assert share.dtype == np.float32
    np.testing.assert_array_equal(share, twins.adopter_share_reference(g, counts, idx))


@cases
@given(seed=seeds, n=st.integers(2, 200), wom=st.floats(0, 1))
def test_word_of_mouth(seed: int, n: int, wom: float) -> None:
    rng, g, _, counts = graph_with_adopters(seed, n)
    _, start, stage = customers(seed, n)
    cand = np.flatnonzero(start == UNAWARE)
    u = rng.random(cand.size)
    got = stage.copy()
    kernels.aware_from_neighbours(cand, u, counts, g.indptr, np.float32(wom), got, CONSIDERING, AWARE)
    hit = cand[u < wom * twins.adopter_share_reference(g, counts, cand)]
    stage[hit[stage[hit] != CONSIDERING]] = AWARE
    np.testing.assert_array_equal(got, stage)


@cases
@given(seed=seeds, n=st.integers(1, 200))
def test_settle(seed: int, n: int) -> None:
    rng, _, stage = customers(seed, n)
    cand = np.sort(rng.permutation(n)[: rng.integers(0, n + 1)])
    u, p = rng.random(cand.size), rng.random(cand.size) * 0.5
    below = p + rng.random(cand.size) * 0.3
    got = stage.copy()
    moved = kernels.settle(cand, u, p, below, got, DROPPED)
    np.testing.assert_array_equal(moved, cand[u < p])
    stage[cand[(u >= p) & (u < below)]] = DROPPED
    np.testing.assert_array_equal(got, stage)


@cases
@given(seed=seeds, n=st.integers(1, 200), day=st.integers(0, 90))
def test_retain(seed: int, n: int, day: int) -> None:
    rng, _, stage = customers(seed, n)
    since = rng.integers(-1, 90, n).astype(np.int32)
    idx = rng.permutation(n)[: rng.integers(0, n + 1)]
    got = stage.copy()
    kernels.retain(idx, got, since, day, CONVERTED, RETAINED, 30)
    stage[idx[(stage[idx] == CONVERTED) & (day - since[idx] >= 30)]] = RETAINED
    np.testing.assert_array_equal(got, stage)


@cases
@given(seed=seeds, n=st.integers(0, 500))
def test_stage_counts(seed: int, n: int) -> None:
    codes = np.random.default_rng(seed).integers(0, N_STAGES, n).astype(np.int8)
    out = np.full(N_STAGES, 99, np.int64)
    kernels.count_codes(codes, out)
    np.testing.assert_array_equal(out, np.bincount(codes, minlength=N_STAGES))


@cases
@given(seed=seeds, n=st.integers(2, 200))
def test_random_neighbours(seed: int, n: int) -> None:
    rng, g, _, _ = graph_with_adopters(seed, n)
    idx = rng.integers(0, n, rng.integers(0, 3 * n))
    u = np.random.default_rng(seed).random(idx.size)
    got = graphops.random_neighbour(g, idx, u)
    np.testing.assert_array_equal(got, twins.random_neighbour_reference(g, idx, u))


@cases
@given(seed=seeds, n=st.integers(1, 200), p=st.floats(0, 1))
def test_accepted_invitations(seed: int, n: int, p: float) -> None:
    rng, _, stage = customers(seed, n)
    to = rng.integers(0, n, rng.integers(0, 3 * n))
    u = rng.random(to.size)
    got = kernels.accepted_invitations(to, u, p, stage, UNAWARE, AWARE, DROPPED)
    accepted = to[u < p]
    s = stage[accepted]
    np.testing.assert_array_equal(got, accepted[(s == UNAWARE) | (s == AWARE) | (s == DROPPED)])
