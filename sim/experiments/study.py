"""A study from experiment file to results folder: design, resumable runs, tables.

The results folder is fixed per experiment (``results/<name>`` unless ``--out`` says
otherwise) so that rerunning the same command finds its store and only runs what is
missing. Tables are rebuilt from the store on every run, so they always equal those of
an unbroken sweep.

Files: ``design.parquet`` (one row per run: run_id, point, replication, run key, seed,
factor values), ``runs.parquet`` (run_id, status, error, seconds, every summary KPI),
``daily.parquet`` (run_id, day, kept daily columns), ``failures.csv``, CSV copies,
``base_scenario.toml`` and ``manifest.json`` (experiment, resolved base, seeds,
provenance, counts, throughput).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.design import DesignTable, expand_design, run_plan
from sim.experiments.execute import Backend, execute
from sim.experiments.spec import Experiment
from sim.experiments.store import RunStore
from sim.kpis import SUMMARY_KPIS
from sim.loading import SpecError, dump_scenario, scenario_from_dict
from sim.resources import check_memory
from sim.results import atomic_write, finish, open_folder, provenance, write_json, write_table
from sim.stores import fingerprint

STORE = "store.sqlite"


@dataclass
class Sweep:
    exp: Experiment
    design: DesignTable
    plan: pd.DataFrame  # = design.parquet
    runs: pd.DataFrame  # = runs.parquet, plan columns joined on run_id
    daily: pd.DataFrame
    out: Path
    executed: int  # runs computed by this invocation (the rest came from the store)
    seconds: float
    manifest: dict[str, Any]

    @property
    def failures(self) -> pd.DataFrame:
        return self.runs.loc[self.runs["status"] != "ok", ["run_id", "point", "replication", "error"]]

    @property
    def runs_per_second(self) -> float:
        return self.executed / self.seconds if self.seconds > 0 else float("nan")


def results_folder(out: str | Path | None, exp: Experiment) -> Path:
    """``--out`` or ``results/<experiment name>``; a folder with other files is refused. It
    is marked incomplete only under the store's lock (:func:`run_sweep`), so a second
    process refused by the lock never touches the first one's marker or temporary files."""
    path = Path(out) if out is not None else Path("results") / exp.spec.name
    if path.exists() and any(path.iterdir()) and not (path / STORE).exists():
        raise SpecError(
            "--out", [f"{path} holds files but no {STORE}; choose a new folder or an earlier sweep's"]
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_sweep_memory(exp: Experiment, jobs: int) -> None:
    """Refuse up front when the largest population the design reaches cannot fit."""
    sizes = [int(exp.base.get("population", {}).get("size", 0) or 0)]
    for f in exp.spec.factors.values():
        if "population.size" in f.paths:
            sizes += [int(v) for v in (*f.levels, f.low, f.high) if isinstance(v, int | float)]
    if (largest := max(sizes)) > 0:
        base = scenario_from_dict(exp.base, exp.scenario_file)
        big = base.model_copy(update={"population": base.population.model_copy(update={"size": largest})})
        check_memory(big, jobs, source=f"{exp.source}: population.size")


def spec_fingerprint(exp: Experiment) -> str:
    """What the stored runs depend on: the resolved base scenario, factors, design, seed and
    replications (not the KPIs shown, the analysis settings or the description)."""
    spec = exp.spec.model_dump(mode="json", exclude={"description", "kpis", "analysis", "name"})
    return fingerprint({"spec": spec, "base": exp.base})


def run_sweep(
    exp: Experiment,
    out: str | Path | None = None,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
    retry_failed: bool = False,
    on_start: Callable[[int], None] | None = None,
    command: dict[str, Any] | None = None,
    repair: bool = False,
    write: Callable[[Sweep], None] | None = None,
) -> Sweep:
    """Run what the store lacks and rebuild the tables. The store must belong to this
    experiment; records failing their checksum are refused, or recomputed with ``repair``.

    ``write`` writes further outputs (report, Sobol tables) from the finished sweep. The
    store stays locked until it is done and the folder is marked complete, so a second
    sweep of the folder is refused until the last file is written, never in between."""
    check_sweep_memory(exp, jobs)
    folder = results_folder(out, exp)
    design = expand_design(exp)
    plan = run_plan(exp, design)
    with RunStore(folder / STORE, spec_fingerprint(exp), lock=True) as store:
        open_folder(folder)
        if bad := store.corrupted():
            if not repair:
                shown = ", ".join(bad[:5]) + (", ..." if len(bad) > 5 else "")
                why = f"{len(bad)} stored run(s) fail their checksum (altered on disk): {shown}"
                raise SpecError(str(folder / STORE), [f"{why}; rerun with --repair to recompute them"])
            store.forget(bad)
        write_table(folder, "design", plan)
        base = scenario_from_dict(exp.base, exp.scenario_file)
        text = dump_scenario(base)
        atomic_write(folder / "base_scenario.toml", lambda p: p.write_text(text, encoding="utf-8"))
        start = time.perf_counter()
        executed = execute(
            exp.spec,
            exp.base,
            plan,
            design.values,
            store,
            jobs=jobs,
            backend=backend,
            scheduler=scheduler,
            on_done=on_done,
            retry_failed=retry_failed,
            on_start=on_start,
        )
        seconds = time.perf_counter() - start
        sweep = _tables(exp, design, plan, store, folder, executed, seconds)
        sweep.manifest = manifest(sweep, jobs, backend, scheduler, command or {})
        write_json(folder / "manifest.json", sweep.manifest)
        if write is not None:
            write(sweep)
        finish(folder)
    return sweep


def _tables(
    exp: Experiment,
    design: DesignTable,
    plan: pd.DataFrame,
    store: RunStore,
    folder: Path,
    executed: int,
    seconds: float,
) -> Sweep:
    """The runs and daily tables of the plan from the store, written to ``folder``."""
    stored, daily = store.frames(plan["key"], SUMMARY_KPIS)
    keys = plan[["run_id", "point", "replication", "key"]]
    runs = keys.merge(stored, on="key", how="inner", validate="many_to_one").drop(columns="key")
    runs = runs.sort_values("run_id", ignore_index=True)
    daily = keys[["run_id", "key"]].merge(daily, on="key", validate="many_to_many").drop(columns="key")
    daily = daily.sort_values(["run_id", "day"], ignore_index=True)
    write_table(folder, "runs", runs)
    write_table(folder, "daily", daily, csv=False)
    sweep = Sweep(exp, design, plan, runs, daily, folder, executed, seconds, {})
    atomic_write(folder / "failures.csv", lambda p: sweep.failures.to_csv(p, index=False))
    return sweep


def manifest(
    sweep: Sweep, jobs: int, backend: str, scheduler: str | None, command: dict[str, Any]
) -> dict[str, Any]:
    exp, plan = sweep.exp, sweep.plan
    seeds = plan.drop_duplicates("replication")[["replication", "seed_entropy", "seed_spawn_key"]]
    return {
        **command,
        "experiment_file": exp.source,
        "scenario_file": exp.scenario_file,
        "experiment": exp.spec.model_dump(mode="json"),
        "base_scenario": exp.base,
        "seeds": seeds.to_dict(orient="records"),
        "design": {"kind": exp.spec.design.kind, "points": len(sweep.design.values), "runs": len(plan)},
        "runs": {
            "ok": int((sweep.runs["status"] == "ok").sum()),
            "failed": len(sweep.failures),
            "executed_now": sweep.executed,
            "wall_seconds": round(sweep.seconds, 3),
            "runs_per_second": round(sweep.runs_per_second, 3) if sweep.executed else None,
        },
        "execution": {"backend": backend, "jobs": jobs, "scheduler": scheduler},
        **provenance(),
    }
