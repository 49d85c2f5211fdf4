"""Tests for sim.network: CSR invariants, each builder's shape, neighbour shares."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.network import NETWORK_KINDS, Graph, build_network

N = 20_000
EXPLICIT = ("small_world", "scale_free", "homophily")


def build(kind: str, n: int = N, seed: int = 0, **kw: object) -> Graph:
    rng = np.random.default_rng(seed)
    kw.setdefault("groups", np.random.default_rng(99).integers(0, 50, n))
    return build_network(kind, n, rng, **kw)  # type: ignore[arg-type]


def edge_keys(g: Graph) -> tuple[np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(g.n, dtype=np.int64), g.degree)
    return rows, g.indices.astype(np.int64)


def assert_valid_csr(g: Graph) -> None:
    assert g.indptr.dtype == np.int64 and g.indptr.shape == (g.n + 1,)
    assert g.indices.dtype == np.int32
    assert g.indptr[0] == 0 and g.indptr[-1] == g.indices.size
    assert np.all(np.diff(g.indptr) >= 0)
    rows, cols = edge_keys(g)
    assert np.all((cols >= 0) & (cols < g.n))
    assert not np.any(rows == cols), "self-loop"
    keys = rows * g.n + cols
    # Strictly increasing packed keys: rows sorted, no duplicate within a row.
    assert np.all(np.diff(keys) > 0), "duplicate edge or unsorted row"
    assert np.array_equal(keys, np.sort(cols * g.n + rows)), "not symmetric"


@pytest.mark.parametrize("kind", EXPLICIT)
@pytest.mark.parametrize("mean_degree", [4, 10])
def test_builders_give_valid_csr_near_requested_degree(kind: str, mean_degree: int) -> None:
    g = build(kind, mean_degree=mean_degree)
    assert_valid_csr(g)
    assert not g.complete
    assert g.mean_degree == pytest.approx(mean_degree, rel=0.02)
    assert g.mean_degree == pytest.approx(g.degree.mean())


def test_small_world_without_rewiring_is_ring_lattice() -> None:
    g = build("small_world", n=101, mean_degree=6, rewire=0.0)
    assert_valid_csr(g)
    assert np.all(g.degree == 6)
    expected = np.sort((np.arange(101)[:, None] + [-3, -2, -1, 1, 2, 3]) % 101, axis=1)
    assert np.array_equal(g.indices.reshape(101, 6), expected)


def test_small_world_rewiring_moves_about_that_share_of_edges() -> None:
    lattice = build("small_world", rewire=0.0)
    rewired = build("small_world", rewire=0.1)
    ring = set(zip(*edge_keys(lattice), strict=True))
    kept = np.mean([e in ring for e in zip(*edge_keys(rewired), strict=True)])
    # Each lattice edge is drawn once for rewiring, so ~90% stay in place.
    assert kept == pytest.approx(0.9, abs=0.02)


def test_scale_free_has_heavy_tail() -> None:
    g = build("scale_free", mean_degree=10)
    assert g.degree.max() > 20 * g.mean_degree
    assert np.median(g.degree) < g.mean_degree  # most nodes sit below the mean
    assert g.degree.min() >= 1


@pytest.mark.parametrize("homophily", [0.0, 0.5, 0.8, 1.0])
def test_homophily_share_of_within_group_edges(homophily: float) -> None:
    groups = np.random.default_rng(5).integers(0, 50, N)
    g = build("homophily", homophily=homophily, groups=groups)
    assert_valid_csr(g)
    rows, cols = edge_keys(g)
    within = np.mean(groups[rows] == groups[cols])
    # Uniform partners land in the own group 1/50 of the time too.
    assert within == pytest.approx(homophily + (1 - homophily) / 50, abs=0.02)


def test_homophily_handles_arbitrary_labels_and_lone_members() -> None:
    groups = np.array([7] * 30 + [-1] * 30 + [1000])  # 1000 is a lone member
    g = build("homophily", n=groups.size, mean_degree=4, groups=groups)
    assert_valid_csr(g)
    assert g.degree[-1] >= 2  # the lone member still makes its own edges


def test_homophily_needs_groups() -> None:
    with pytest.raises(ValueError, match="groups"):
        build_network("homophily", 10, np.random.default_rng(0), groups=None)


def test_complete_graph_is_implicit_and_mean_field() -> None:
    g = build("complete", n=5)
    assert g.complete and g.indices.size == 0
    assert np.array_equal(g.indptr, np.zeros(6))
    assert np.array_equal(g.degree, [4] * 5) and g.mean_degree == 4.0
    flags = np.array([True, False, True, True, False])
    assert np.array_equal(g.neighbour_count(flags), [2, 3, 2, 2, 3])
    assert np.allclose(g.neighbour_share(flags), [2 / 4, 3 / 4, 2 / 4, 2 / 4, 3 / 4])


def test_complete_graph_scales_without_materialising() -> None:
    g = build("complete", n=1_000_000)
    assert g.indices.size == 0
    flags = np.zeros(g.n, bool)
    flags[:10] = True
    share = g.neighbour_share(flags)
    assert share[0] == pytest.approx(9 / 999_999)
    assert share[-1] == pytest.approx(10 / 999_999)


def test_single_node_complete_graph_has_share_zero() -> None:
    g = build("complete", n=1)
    assert np.array_equal(g.neighbour_share(np.array([True])), [0.0])


def test_neighbour_share_on_hand_built_graph() -> None:
    # Path 0-1-2-3, node 4 isolated mid-array, node 5 isolated at the end:
    # empty rows anywhere must not shift the other rows' counts.
    nbrs = [[1], [0, 2], [1, 3], [2], [], []]
    indptr = np.cumsum([0] + [len(r) for r in nbrs], dtype=np.int64)
    indices = np.array([c for r in nbrs for c in r], dtype=np.int32)
    g = Graph(6, indptr, indices, complete=False)
    assert_valid_csr(g)
    flags = np.array([True, False, False, True, True, True])
    assert np.array_equal(g.neighbour_count(flags), [0, 1, 1, 0, 0, 0])
    assert np.allclose(g.neighbour_share(flags), [0, 0.5, 0.5, 0, 0, 0])
    assert np.array_equal(g.degree, [1, 2, 2, 1, 0, 0])
    # Reorder rows so the isolated node sits first.
    nbrs = [[], [2], [1, 3], [2, 4], [3]]
    indptr = np.cumsum([0] + [len(r) for r in nbrs], dtype=np.int64)
    indices = np.array([c for r in nbrs for c in r], dtype=np.int32)
    g = Graph(5, indptr, indices, complete=False)
    flags = np.array([True, True, True, False, False])
    assert np.allclose(g.neighbour_share(flags), [0, 1, 0.5, 0.5, 0])


def test_none_graph_has_no_edges() -> None:
    g = build("none")
    assert_valid_csr(g)
    assert g.indices.size == 0 and g.mean_degree == 0.0
    assert np.all(g.neighbour_share(np.ones(N, bool)) == 0)


@pytest.mark.parametrize("kind", EXPLICIT)
def test_zero_mean_degree_gives_no_edges(kind: str) -> None:
    g = build(kind, n=100, mean_degree=0)
    assert_valid_csr(g)
    assert g.indices.size == 0


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_same_seed_same_graph(kind: str) -> None:
    a, b = build(kind, n=5_000, seed=3), build(kind, n=5_000, seed=3)
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert a.complete == b.complete


@pytest.mark.parametrize("kind", EXPLICIT)
def test_different_seed_different_graph(kind: str) -> None:
    a, b = build(kind, n=5_000, seed=3), build(kind, n=5_000, seed=4)
    assert not np.array_equal(a.indices, b.indices)


def test_arrays_are_read_only() -> None:
    g = build("small_world", n=100)
    with pytest.raises(ValueError):
        g.indices[0] = 1


def test_unknown_kind_names_valid_kinds() -> None:
    with pytest.raises(ValueError, match=r"small_world.*scale_free.*homophily"):
        build_network("lattice", 10, np.random.default_rng(0))


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(NETWORK_KINDS),
    n=st.integers(1, 60),
    mean_degree=st.floats(0, 14),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_neighbour_share_in_unit_interval_and_matches_dense(
    kind: str, n: int, mean_degree: float, seed: int, data: st.DataObject
) -> None:
    groups = np.random.default_rng(seed).integers(0, 4, n)
    g = build_network(kind, n, np.random.default_rng(seed), mean_degree=mean_degree, groups=groups)
    flags = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    share = g.neighbour_share(flags)
    assert share.shape == (n,)
    assert np.all((share >= 0) & (share <= 1))
    if g.complete:
        adj = np.ones((n, n), int) - np.eye(n, dtype=int)
    else:
        assert_valid_csr(g)
        adj = np.zeros((n, n), int)
        adj[edge_keys(g)] = 1
    deg = adj.sum(axis=1)
    assert np.array_equal(g.degree, deg)
    assert np.array_equal(g.neighbour_count(flags), adj @ flags)
    expected = np.divide(adj @ flags, deg, out=np.zeros(n), where=deg > 0)
    assert np.allclose(share, expected)
