"""Marketing channels: who can be reached, how many contacts money buys, and their effect.

Contacts are sampled sparsely (cost grows with contacts made, not with population
size), so a day with 500 contacts among a million customers touches ~500 entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import behaviour as bh
from sim.kernels import accept_distinct
from sim.scenario import Channel


@dataclass(frozen=True)
class Contacts:
    """One day's contacts of all channels, one entry per contact: customer ids (distinct
    within a channel) and the contact's effect on awareness and consideration."""

    idx: np.ndarray  # int64 customer ids
    fatigue: np.ndarray  # float32 multiplier exp(-f * earlier exposures)
    awareness: np.ndarray  # float32 P(aware | contacted) of the channel, before fatigue
    consideration: np.ndarray  # float32 P(considering | contacted, aware), before fatigue
    conversation: np.ndarray  # bool: the contact can make aware and considering at once
    salts: tuple[tuple[int, int], ...] = ()  # (channel stream key, contacts) per block of idx


def reach_weights(
    channel: Channel, segment_names: list[str], segment: np.ndarray, digital: np.ndarray
) -> np.ndarray:
    """Probability weight that the channel can reach each customer.

    w = reach[segment] * a, with a = digital affinity for online channels and
    a = 1 - digital / 2 for offline ones (digital natives visit branches less; domain
    brief: "online traffic, offline experience").
    """
    by_seg = np.array([channel.reach.get(s, channel.default_reach) for s in segment_names], dtype=np.float32)
    affinity = digital if channel.kind == "online" else 1.0 - 0.5 * digital
    return (by_seg[segment] * affinity).astype(np.float32)


def interest_weights(
    weights: np.ndarray, showing_interest: np.ndarray, stage: np.ndarray, priority: float
) -> tuple[np.ndarray, float, float]:
    """Today's reach weights of a channel whose list favours customers showing interest:
    w' = w * k for customers whose ``stage`` code is marked in ``showing_interest`` (k =
    ``priority``), else w; with w'.max() and w'.mean() for :func:`sample_targets`. O(n)
    a day, so only channels with k != 1 pay it."""
    w = weights * np.where(showing_interest[stage], np.float32(priority), np.float32(1.0))
    return w, (float(w.max()) if w.size else 0.0), (float(w.mean()) if w.size else 0.0)


def fatigue_factor(exposures: np.ndarray, fatigue: float) -> np.ndarray:
    """Diminishing returns to repeated exposure (:func:`sim.behaviour.fatigue_factor`), as
    float32 like the contact effects it multiplies."""
    return bh.fatigue_factor(exposures, fatigue).astype(np.float32)


def contacts_affordable(allowance: float, unit_cost_real: float, capacity: float) -> float:
    """Contacts the day's money buys, within capacity (both in simulated customers)."""
    if unit_cost_real <= 0:
        return capacity
    return min(capacity, max(allowance, 0.0) / unit_cost_real)


class OpenRule:
    """Who a channel may still contact: a customer whose stage is open
    (``open_stage[stage]``) and who has had fewer than ``limit`` of its contacts.

    ``taken`` (bool, one per customer, all false and left so) lets :func:`sample_targets`
    filter its draws in one compiled loop; without it the rule is a plain mask function.
    """

    __slots__ = ("counts", "limit", "open_stage", "stage", "taken")

    def __init__(
        self,
        stage: np.ndarray,
        open_stage: np.ndarray,
        counts: np.ndarray,
        limit: int,
        taken: np.ndarray | None = None,
    ) -> None:
        self.stage = stage  # int8 stage codes
        self.open_stage = open_stage  # bool, one per stage code
        self.counts = counts  # uint16 contacts so far by this channel
        self.limit = limit
        self.taken = taken

    def __call__(self, idx: np.ndarray) -> np.ndarray:
        return self.open_stage[self.stage[idx]] & (self.counts[idx] < self.limit)


def sample_targets(
    rng: np.random.Generator,
    k: int,
    weights: np.ndarray,
    w_max: float,
    open_mask_fn,
    w_mean: float | None = None,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """Up to ``k`` distinct customers drawn with probability proportional to ``weights``
    among those for whom ``open_mask_fn(idx)`` holds (rejection sampling on uniform ids,
    falling back to exact weighted sampling without replacement when acceptance is low).

    ``w_mean`` (``weights.mean()``) and ``scratch`` (int32, ``weights.size``, all
    ``SCRATCH_EMPTY``, left so on return) only make repeated calls cheaper: O(draws)
    instead of an O(n) mean and a sort per call; an :class:`OpenRule` with ``taken`` has
    the draws filtered by one compiled loop instead. The result is the same either way.
    """
    n = weights.size
    if k <= 0 or w_max <= 0 or n == 0:
        return np.empty(0, dtype=np.int64)
    chosen = np.empty(0, dtype=np.int64)
    accept = max((float(weights.mean()) if w_mean is None else w_mean) / w_max, 1e-3)
    fused = isinstance(open_mask_fn, OpenRule) and open_mask_fn.taken is not None
    out = np.empty(k, dtype=np.int64) if fused else chosen
    for _ in range(4):
        need = k - chosen.size
        m = int(need / accept * 1.3) + 16
        if m > 2 * n:
            break
        idx, u = _uniform_ids(rng, n, m)
        if isinstance(rng.bit_generator, np.random.PCG64):
            rng.bit_generator.advance(_ROUND_STRIDE - m)  # the next round starts at a fixed place
        if fused:
            r = open_mask_fn
            filled = accept_distinct(
                idx, u, np.float32(w_max), weights, r.stage, r.open_stage, r.counts, r.limit,
                r.taken, out, chosen.size,
            )  # fmt: skip
            chosen = out[:filled]
        else:
            idx = idx[u * w_max < weights[idx]]
            idx = idx[open_mask_fn(idx)]  # only the accepted draws: fewer gathers, same set
            chosen = _append_distinct(chosen, idx, scratch)[:k]
        if chosen.size >= k:
            break
        accept *= 0.5  # most draws were closed or duplicates: ask for more next round
    if fused:
        open_mask_fn.taken[chosen] = False  # as found, for the next call
    if chosen.size >= k:
        return chosen
    # Efraimidis and Spirakis (2006): top-k of u^(1/w) is weighted sampling w/o replacement.
    cand = np.flatnonzero(open_mask_fn(np.arange(n)) & (weights > 0))
    cand = np.setdiff1d(cand, chosen, assume_unique=False)
    need = k - chosen.size
    if cand.size <= need:
        return np.concatenate([chosen, cand])
    keys = np.log(rng.random(cand.size)) / weights[cand]
    top = cand[np.argpartition(-keys, need - 1)[:need]]
    return np.concatenate([chosen, np.sort(top)])


SCRATCH_EMPTY = np.iinfo(np.int32).max
_ROUND_STRIDE = 1 << 48  # draws reserved for each sampling round (far more than any round makes)


def _uniform_ids(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` uniform ids below ``n`` and a uniform for each, both from one float64 draw
    (``n * r`` split into its integer and fractional parts: 53 bits hold both for any
    population size). One draw per id keeps the first ``j`` pairs the same whatever ``m``,
    so a channel buying one more contact still picks the same customers first."""
    x = rng.random(m) * n
    idx = x.astype(np.int64)
    np.minimum(idx, n - 1, out=idx)  # r * n may round up to n
    return idx, (x - idx).astype(np.float32)


def _append_distinct(chosen: np.ndarray, new: np.ndarray, scratch: np.ndarray | None) -> np.ndarray:
    """``chosen`` (distinct) followed by the first occurrence of each id of ``new`` not yet in
    it, in draw order. With ``scratch`` the first occurrences come from a running minimum of
    positions (O(len(new)), the scratch restored after); without it, from a sort."""
    if scratch is None:
        both = np.concatenate([chosen, new])
        _, first = np.unique(both, return_index=True)
        return both[np.sort(first)]
    pos = np.arange(new.size, dtype=np.int32)
    scratch[chosen] = -1  # already chosen: never a first occurrence
    np.minimum.at(scratch, new, pos)
    keep = scratch[new] == pos
    scratch[new] = SCRATCH_EMPTY
    scratch[chosen] = SCRATCH_EMPTY
    return np.concatenate([chosen, new[keep]])
