"""Numpy twins of compiled or fused engine code, used only by the tests that check the
engine against them (moved out of the package: the engine keeps one form of each)."""

from __future__ import annotations

import numpy as np

from sim import behaviour as bh
from sim.network import Graph
from sim.population import Population
from sim.today import Today


def random_neighbour_reference(g: Graph, idx: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:func:`random_neighbour` on a stored graph in plain numpy, with the uniforms ``u``."""
    starts = g.indptr[idx]
    deg = g.indptr[idx + 1] - starts
    pick = (u * deg).astype(np.int64)
    out = np.full(idx.size, -1, dtype=np.int64)
    has = deg > 0
    out[has] = g.indices[starts[has] + pick[has]]
    return out


def adopter_share_reference(g: Graph, counts: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """:func:`adopter_share` on a stored graph in plain numpy (what the kernel is tested against)."""
    deg = g.indptr[idx + 1] - g.indptr[idx]
    return np.divide(counts[idx], deg, out=np.zeros(idx.size, dtype=np.float32), where=deg > 0)


def anchor_reference(pop: Population, day: Today) -> None:
    """:func:`sim.journey.anchor` as the plain chain of :mod:`sim.behaviour` calls."""
    own = pop.current_rate.astype(np.float64) + day.own_shift
    anchor = np.full(pop.size, day.creative_anchor)
    if day.rival_rate is not None:
        anchor = np.where(pop.saw_competitor, day.rival_rate, anchor)
    target = bh.anchor_target(own, anchor, pop.anchor_weight)
    pop.reference[:] = bh.anchored_reference(pop.reference, target, pop.anchor_speed)
