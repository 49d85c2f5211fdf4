"""Background replications for the page: warm workers, progressive results, cancellation.

Replication ``r`` of a plan always runs from child ``r`` of ``SeedSequence(seed)``, exactly
as :func:`sim.runner.run_replications` does, so every plan of a session shares common random
numbers with the pinned plan and a finished plan reproduces ``campaign-sim run --seed``.
Each replication is one task (paired with its campaign-off baseline when the scenario
says so); results are collected as tasks finish, and :meth:`Batch.cancel` drops the tasks
not yet started and ignores the ones still running, so a newer edit never waits for stale
work.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from sim.loading import SpecError
from sim.runner import Replications, RunResult, collect, run_model, spawn_seeds
from sim.scenario import Scenario

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"
ATTRIBUTED = "attributed_conversions_"  # summary key prefix of per-channel conversions
ORGANIC = "organic"  # converters no channel contacted (invitations, word of mouth, walk-ins)


def channel_attribution(model) -> dict[str, float]:
    """Conversions credited to each channel by linear multi-touch attribution: a converter
    who received ``k_c`` contacts from channel ``c`` credits ``k_c / sum_c k_c`` to ``c``
    (converters never contacted count as ``organic``); real-customer units
    (x ``population.scale``). A run probe (:data:`sim.runner.Probe`)."""
    pop = model.pop
    won = pop.converted_day >= 0
    k = pop.channel_contacts[:, won].astype(np.float64)
    total = k.sum(axis=0)
    touched = total > 0
    credit = (k[:, touched] / total[touched]).sum(axis=1) if k.size else np.zeros(len(model.channel_names))
    out = {
        f"{ATTRIBUTED}{c}": float(v) * model.scale for c, v in zip(model.channel_names, credit, strict=True)
    }
    out[f"{ATTRIBUTED}{ORGANIC}"] = float(np.count_nonzero(~touched)) * model.scale
    return out


def run_one(scenario: Scenario, seed: np.random.SeedSequence) -> RunResult:
    """One replication (and its baseline), with channel attribution in the summary. A
    :class:`SpecError` (a posterior draw the scenario cannot take, say) comes back as
    itself; other errors as ``RuntimeError`` with their type and message, since not every
    exception type pickles back from a worker process."""
    try:
        return run_model(scenario, seed, probe=channel_attribution)
    except SpecError:
        raise
    except Exception as exc:
        raise RuntimeError(f"{exc.__class__.__name__}: {exc}") from None


def _warm(_: int) -> int:
    """Import and compile everything a replication needs, in a worker."""
    from sim.loading import load_scenario

    sc = load_scenario(SHIPPED / "deposit_sprint.toml", ["population.size=300"])
    run_one(sc, np.random.SeedSequence(0))
    return 0


_POOLS: dict[int, Executor] = {}
_POOL_LOCK = threading.Lock()


def pool(jobs: int) -> Executor:
    """A process-wide executor with ``jobs`` warm workers (a thread for ``jobs <= 1``: no
    start-up cost, used by tests); created once and reused by every session."""
    with _POOL_LOCK:
        if jobs not in _POOLS:
            if jobs <= 1:
                _POOLS[jobs] = ThreadPoolExecutor(1, thread_name_prefix="campaign-sim-run")
            else:
                ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
                ex = ProcessPoolExecutor(jobs, mp_context=ctx)
                for f in [ex.submit(_warm, i) for i in range(jobs)]:
                    f.result()
                _POOLS[jobs] = ex
        return _POOLS[jobs]


def shutdown_pools() -> None:
    with _POOL_LOCK:
        for ex in _POOLS.values():
            ex.shutdown(wait=False, cancel_futures=True)
        _POOLS.clear()


class Batch:
    """The replications of one plan, filling in as workers finish them."""

    def __init__(
        self,
        scenario: Scenario,
        replications: int,
        seed: int,
        executor: Executor,
        on_update: Callable[[Batch], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.replications = replications
        self.seed = seed
        self.seeds = spawn_seeds(seed, replications)
        self.results: dict[int, RunResult] = {}
        self.errors: list[str] = []
        self.cancelled = False
        self._on_update = on_update
        self._cond = threading.Condition()
        self._version = 0
        self._futures: list[Future] = []
        for r, ss in enumerate(self.seeds):
            fut = executor.submit(run_one, scenario, ss)
            fut.add_done_callback(lambda f, r=r: self._done(r, f))
            self._futures.append(fut)

    def _done(self, r: int, fut: Future) -> None:
        if fut.cancelled():
            return
        exc = fut.exception()
        with self._cond:
            if self.cancelled:
                return
            if isinstance(exc, SpecError):  # an input problem: its message says it all
                self.errors.append(f"replication {r}: {exc}")
            elif exc is not None:
                self.errors.append(f"replication {r}: {exc.__class__.__name__}: {exc}")
            else:
                self.results[r] = fut.result()
            self._version += 1
            self._cond.notify_all()
        if self._on_update is not None:
            self._on_update(self)

    @property
    def done(self) -> int:
        return len(self.results) + len(self.errors)

    @property
    def finished(self) -> bool:
        return self.cancelled or self.done >= self.replications

    @property
    def version(self) -> int:
        return self._version

    def cancel(self) -> None:
        """Drop the work not yet started; results still arriving are ignored."""
        with self._cond:
            self.cancelled = True
            self._cond.notify_all()
        for f in self._futures:
            f.cancel()

    def wait(self, version: int = -1, timeout: float | None = None) -> bool:
        """Block until a result newer than ``version`` arrives (or the batch ends); True if so."""
        with self._cond:
            return self._cond.wait_for(lambda: self._version > version or self.finished, timeout)

    def join(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.finished, timeout)

    def frames(self) -> Replications | None:
        """The finished replications so far as tidy frames (None before the first)."""
        with self._cond:
            results = dict(self.results)
        return collect(results, self.seeds) if results else None
