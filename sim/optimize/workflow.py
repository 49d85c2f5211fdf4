"""An optimisation from spec to results folder: search, confirmation, recommendation,
response curves, marginal ROI, tables and report.

Files in the results folder: ``trials.parquet`` / ``.csv`` (one row per evaluated
candidate), ``pareto.parquet`` / ``.csv`` (two objectives), ``confirmed.parquet`` / ``.csv``
(re-evaluated candidates and the base plan), ``recommended.toml`` (the recommended plan
as a complete scenario: ``campaign-sim run`` takes it), ``curves`` and ``marginal_roi``
tables, ``plots/*.png``, ``report.html``, ``manifest.json``, and the two stores that make
it resumable: ``optuna.sqlite`` (the study) and ``store.sqlite`` (every run).

As for sweeps (:mod:`sim.stores`), the run store is bound to the fingerprint of what the
runs depend on and locked from before the study is opened until the last output file is
written, so a second optimisation of the same folder is refused and never interleaves
with the first; the folder carries the ``INCOMPLETE`` marker (:mod:`sim.results`) until
the command finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from sim.experiments.design import flatten
from sim.experiments.edits import scenario_at
from sim.experiments.execute import Backend, parallel_backend
from sim.experiments.store import RunStore
from sim.loading import SpecError, dump_scenario
from sim.optimize.analysis import marginal_roi, response_curves
from sim.optimize.recommend import Recommendation, confirm, recommend, shortlist
from sim.optimize.search import STORE, STUDY_DB, open_study, pareto_front, run_search, trial_table
from sim.optimize.spec import Optimization
from sim.results import atomic_write, finish, open_folder, provenance, write_json, write_table
from sim.stores import fingerprint


@dataclass
class OptimizeResult:
    opt: Optimization
    out: Path
    trials: pd.DataFrame
    pareto: pd.DataFrame
    confirmed: pd.DataFrame
    recommendation: Recommendation | None
    curves: pd.DataFrame
    marginal: pd.DataFrame
    seconds: float
    runs: int  # runs executed by this invocation
    manifest: dict[str, Any] = field(default_factory=dict)


def results_folder(opt: Optimization, out: str | Path | None, resume: str | Path | None) -> Path:
    """``--resume DIR`` must hold an optimisation; ``--out DIR`` (default
    ``results/<name>``) must be new or empty, so an earlier one is never overwritten. The
    folder is not marked yet: that happens under the store's lock (:func:`optimize`)."""
    if resume is not None:
        path = Path(resume)
        if not (path / STUDY_DB).is_file():
            raise SpecError("--resume", [f"{path} holds no {STUDY_DB}: nothing to resume"])
        return path
    path = Path(out) if out is not None else Path("results") / opt.spec.name
    if path.exists() and not path.is_dir():
        raise SpecError("--out", [f"{path} is a file; choose a new or empty folder"])
    if path.exists() and any(path.iterdir()):
        hint = f"; to continue it: --resume {path}" if (path / STUDY_DB).exists() else ""
        raise SpecError("--out", [f"{path} is not empty: choose a new folder{hint}"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_fingerprint(opt: Optimization) -> str:
    """What the stored runs depend on: the resolved base scenario, the levers (a run key
    names lever values, so a lever's path must not change under it) and the seed; not the
    objective, constraints or search settings, which only read the runs."""
    return fingerprint(
        {"spec": opt.spec.model_dump(mode="json", include={"levers", "seed"}), "base": opt.base}
    )


def optimize(
    opt: Optimization,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
    on_trial: Callable[[int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> OptimizeResult:
    """Search, confirm, recommend and analyse; writes every output file."""
    folder = results_folder(opt, out, resume)
    # the lock first: a second process must not touch the study, the marker or temp files
    with RunStore(folder / STORE, store_fingerprint(opt), lock=True, what="optimisation") as store:
        study = open_study(opt, folder, resume is not None)  # refuses another spec's study
        open_folder(folder)
        result = _optimize(opt, folder, store, study, jobs, backend, scheduler, on_done, on_trial, on_stage)
        finish(folder)  # complete before unlocking: the next writer's marker is its own
    return result


def _optimize(
    opt: Optimization,
    folder: Path,
    store: RunStore,
    study: optuna.Study,
    jobs: int,
    backend: Backend,
    scheduler: str | None,
    on_done: Callable[[int], None] | None,
    on_trial: Callable[[int], None] | None,
    on_stage: Callable[[str], None] | None,
) -> OptimizeResult:
    start = time.perf_counter()
    executed = [0]

    def done(k: int) -> None:
        executed[0] += k
        if on_done is not None:
            on_done(k)

    stage = on_stage or (lambda _s: None)
    curves = marginal = pd.DataFrame()
    rec = None
    with parallel_backend(backend, jobs, scheduler) as workers:
        stage("search")
        study = run_search(opt, study, store, workers, done, on_trial)
        trials = trial_table(study)
        values_by_trial = {
            int(t.number): t.user_attrs.get("values", {}) for t in study.get_trials(deepcopy=False)
        }
        short = shortlist(opt, trials)
        candidates = [(f"trial {t}", int(t), values_by_trial[int(t)]) for t in short["trial"]]
        if candidates:
            stage("curves")
            curves, curve_values = response_curves(opt, candidates[0][2], store, workers, done)
            candidates += curve_candidates(opt, curves, curve_values, short["objective"].iloc[0])
        stage("confirm")
        confirmed, _ = confirm(opt, candidates, store, workers, done)
        rec = recommend(opt, confirmed)
        if rec is not None:
            stage("marginal")
            marginal = marginal_roi(opt, rec.values, store, workers, done)
    pareto = pd.DataFrame()
    so = opt.spec.second_objective
    if so is not None and len(trials):
        ok = trials[(trials["state"] == "complete") & trials["feasible"]]
        pareto = pareto_front(ok, ["objective", "objective_2"], opt.spec.directions).sort_values("objective")
    result = OptimizeResult(
        opt,
        folder,
        trials,
        pareto,
        confirmed,
        rec,
        curves,
        marginal,
        time.perf_counter() - start,
        executed[0],
    )
    write_outputs(result, jobs, backend, scheduler)
    return result


def curve_candidates(
    opt: Optimization, curves: pd.DataFrame, values: list[dict[str, Any]], best: float
) -> list[tuple[str, int, dict[str, Any]]]:
    """Response-curve points that meet the constraints and beat the search's best (by its
    own replications), best first, at most ``confirm.top``."""
    if curves.empty:
        return []
    sign = 1.0 if opt.spec.objective.direction == "maximize" else -1.0
    better = curves[curves["feasible"] & (sign * curves["objective"] > sign * best) & ~curves["at_center"]]
    better = better.sort_values("objective", ascending=sign < 0).head(opt.spec.confirm.top)
    return [
        (f"curve {r.lever} = {r.level.removesuffix('.0')}", -1, values[r.Index]) for r in better.itertuples()
    ]


def write_outputs(result: OptimizeResult, jobs: int, backend: str, scheduler: str | None) -> None:
    from sim.optimize.report import write_report  # matplotlib: only when writing

    opt, out = result.opt, result.out
    write_table(out, "trials", result.trials)
    lever_columns = pd.DataFrame([flatten(v) for v in result.confirmed["values"]])
    write_table(out, "confirmed", pd.concat([result.confirmed.drop(columns="values"), lever_columns], axis=1))
    for name, df in (("pareto", result.pareto), ("curves", result.curves), ("marginal_roi", result.marginal)):
        if len(df):
            write_table(out, name, df)
    rec = result.recommendation
    if rec is not None:
        sc = scenario_at(opt.experiment().spec, opt.base, rec.values)
        sc = sc.model_copy(update={"name": f"{sc.name}_optimized"})  # tells it apart in compare
        header = f"# Recommended by campaign-sim optimize {opt.source} ({rec.label})\n"
        text = header + dump_scenario(sc)
        atomic_write(out / "recommended.toml", lambda p: p.write_text(text, encoding="utf-8"))
    result.manifest = {
        "command": "optimize",
        "spec_file": opt.source,
        "scenario_file": opt.scenario_file,
        "spec": opt.spec.model_dump(mode="json"),
        "base_scenario": opt.base,
        "trials": {
            "finished": len(result.trials),
            "feasible": int(result.trials["feasible"].sum()) if len(result.trials) else 0,
        },
        "runs_now": result.runs,
        "wall_seconds": round(result.seconds, 3),
        "recommendation": None
        if rec is None
        else {
            "candidate": rec.label,
            "trial": rec.trial,
            "values": rec.values,
            "objective": rec.objective,
            "objective_interval": list(rec.objective_interval),
            "p_better_than_base": rec.p_better,
            "feasible": rec.feasible,
        },
        "execution": {"backend": backend, "jobs": jobs, "scheduler": scheduler},
        **provenance(),
    }
    write_json(out / "manifest.json", result.manifest)
    write_report(result)
