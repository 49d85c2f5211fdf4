"""Executing a run plan on joblib's loky backend or on a dask.distributed cluster.

Tasks are batches of runs, and each carries only the small pieces a worker needs: the
experiment spec, the raw base scenario dict (a few kB), and per run its factor values,
run key and seed. Workers build scenarios and models themselves and return small
records; the driving process writes them to the store as each batch comes back, so an
interrupt loses at most the batches in flight.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from sim.experiments.edits import scenario_at
from sim.experiments.spec import ExperimentSpec
from sim.experiments.store import RunRecord, RunStore
from sim.lifeline import interrupts_deferred, mark_driver, quiet_unraisable, watch_parent
from sim.loading import SpecError
from sim.runner import run_model

#: Daily columns kept per run (for fan charts); the full daily table would dwarf the KPIs.
DAILY_KEEP = ("day", "new_conversions", "new_balance", "marketing_spend", "complaints", "budget_remaining")
MAX_BATCH = 16  # runs per task: ~1-3 s of work, so progress stays live and a crash loses little

Backend = Literal["loky", "dask"]
Item = tuple[str, dict[str, Any], int, tuple[int, ...]]  # key, factor values, entropy, spawn key


def run_one(spec: ExperimentSpec, base: dict[str, Any], item: Item) -> RunRecord:
    key, values, entropy, spawn_key = item
    start = time.perf_counter()
    try:
        scenario = scenario_at(spec, base, values)
        result = run_model(scenario, np.random.SeedSequence(entropy, spawn_key=spawn_key), agents=False)
        daily = {c: result.daily[c].tolist() for c in DAILY_KEEP}
        kpis = {k: float(v) for k, v in result.summary.items()}
        return RunRecord(key, "ok", "", time.perf_counter() - start, kpis, daily)
    except Exception as exc:  # one failing run is recorded and never stops the sweep
        return RunRecord(key, "error", describe_error(exc), time.perf_counter() - start)


def run_batch(spec: ExperimentSpec, base: dict[str, Any], items: list[Item]) -> list[RunRecord]:
    watch_parent()  # a worker whose driving process died exits instead of running on
    return [run_one(spec, base, item) for item in items]


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, SpecError):
        return "invalid scenario at this design point: " + "; ".join(exc.problems)
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


@contextmanager
def parallel_backend(kind: Backend, jobs: int, scheduler: str | None = None) -> Iterator[int]:
    """Make ``kind`` joblib's active backend; yields the number of workers.

    ``dask`` connects a client to ``scheduler`` (``tcp://host:8786``) or, when none is
    given, starts a ``LocalCluster`` of ``jobs`` single-threaded worker processes. This
    process is marked the driver first, so the workers' lifeline (:mod:`sim.lifeline`)
    watches it whoever opens the backend (sweeps, optimisations)."""
    mark_driver()
    if kind == "loky":
        # new workers start the lifeline: they exit if this process dies (sim.lifeline)
        with parallel_config(backend="loky", n_jobs=jobs, initializer=watch_parent):
            yield jobs
        return
    from distributed import Client, LocalCluster

    cluster = client = None
    try:
        try:
            if scheduler:
                client = Client(scheduler, timeout="30s")
            else:
                with interrupts_deferred():  # its workers never see Ctrl-C: this process stops them
                    cluster = LocalCluster(
                        n_workers=jobs,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        # a worker cut off by the cluster's shutdown logs errors nobody needs
                        silence_logs=logging.CRITICAL,
                        preload=["sim.lifeline"],  # workers exit when this process dies, idle or not
                    )
                client = Client(cluster)
        except (OSError, TimeoutError) as exc:
            raise SpecError(
                "--scheduler", [f"cannot reach the dask scheduler {scheduler!r}: {exc}"]
            ) from None
        quiet_unraisable()
        workers = max(1, sum(client.nthreads().values()))
        with parallel_config(backend="dask", n_jobs=workers):
            yield workers
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def batch_size(n_runs: int, workers: int) -> int:
    """About four tasks per worker for load balance, capped so tasks stay short."""
    return max(1, min(MAX_BATCH, -(-n_runs // (4 * max(workers, 1)))))


def execute(
    spec: ExperimentSpec,
    base: dict[str, Any],
    plan: pd.DataFrame,
    values: list[dict[str, Any]],
    store: RunStore,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
    retry_failed: bool = False,
    on_start: Callable[[int], None] | None = None,
) -> int:
    """Run every planned run not yet in ``store``; returns how many were run now.
    ``on_start(n)`` is told how many runs are to do, ``on_done(k)`` as k more finish."""
    done = store.finished(include_failed=not retry_failed)
    todo = plan.loc[~plan["key"].isin(done), ["key", "point", "seed_entropy", "seed_spawn_key"]]
    # identical points (a Sobol design with discrete factors repeats some) run once
    todo = todo.drop_duplicates("key")
    items: list[Item] = [
        (key, values[point], int(entropy), tuple(int(k) for k in spawn.strip("[]").split(",") if k.strip()))
        for key, point, entropy, spawn in todo.itertuples(index=False)
    ]
    if on_start is not None:
        on_start(len(items))
    if not items:
        return 0
    with parallel_backend(backend, jobs, scheduler) as workers:
        size = batch_size(len(items), workers)
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        parallel = Parallel(return_as="generator_unordered")
        for records in parallel(delayed(run_batch)(spec, base, b) for b in batches):
            store.put(records)
            if on_done is not None:
                on_done(len(records))
    return len(items)
