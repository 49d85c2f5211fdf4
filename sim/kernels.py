"""Compiled index loops for the hot spots where numpy's per-call overhead and temporaries
cost more than the work itself (numba: compiled once per checkout, cached on disk under
``sim/__pycache__`` and loaded on import).

Each kernel's docstring gives the short numpy expression it equals, and
``tests/test_kernels.py`` checks that both agree exactly on random inputs. These kernels
select, count and compare: they draw no random numbers (the model draws them with numpy)
and any behavioural equation they need is called from :mod:`sim.equations`. The journey's
loops are in :mod:`sim.journey_kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim import equations as eq


@njit(cache=True, nogil=True)
def accept_distinct(
    draws: np.ndarray,
    u: np.ndarray,
    w_max: np.float32,
    weights: np.ndarray,
    stage: np.ndarray,
    open_stage: np.ndarray,
    counts: np.ndarray,
    limit: int,
    taken: np.ndarray,
    out: np.ndarray,
    filled: int,
) -> int:
    """Append to ``out[filled:]`` each draw that passes the rejection test
    ``u * w_max < weights[draw]``, is open (``open_stage[stage[draw]]`` and
    ``counts[draw] < limit``) and is not yet taken (``taken[draw]`` false), in draw order,
    until ``out`` is full; appended draws are marked taken. Returns the new fill. Equals
    the numpy filter chain of :func:`sim.channels.sample_targets`.

    The rejection test runs first over all draws without branches (independent loads keep
    the memory busy: it is what costs at a million customers), then the rest on the few
    accepted ones."""
    k = out.size
    accepted = np.empty(draws.size, np.int64)
    a = 0
    for i in range(draws.size):
        accepted[a] = draws[i]
        a += u[i] * w_max < weights[draws[i]]
    for t in range(a):
        if filled >= k:
            break
        j = accepted[t]
        if open_stage[stage[j]] and counts[j] < limit and not taken[j]:
            taken[j] = True
            out[filled] = j
            filled += 1
    return filled


@njit(cache=True, nogil=True)
def record_contacts(
    idx: np.ndarray,
    counts: np.ndarray,
    exposures: np.ndarray,
    fatigue: np.float32,
    factor: np.ndarray,
    u: np.ndarray,
    rate: float,
) -> int:
    """Book one channel's contacts ``idx`` (distinct ids): ``factor[i]`` = the fatigue
    factor of the earlier exposures (:func:`sim.equations.fatigue_factor`),
    ``counts[idx] += 1``, ``exposures[idx] += 1``; returns how many complain, ``u[i]`` below
    :func:`sim.equations.contact_complaint_probability` of the customer's exposures."""
    n = 0
    for i in range(idx.size):
        j = idx[i]
        factor[i] = eq.fatigue_factor(np.float32(exposures[j]), fatigue)  # float32: exp is the cost
        counts[j] += 1
        exposures[j] += 1
        if u[i] < eq.contact_complaint_probability(rate, exposures[j]):
            n += 1
    return n


@njit(cache=True, nogil=True)
def aware_from_contacts(
    idx: np.ndarray,
    coef: np.ndarray,
    fatigue: np.ndarray,
    u: np.ndarray,
    start: np.ndarray,
    stage: np.ndarray,
    reengage: float,
    unaware: int,
    dropped: int,
    considering: int,
    aware: int,
) -> None:
    """Contacts make unaware (and, less often, dropped) customers aware:
    ``p = coef * fatigue * where(s == dropped, reengage, 1.0)`` with ``s = start[idx]``;
    ``hit = idx[(s == unaware) | (s == dropped)) & (u < p)]``, then ``stage[hit] = aware``
    except where ``stage`` is already ``considering`` (an invitation today went further)."""
    for i in range(idx.size):
        j = idx[i]
        s = start[j]
        if s != unaware and s != dropped:
            continue
        p = np.float64(coef[i] * fatigue[i]) * (reengage if s == dropped else 1.0)
        if u[i] < p and stage[j] != considering:
            stage[j] = aware


@njit(cache=True, nogil=True)
def consider_from_contacts(
    idx: np.ndarray,
    coef: np.ndarray,
    fatigue: np.ndarray,
    u: np.ndarray,
    start: np.ndarray,
    stage: np.ndarray,
    conversation: np.ndarray,
    aware: int,
    considering: int,
) -> None:
    """``stage[idx[ready & (u < coef * fatigue)]] = considering`` with ``ready = (start[idx]
    == aware) | (conversation & (stage[idx] == aware))``: a conversation contact (one entry
    per contact) also moves a customer made aware today, by it or by anything else."""
    for i in range(idx.size):
        j = idx[i]
        ready = start[j] == aware or (conversation[i] and stage[j] == aware)
        if ready and u[i] < coef[i] * fatigue[i]:
            stage[j] = considering


@njit(cache=True, nogil=True)
def aware_from_neighbours(
    cand: np.ndarray,
    u: np.ndarray,
    adopter_nb: np.ndarray,
    indptr: np.ndarray,
    wom: np.float32,
    stage: np.ndarray,
    considering: int,
    aware: int,
) -> None:
    """Word of mouth on a stored graph: with ``share = adopter_nb[cand] / degree``
    (float32, 0 for isolated nodes, as :func:`sim.graphops.adopter_share`),
    ``hit = cand[u < wom * share]``, then ``stage[hit] = aware`` except where ``stage`` is
    already ``considering``."""
    for i in range(cand.size):
        j = cand[i]
        c = adopter_nb[j]
        if c <= 0:
            continue
        deg = indptr[j + 1] - indptr[j]
        share = np.float32(c / deg) if deg > 0 else np.float32(0.0)
        if u[i] < wom * share and stage[j] != considering:
            stage[j] = aware


@njit(cache=True, nogil=True)
def add_neighbour_counts(
    indptr: np.ndarray, indices: np.ndarray, counts: np.ndarray, nodes: np.ndarray
) -> None:
    """``np.add.at(counts, neighbours of nodes, 1)`` on a CSR graph."""
    for i in range(nodes.size):
        j = nodes[i]
        for e in range(indptr[j], indptr[j + 1]):
            counts[indices[e]] += 1


@njit(cache=True, nogil=True)
def pick_neighbours(
    indptr: np.ndarray, indices: np.ndarray, idx: np.ndarray, u: np.ndarray, out: np.ndarray
) -> None:
    """``out[i]`` = neighbour number ``int(u[i] * degree)`` of ``idx[i]`` on a CSR graph
    (-1 for an isolated node)."""
    for i in range(idx.size):
        j = idx[i]
        deg = indptr[j + 1] - indptr[j]
        out[i] = indices[indptr[j] + np.int64(u[i] * deg)] if deg > 0 else -1


@njit(cache=True, nogil=True)
def accepted_invitations(
    to: np.ndarray, u: np.ndarray, p: float, stage: np.ndarray, unaware: int, aware: int, dropped: int
) -> np.ndarray:
    """``to[(u < p) & stage[to] in (unaware, aware, dropped)]``: invitations accepted by
    customers who have not started, or have left, the journey."""
    out = np.empty(to.size, to.dtype)
    k = 0
    for i in range(to.size):
        s = stage[to[i]]
        if u[i] < p and (s == unaware or s == aware or s == dropped):  # noqa: SIM109 (numba)
            out[k] = to[i]
            k += 1
    return out[:k]


@njit(cache=True, nogil=True)
def neighbour_share(indptr: np.ndarray, counts: np.ndarray, idx: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = counts[idx] / degree[idx]`` as float32 (0 for isolated nodes), the
    degree read from the CSR ``indptr``."""
    for i in range(idx.size):
        j = idx[i]
        deg = indptr[j + 1] - indptr[j]
        out[i] = counts[j] / deg if deg > 0 else 0.0


@njit(cache=True, nogil=True)
def settle(
    cand: np.ndarray, u: np.ndarray, p: np.ndarray, drop_below: np.ndarray, stage: np.ndarray, drop: int
) -> np.ndarray:
    """One uniform decides each candidate: ``u < p`` moves on (returned, in order);
    ``p <= u < drop_below`` leaves, ``stage[...] = drop``; the rest stay."""
    out = np.empty(cand.size, cand.dtype)
    k = 0
    for i in range(cand.size):
        if u[i] < p[i]:
            out[k] = cand[i]
            k += 1
        elif u[i] < drop_below[i]:
            stage[cand[i]] = drop
    return out[:k]


@njit(cache=True, nogil=True)
def retain(
    idx: np.ndarray, stage: np.ndarray, since: np.ndarray, day: int, held: int, kept: int, min_days: int
) -> None:
    """``stage[idx[(stage[idx] == held) & (day - since[idx] >= min_days)]] = kept``."""
    for i in range(idx.size):
        j = idx[i]
        if stage[j] == held and day - since[j] >= min_days:
            stage[j] = kept


@njit(cache=True, nogil=True)
def count_codes(codes: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = np.bincount(codes, minlength=out.size)`` for codes below 8 (four
    interleaved tallies, so repeated codes do not wait on each other)."""
    tally = np.zeros((4, 8), np.int64)
    n4 = codes.size - codes.size % 4
    for i in range(0, n4, 4):
        tally[0, codes[i]] += 1
        tally[1, codes[i + 1]] += 1
        tally[2, codes[i + 2]] += 1
        tally[3, codes[i + 3]] += 1
    for i in range(n4, codes.size):
        tally[0, codes[i]] += 1
    for c in range(out.size):
        out[c] = tally[0, c] + tally[1, c] + tally[2, c] + tally[3, c]


def _load_for_model_dtypes() -> None:
    """Call each kernel once on tiny arrays of the dtypes the model passes, so their
    machine code is loaded from numba's cache (or compiled, once per checkout) on import
    and not inside the first run (which would add ~0.3 s to it)."""
    i64, f32, f64, i8 = (
        np.zeros(1, np.int64),
        np.zeros(1, np.float32),
        np.zeros(1, np.float64),
        np.zeros(1, np.int8),
    )
    indptr = np.zeros(2, np.int64)
    indices = np.zeros(0, np.int32)
    indptr.setflags(write=False)  # graphs are read-only
    indices.setflags(write=False)
    counts = np.zeros(1, np.int32)
    accept_distinct(i64, f32, np.float32(0), f32, i8, np.zeros(7, np.bool_), np.zeros(1, np.uint16), 1,
                    np.zeros(1, np.bool_), np.zeros(1, np.int64), 0)  # fmt: skip
    record_contacts(i64[:0], np.zeros(1, np.uint16), np.zeros(1, np.int32), np.float32(0), f32, f64, 0.0)
    aware_from_contacts(i64, f32, f32, f64, i8, i8.copy(), 0.0, 0, 1, 2, 3)
    consider_from_contacts(i64, f32, f32, f64, i8, i8.copy(), np.zeros(1, np.bool_), 1, 2)
    aware_from_neighbours(i64, f64, counts, indptr, np.float32(0), i8.copy(), 2, 1)
    count_codes(i8, i64.copy())
    add_neighbour_counts(indptr, indices, counts, i64)
    neighbour_share(indptr, counts, i64, f32.copy())
    pick_neighbours(indptr, indices, i64, f64, i64.copy())
    accepted_invitations(i64, f64, 0.0, i8, 0, 1, 6)
    for p in (f64, f32):  # consideration without urgency works in float32
        settle(i64, f64, p, p, i8.copy(), 6)
    retain(i64, i8.copy(), np.zeros(1, np.int32), 0, 3, 4, 30)


_load_for_model_dtypes()
