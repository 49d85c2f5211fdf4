"""Random streams: one independent child of the run's ``SeedSequence`` per subsystem.

Each subsystem (population, graph, shocks, each channel's contact sampling, referral,
rumours, and each kind of daily decision) draws from its own stream, named by a stable
key rather than by position, so adding a channel or a shock, or changing one lever, does
not re-randomise the others. That is what makes paired comparisons (common random
numbers) between two scenarios sharp.

Three kinds of stream:

- :meth:`Streams.generator`: a numpy ``Generator`` for one-off draws (population, graph,
  shock realisation);
- :meth:`Streams.daily`: a generator repositioned at the start of each day (PCG64
  ``advance``), so a day that draws more or fewer numbers leaves later days' draws alone;
- :meth:`Streams.keyed`: per-customer uniforms ``u(day, customer)``, a counter-based hash
  (SplitMix64's output function) of the stream key, the day and the customer id, so a
  customer faces the same chance on the same day whoever else is a candidate.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit

# Far more draws than any day makes; PCG64's period is 2^128.
_DAY_STRIDE = 1 << 64


def stream_key(name: str) -> int:
    """A stable 32-bit key for ``name`` (not Python's salted ``hash``)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


def child_seed(ss: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """The child of ``ss`` named ``name``: the same for the same parent and name, whatever
    other children exist."""
    key = (*ss.spawn_key, stream_key(name))
    return np.random.SeedSequence(ss.entropy, spawn_key=key, pool_size=ss.pool_size)


class DailyStream:
    """A generator that starts each day at its own fixed position in one PCG64 stream."""

    __slots__ = ("_bits", "_gen", "_start")

    def __init__(self, ss: np.random.SeedSequence) -> None:
        self._bits = np.random.PCG64(ss)
        self._start = self._bits.state
        self._gen = np.random.Generator(self._bits)

    def on(self, day: int) -> np.random.Generator:
        """The generator positioned at the start of ``day`` (costs ~3 µs)."""
        self._bits.state = self._start
        self._bits.advance(day * _DAY_STRIDE)
        return self._gen


class KeyedUniforms:
    """Uniforms on [0, 1) indexed by (day, customer, salt), without state."""

    __slots__ = ("key",)

    def __init__(self, ss: np.random.SeedSequence) -> None:
        self.key = np.uint64(ss.generate_state(1, np.uint64)[0])

    def __call__(self, day: int, ids: np.ndarray, salt: int = 0) -> np.ndarray:
        out = np.empty(ids.size)
        keyed_uniforms(self.key, np.uint64(day), np.uint64(salt), ids, out)
        return out


class Streams:
    """The named streams of one run, all children of ``ss``."""

    def __init__(self, ss: np.random.SeedSequence) -> None:
        self.seed_sequence = ss

    def child(self, name: str) -> np.random.SeedSequence:
        return child_seed(self.seed_sequence, name)

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(self.child(name))

    def daily(self, name: str) -> DailyStream:
        return DailyStream(self.child(name))

    def keyed(self, name: str) -> KeyedUniforms:
        return KeyedUniforms(self.child(name))


def poisson_quantile(rate: float):
    """The inverse CDF of Poisson(``rate``) as a function of uniforms (a table lookup):
    counts that follow their uniforms, so equal uniforms give equal counts."""
    k = np.arange(int(rate + 12 * np.sqrt(rate) + 12) + 1)
    cdf = np.cumsum(np.exp(k * np.log(max(rate, 1e-300)) - rate - _log_factorial(k)))
    cdf[-1] = np.inf  # the far tail folds into the last count

    def quantile(u: np.ndarray) -> np.ndarray:
        return np.searchsorted(cdf, u, side="right")

    return quantile


def _log_factorial(k: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k.size)))])[: k.size]


@njit(cache=True, nogil=True)
def _mix(z: np.uint64) -> np.uint64:
    """SplitMix64's output function (Steele, Lea and Flood 2014): a bijective avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def keyed_uniforms(key: np.uint64, day: np.uint64, salt: np.uint64, ids: np.ndarray, out: np.ndarray) -> None:
    """``out[i]`` = uniform on [0, 1) from 53 bits of mix(mix(key + day, salt) + golden * id)."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    base = _mix(_mix(key + golden * (day + np.uint64(1))) ^ (salt * np.uint64(0xD6E8FEB86659FD93)))
    scale = 1.0 / 9007199254740992.0  # 2^-53
    for i in range(ids.size):
        z = _mix(base + golden * (np.uint64(ids[i]) + np.uint64(1)))
        out[i] = np.float64(z >> np.uint64(11)) * scale


keyed_uniforms(np.uint64(0), np.uint64(0), np.uint64(0), np.zeros(1, np.int64), np.zeros(1))  # load on import
