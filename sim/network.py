"""Social graphs over customers, stored as symmetric CSR adjacency.

Every builder draws only from the generator it is given, so one seed fixes the
whole graph, and none loops in Python over nodes or edges: a million-node graph
builds in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class Graph:
    """Undirected graph: row ``i`` of the CSR holds the neighbours of node ``i``.

    ``complete=True`` is the mean-field graph held implicitly (its arrays stay
    empty), since n(n-1) entries cannot be stored for a real population.
    """

    n: int
    indptr: np.ndarray
    indices: np.ndarray
    complete: bool = False

    def __post_init__(self) -> None:
        # Shared by every agent step: make accidental in-place edits fail loudly.
        self.indptr.setflags(write=False)
        self.indices.setflags(write=False)

    @cached_property
    def degree(self) -> np.ndarray:
        if self.complete:
            return np.full(self.n, max(self.n - 1, 0), dtype=np.int64)
        return np.diff(self.indptr)

    @property
    def mean_degree(self) -> float:
        if self.complete:
            return float(max(self.n - 1, 0))
        return self.indices.size / self.n if self.n else 0.0

    def neighbour_count(self, flags: np.ndarray) -> np.ndarray:
        """Number of each node's neighbours whose flag is set."""
        flags = np.asarray(flags, dtype=bool)
        if self.complete:
            return np.count_nonzero(flags) - flags.astype(np.int64)
        # A prefix sum differenced at row bounds handles empty rows, unlike reduceat.
        csum = np.zeros(self.indices.size + 1, dtype=np.int64)
        np.cumsum(flags[self.indices], out=csum[1:])
        return csum[self.indptr[1:]] - csum[self.indptr[:-1]]

    def neighbour_share(self, flags: np.ndarray) -> np.ndarray:
        """Share of each node's neighbours whose flag is set; 0 for isolated nodes."""
        deg = self.degree
        return np.divide(self.neighbour_count(flags), deg, out=np.zeros(self.n), where=deg > 0)


def _empty(n: int) -> Graph:
    return Graph(n, np.zeros(n + 1, np.int64), np.zeros(0, np.int32))


def _from_edges(n: int, u: np.ndarray, v: np.ndarray) -> Graph:
    """Symmetric CSR from an edge list, dropping self-loops and duplicates."""
    if np.any(loop := u == v):  # builders avoid loops, so usually skip the copy
        u, v = u[~loop], v[~loop]
    # One sort of packed (row, col) keys both dedups and orders the CSR rows: row * n + col
    # in 32 bits while it fits (that sort takes half the time), else row << 32 | col, which
    # unpacks by shift and mask instead of a slow 64-bit division.
    # Filled in place so a 1M-node build stays well under 500 MB.
    small = n * n <= np.iinfo(np.int32).max
    m = u.size
    keys = np.empty(2 * m, np.int32 if small else np.int64)
    for half, a, b in ((keys[:m], u, v), (keys[m:], v, u)):
        if small:
            np.multiply(a, n, out=half, dtype=np.int32)
        else:
            np.left_shift(a, 32, out=half, dtype=np.int64)
        half += b
    # sort + mask, not np.unique: numpy 2.x's hash-based unique is ~40x slower.
    keys.sort()
    keep = np.empty(keys.size, bool)
    keep[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    keys = keys[keep]
    rows, cols = np.divmod(keys, n) if small else (keys >> 32, keys & 0xFFFFFFFF)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return Graph(n, indptr, cols.astype(np.int32))


def _small_world(n: int, mean_degree: float, rng: np.random.Generator, rewire: float) -> Graph:
    """Watts & Strogatz (1998): ring lattice of even degree k, then each edge's
    far end is moved to a uniform random node with probability ``rewire``.

    Rewired ends avoid self-loops by construction; the rare duplicate that a
    rewire creates is dropped instead of redrawn, costing ~k/n of the degree.
    """
    k = min(2 * round(mean_degree / 2), n - 1 - (n - 1) % 2)
    if k <= 0:
        return _empty(n)
    u = np.repeat(np.arange(n, dtype=np.int32), k // 2)
    v = u + np.tile(np.arange(1, k // 2 + 1, dtype=np.int32), n)
    moved = rng.random(u.size) < rewire
    v[moved] = u[moved] + rng.integers(1, n, moved.sum(), dtype=np.int32)
    v %= n
    return _from_edges(n, u, v)


def _scale_free(n: int, mean_degree: float, rng: np.random.Generator) -> Graph:
    """Barabási & Albert (1999) preferential attachment, m = mean_degree/2 edges
    per new node, seeded with a clique of m+1 nodes.

    Uses the repeated-endpoints list (Batagelj & Brandes 2005): a uniform draw
    from it picks a node with probability proportional to its degree. Nodes
    join in batches of ~2% of the current size that attach to the graph as it
    was before the batch, which keeps the rounds few (~600 at n=1e6) at the
    cost of batch members not seeing each other. Repeated picks by one node
    are dropped rather than redrawn; they are rare once the graph is large.
    """
    m = round(mean_degree / 2)
    if m <= 0:
        return _empty(n)
    seed = min(n, m + 1)
    su, sv = (a.astype(np.int32) for a in np.triu_indices(seed, 1))
    src = np.repeat(np.arange(seed, n, dtype=np.int32), m)
    dst = np.empty(src.size, np.int32)
    ends = np.empty(2 * (su.size + src.size), np.int32)
    filled = 2 * su.size
    ends[:filled] = np.concatenate([su, sv])
    t, e = seed, 0
    while t < n:
        step = m * min(n - t, max(1, t // 50))
        dst[e : e + step] = ends[rng.integers(0, filled, step)]
        ends[filled : filled + step] = src[e : e + step]
        ends[filled + step : filled + 2 * step] = dst[e : e + step]
        filled, e, t = filled + 2 * step, e + step, t + step // m
    del ends
    return _from_edges(n, np.concatenate([su, src]), np.concatenate([sv, dst]))


def _homophily(
    n: int,
    mean_degree: float,
    rng: np.random.Generator,
    homophily: float,
    groups: np.ndarray | None,
) -> Graph:
    """Stochastic block model (Holland, Laskey & Leinhardt 1983) with assortative
    blocks: n*mean_degree/2 edges, started by each node in turn; with
    probability ``homophily`` the partner is uniform within the starter's group,
    otherwise uniform over everyone (so the within-group share slightly exceeds
    ``homophily``).
    """
    if groups is None:
        raise ValueError("network kind 'homophily' needs groups")
    e = round(n * mean_degree / 2)
    if n < 2 or e == 0:
        return _empty(n)
    u = np.resize(np.arange(n, dtype=np.int32), e)
    v = u + rng.integers(1, n, e, dtype=np.int32)
    np.subtract(v, n, out=v, where=v >= n)  # = v %= n (v < 2n), without a division
    inner = rng.random(e) < homophily
    v[inner] = _group_partners(u[inner], np.asarray(groups), rng)
    return _from_edges(n, u, v)


def _group_partners(u: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniform partner for each node in ``u`` from its own group, never itself
    (a group's lone member gets a uniform partner from everyone instead)."""
    n = groups.size
    # Members sorted by group: a partner is an offset within the group's slice
    # that skips the node's own slot. Sort-based labels, as np.unique is slow.
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    first = np.concatenate([[True], sorted_groups[1:] != sorted_groups[:-1]])
    start = np.flatnonzero(first)
    size = np.diff(np.append(start, n))
    g = np.empty(n, np.int64)
    g[order] = np.cumsum(first) - 1
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n)
    gu = g[u]
    gs, gn = start[gu], size[gu]
    lone = gn == 1
    gs[lone], gn[lone] = 0, n  # whole population as the lone member's "group"
    step = 1 + (rng.random(u.size) * (gn - 1)).astype(np.int64)
    slot = pos[u] - gs + step
    np.subtract(slot, gn, out=slot, where=slot >= gn)  # = slot %= gn (slot < 2 gn)
    return order[gs + slot]


NETWORK_KINDS: tuple[str, ...] = (
    "small_world",
    "scale_free",
    "homophily",
    "complete",
    "none",
)


def build_network(
    kind: str,
    n: int,
    rng: np.random.Generator,
    *,
    mean_degree: float = 10,
    rewire: float = 0.1,
    homophily: float = 0.8,
    groups: np.ndarray | None = None,
) -> Graph:
    """Build a graph of ``kind`` over ``n`` nodes, drawing only from ``rng``."""
    match kind:
        case "small_world":
            return _small_world(n, mean_degree, rng, rewire)
        case "scale_free":
            return _scale_free(n, mean_degree, rng)
        case "homophily":
            return _homophily(n, mean_degree, rng, homophily, groups)
        case "complete":
            return Graph(n, np.zeros(n + 1, np.int64), np.zeros(0, np.int32), complete=True)
        case "none":
            return _empty(n)
    raise ValueError(f"unknown network kind {kind!r}; valid kinds: {', '.join(NETWORK_KINDS)}")
