"""The search: optuna proposes candidates in batches, the simulator scores them.

Ask-and-tell with optuna's SQLite storage (``optuna.sqlite`` in the results folder): each
round asks ``search.batch`` candidates, runs them all in parallel (R replications each,
common random numbers), then tells optuna their objective(s) and constraint values. The
sampler is TPE (Bergstra et al. 2011; multi-objective and constrained as in optuna, with
a constant liar for the batch) or random search. The base plan is the first candidate
when it lies in the search space. A killed optimisation resumes from the same folder:
finished trials are kept, trials left running are evaluated again (their finished runs
come from the run store), and the search goes on to the trial budget.

A resumed search proposes what the unbroken one would have: every parameter value is drawn
from a sampler seeded by the trial number and the parameter (:class:`TrialSeeded`, not one
random stream that a restart would rewind), a trial a kill left half-proposed gets the
rest of its parameters, and batches are fixed blocks of trial numbers, so a search killed
while asking a batch asks the rest of that batch before evaluating it.
"""

from __future__ import annotations

import json
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from sim.experiments.design import flatten
from sim.experiments.store import RunStore
from sim.loading import SpecError
from sim.optimize.evaluate import run_candidates, score
from sim.optimize.levers import base_params, distributions, values_of
from sim.optimize.spec import Optimization

STUDY_DB = "optuna.sqlite"
STORE = "store.sqlite"
FINISHED = (TrialState.COMPLETE, TrialState.FAIL)
BASE = "base plan"  # source of the enqueued base-plan trial


def sampler(opt: Optimization, seed: int | None = None) -> optuna.samplers.BaseSampler:
    """TPE (constraints reach it through Trial.set_constraint, see :func:`tell`) or random
    search, seeded with ``seed`` (default: the spec's)."""
    s = opt.spec
    seed = s.seed if seed is None else seed
    if s.search.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    with warnings.catch_warnings():  # constant_liar is marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=s.search.startup_trials, constant_liar=True
        )


class TrialSeeded(optuna.samplers.BaseSampler):
    """Draws parameter ``name`` of trial ``n`` with :func:`sampler` seeded by
    ``SeedSequence(seed, spawn_key=(n, crc32(name)))``. TPE and random search keep no state
    but their random stream (TPE reads the history from the storage), so a value depends
    only on the spec, the trial number and the trials before it, never on how many draws
    this process made: a restarted search draws what the unbroken one did, including the
    parameters a kill left undrawn in the middle of a proposal."""

    def __init__(self, opt: Optimization) -> None:
        self.opt = opt

    def infer_relative_search_space(self, study: optuna.Study, trial: Any) -> dict[str, Any]:
        return {}  # every parameter is drawn on its own (TPE is not multivariate here)

    def sample_relative(
        self, study: optuna.Study, trial: Any, search_space: dict[str, Any]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: optuna.Study, trial: Any, name: str, distribution: Any) -> Any:
        ss = np.random.SeedSequence(self.opt.spec.seed, spawn_key=(trial.number, zlib.crc32(name.encode())))
        inner = sampler(self.opt, int(ss.generate_state(1)[0]))
        return inner.sample_independent(study, trial, name, distribution)


def open_study(opt: Optimization, folder: Path, resume: bool) -> optuna.Study:
    """Create the study, or load it when resuming (refusing a folder of another spec)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the library never prints
    storage = f"sqlite:///{(folder / STUDY_DB).as_posix()}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(
            storage=storage,
            study_name=opt.spec.name,
            directions=opt.spec.directions,
            sampler=TrialSeeded(opt),
            load_if_exists=resume,
        )
    stored = study.user_attrs.get("spec_hash")
    if stored is not None and stored != opt.spec_hash:
        raise SpecError(
            "--resume",
            [f"{folder} holds an optimisation of a different spec or base scenario; use a new --out"],
        )
    if stored is None:
        study.set_user_attr("spec_hash", opt.spec_hash)
    params = base_params(opt)
    # checked by content, not by "new study": a kill between the two writes loses nothing
    if params is not None and not any(t.user_attrs.get("source") == BASE for t in study.trials):
        study.enqueue_trial(params, user_attrs={"source": BASE})
    return study


def ask(study: optuna.Study, dists: dict[str, Any], trial: Any = None) -> optuna.Trial:
    """Propose a new trial, or (``trial``: one a kill left running) draw what it lacks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if trial is None:
            return study.ask(dists)
        live = optuna.Trial(study, trial._trial_id)
        for name, d in dists.items():
            live._suggest(name, d)  # as Study.ask does; a drawn parameter keeps its value
        return live


def batch_end(n: int, batch: int, total: int) -> int:
    """One past the last trial number of the batch holding trial ``n`` (batches are
    blocks of ``batch`` trial numbers, the last one cut at ``total``)."""
    return min((n // batch + 1) * batch, total)


def _plain(v: Any) -> Any:
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        return float(v) if np.isfinite(v) else None
    return v


def run_search(
    opt: Optimization,
    study: optuna.Study,
    store: RunStore,
    workers: int,
    on_done: Callable[[int], None] | None = None,
    on_trial: Callable[[int], None] | None = None,
) -> optuna.Study:
    """Evaluate candidates until ``search.trials`` of ``study`` (:func:`open_study`, new or
    resumed) have finished; runs go to ``store`` (the caller holds its lock)."""
    dists = distributions(opt)
    total = opt.spec.search.trials
    while True:
        trials = study.get_trials(deepcopy=False)
        running = [t for t in trials if t.state == TrialState.RUNNING]
        finished = sum(t.state in FINISHED for t in trials)
        if not running and finished >= total:
            return study
        if running:  # a killed batch: ask what it still lacks (none once it was told in part)
            more = batch_end(max(t.number for t in trials), opt.spec.search.batch, total) - len(trials)
            batch = [ask(study, dists, t) for t in running] + [ask(study, dists) for _ in range(more)]
        else:
            batch = [ask(study, dists) for _ in range(min(opt.spec.search.batch, total - finished))]
        values = [values_of(opt, t.params) for t in batch]
        runs = run_candidates(opt.experiment(), values, store, workers, on_done)
        for t, row in zip(batch, score(opt, runs).to_dict(orient="records"), strict=True):
            tell(study, t, row, values[row["point"]], len(opt.spec.constraints))
            if on_trial is not None:
                on_trial(1)


def tell(
    study: optuna.Study, trial: Any, row: dict[str, Any], values: dict[str, Any], n_constraints: int
) -> None:
    storage, tid = study._storage, trial._trial_id
    storage.set_trial_user_attr(tid, "score", {k: _plain(v) for k, v in row.items() if k != "point"})
    storage.set_trial_user_attr(tid, "values", json.loads(json.dumps(values, default=float)))
    live = trial if isinstance(trial, optuna.Trial) else optuna.Trial(study, tid)
    for i in range(n_constraints):
        slack = float(row[f"c{i}_slack"])
        live.set_constraint(f"c{i}", slack if np.isfinite(slack) else 1.0)
    objectives = [row["objective"]] + ([row["objective_2"]] if "objective_2" in row else [])
    if not all(np.isfinite(objectives)):
        study.tell(trial.number, state=TrialState.FAIL)
    else:
        study.tell(trial.number, [float(v) for v in objectives])


def trial_table(study: optuna.Study) -> pd.DataFrame:
    """One row per finished trial: trial, state, source, lever values (a mix as
    ``<lever>.<channel>`` shares), objective(s), constraint estimates, feasible."""
    rows = []
    for t in study.get_trials(deepcopy=False, states=FINISHED):
        sc = t.user_attrs.get("score", {})
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                "source": t.user_attrs.get("source", "search"),
                **flatten(t.user_attrs.get("values", {})),
                **{k: (np.nan if v is None else v) for k, v in sc.items()},
            }
        )
    df = pd.DataFrame(rows)
    if "feasible" in df:
        df["feasible"] = df["feasible"].astype(bool)
    return df


def pareto_front(df: pd.DataFrame, columns: list[str], directions: list[str]) -> pd.DataFrame:
    """Rows no other row dominates (at least as good in every column, better in one)."""
    x = np.column_stack(
        [
            df[c].to_numpy(float) * (-1 if d == "maximize" else 1)
            for c, d in zip(columns, directions, strict=True)
        ]
    )
    keep = []
    for i in range(len(x)):
        dominated = np.any(np.all(x <= x[i], axis=1) & np.any(x < x[i], axis=1))
        keep.append(not dominated)
    return df[np.array(keep, dtype=bool)] if len(df) else df
