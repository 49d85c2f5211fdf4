"""Sparse neighbourhood operations on CSR graphs, costing O(touched edges).

Complete (mean-field) graphs are never stored; each operation has an exact or
distribution-equal shortcut for them.
"""

from __future__ import annotations

import numpy as np

from sim.behaviour import transmission_probability
from sim.kernels import add_neighbour_counts, neighbour_share, pick_neighbours
from sim.network import Graph


def neighbours_of(g: Graph, idx: np.ndarray) -> np.ndarray:
    """All neighbours of the nodes ``idx``, concatenated (with repeats). Not for complete graphs."""
    if idx.size == 0:
        return np.empty(0, dtype=np.int64)
    starts = g.indptr[idx]
    lens = g.indptr[idx + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    # positions = starts repeated per row + 0..len-1 within each row
    offsets = np.repeat(starts - np.cumsum(lens) + lens, lens)
    return g.indices[offsets + np.arange(total)].astype(np.int64)


def random_neighbour(g: Graph, idx: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One neighbour per entry of ``idx``, number ``int(u * degree)`` of its neighbours for
    the uniforms ``u`` (-1 for isolated nodes)."""
    if g.complete:
        other = np.minimum((u * (g.n - 1)).astype(np.int64), g.n - 2)
        return other + (other >= idx)  # skip self
    out = np.empty(idx.size, dtype=np.int64)
    pick_neighbours(g.indptr, g.indices, idx, u, out)  # = tests/twins.py random_neighbour_reference
    return out


def add_adopters(g: Graph, counts: np.ndarray, new: np.ndarray) -> None:
    """Add 1 to ``counts`` at every neighbour of each newly adopting node (in place)."""
    if g.complete or new.size == 0:
        return
    add_neighbour_counts(g.indptr, g.indices, counts, new)  # = np.add.at(counts, neighbours_of(g, new), 1)


def adopter_share(
    g: Graph, counts: np.ndarray, adopted: np.ndarray, total: int, idx: np.ndarray
) -> np.ndarray:
    """Share of neighbours of ``idx`` who have adopted, from the running ``counts``."""
    if g.complete:
        return (total - adopted[idx]) / max(g.n - 1, 1)
    out = np.empty(idx.size, dtype=np.float32)
    neighbour_share(g.indptr, counts, idx, out)  # = tests/twins.py adopter_share_reference
    return out


def spread(g: Graph, frontier: np.ndarray, contacts: float, rng: np.random.Generator) -> np.ndarray:
    """Nodes reached when each frontier node passes something on along each of its k links
    with probability min(1, c / k) (:func:`sim.behaviour.transmission_probability`), so a
    teller reaches about c others whatever the graph's density (an independent cascade,
    Kempe, Kleinberg and Tardos 2003, with a graph-independent contact rate). Candidates
    may repeat."""
    if frontier.size == 0 or contacts <= 0:
        return np.empty(0, dtype=np.int64)
    if g.complete:
        # each of the k frontier nodes reaches Binomial(n - 1, min(1, c / (n - 1))) others
        p = float(transmission_probability(contacts, g.n - 1))
        k = int(rng.binomial(g.n - 1, p, frontier.size).sum())
        return rng.integers(0, g.n, k)
    deg = g.indptr[frontier + 1] - g.indptr[frontier]
    nb = neighbours_of(g, frontier)
    p = np.repeat(transmission_probability(contacts, deg), deg)
    return nb[rng.random(nb.size) < p]
