"""The notebook API: comparisons, sweeps, Sobol analyses and optimisations as tidy DataFrames.

Each function takes what the matching command takes (files or objects, ``sets`` as
``--set`` edits, ``jobs`` / ``backend`` / ``scheduler``), never prints, and returns one
tidy DataFrame; secondary results ride in ``DataFrame.attrs`` (documented per function).
This module is the stable surface the app and notebooks build on::

    from sim import api
    table = api.compare(["scenarios/deposit_sprint.toml"], replications=40,
                        variants={"cheaper": ["budget.total=12e6"]}, sets=["population.size=5000"])
    table.attrs["verdict"]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.execute import Backend
from sim.loading import apply_overrides, load_scenario, scenario_from_dict
from sim.scenario import Scenario

ScenarioLike = str | Path | Scenario


def _scenario(item: ScenarioLike, sets: Sequence[str] = ()) -> Scenario:
    if isinstance(item, Scenario):
        if not sets:
            return item
        data = apply_overrides(item.model_dump(mode="json"), sets)
        return scenario_from_dict(data, item.name)
    return load_scenario(item, sets)


def compare(
    options: Sequence[ScenarioLike] | Mapping[str, ScenarioLike],
    replications: int = 50,
    seed: int = 0,
    *,
    variants: Mapping[str, Sequence[str]] | None = None,
    sets: Sequence[str] = (),
    targets: Mapping[str, Any] | None = None,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Compare options with common random numbers (the first option is the reference).

    ``options``: scenario files or :class:`Scenario` objects (a mapping names them);
    ``variants``: name -> ``--set`` edits of the first option, appended as further options;
    ``sets``: edits applied to every option (e.g. ``population.size=5000``); ``targets``:
    KPI -> ``{"at_least": x}`` / ``{"at_most": y}`` (default: the first option's ``[targets]``).

    Returns one row per (``option``, ``kpi``): ``median``, ``p05``, ``p95``, ``mean`` of the
    replications; ``p_best`` with its 90% Wilson interval ``p_best_lower`` / ``p_best_upper``
    (KPIs with a good direction); ``diff_median``, ``diff_p05``, ``diff_p95``, ``p_better``
    against the first option. ``attrs``: ``verdict`` (a sentence), ``warnings`` (thin
    statistics), ``risk`` (option, measure, p, lower, upper, n), ``targets`` (P(hit) per option
    and target), ``runs`` (one row per option and replication).
    """
    from sim.experiments.compare import compare as run_compare
    from sim.experiments.compare import option_names

    if isinstance(options, Mapping):
        named = {str(k): _scenario(v, sets) for k, v in options.items()}
    else:
        items = [_scenario(o, sets) for o in options]
        named = dict(zip(option_names([s.name for s in items]), items, strict=True))
    if not named:
        raise ValueError("compare needs at least one option")
    first = next(iter(named.values()))
    for name, edits in (variants or {}).items():
        named[name] = _scenario(first, list(edits))
    cmp = run_compare(named, replications, seed, jobs, backend, scheduler, on_done=on_done, targets=targets)
    table = cmp.kpis.merge(
        cmp.best.rename(columns={"lower": "p_best_lower", "upper": "p_best_upper"}).drop(
            columns="replications"
        ),
        on=["option", "kpi"],
        how="left",
    )
    if len(cmp.paired):
        diffs = cmp.paired[["option", "kpi", "diff_median", "diff_p05", "diff_p95", "p_better"]]
        table = table.merge(diffs, on=["option", "kpi"], how="left")
    table.attrs.update(
        verdict=cmp.verdict,
        warnings=cmp.warnings,
        risk=cmp.risk.drop(columns="thin"),
        targets=cmp.targets,
        runs=cmp.runs,
    )
    return table


def _study(experiment: str | Path, sets: Sequence[str], out: str | Path | None, **execution: Any):
    from sim.experiments.spec import load_experiment
    from sim.experiments.study import run_sweep
    from sim.results import finish_folders

    result = run_sweep(load_experiment(experiment, sets), out, **execution)
    finish_folders()  # the tables are written: the folder is complete (sim.results)
    return result


def sweep(
    experiment: str | Path,
    sets: Sequence[str] = (),
    out: str | Path | None = None,
    *,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Run an experiment file's design (grid, lhs or sobol) into its resumable results folder
    (``out``, default ``results/<name>``) and return one row per run: ``run_id``, ``point``,
    ``replication``, the factor values (a channel mix as ``<factor>.<channel>`` shares),
    ``status``, ``error`` and every summary KPI. ``attrs``: ``folder``, ``warnings`` (grid
    cells whose probabilities rest on too few runs)."""
    from sim.experiments.thin import cell_warnings

    result = _study(experiment, sets, out, jobs=jobs, backend=backend, scheduler=scheduler, on_done=on_done)
    factors = result.plan.drop(columns=["point", "replication", "key", "seed_entropy", "seed_spawn_key"])
    runs = result.runs.merge(factors, on="run_id", how="left")
    front = ["run_id", "point", "replication", *[c for c in factors.columns if c != "run_id"]]
    runs = runs[[*front, *[c for c in runs.columns if c not in front]]]
    runs.attrs.update(folder=str(result.out), warnings=cell_warnings(result))
    return runs


def sobol(
    experiment: str | Path, sets: Sequence[str] = (), out: str | Path | None = None, **execution: Any
) -> pd.DataFrame:
    """Run a Sobol experiment and return its indices: one row per (``kpi``, ``factor``) with
    ``role``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``. ``execution``: ``jobs``, ``backend``,
    ``scheduler``, ``on_done`` as for :func:`sweep`. ``attrs``: ``warnings`` (wide intervals,
    noise-dominated KPIs, S1 negative beyond its interval), ``variance`` (seed-noise share per
    KPI), ``convergence``, ``folder``."""
    from sim.experiments.sobol import analyse

    result = _study(experiment, sets, out, **execution)
    sens = analyse(result.exp, result.design, result.plan, result.runs)
    table = sens.indices.copy()
    table.attrs.update(
        warnings=sens.warnings, variance=sens.variance, convergence=sens.convergence, folder=str(result.out)
    )
    return table


def optimize(
    spec: str | Path,
    sets: Sequence[str] = (),
    out: str | Path | None = None,
    resume: str | Path | None = None,
    *,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Run an optimisation spec (``experiments/*_optimize.toml``) into ``out`` (new or empty,
    default ``results/<name>``), or continue the one in ``resume``, and return its trial
    table: one row per evaluated candidate with ``trial``, ``state``, ``source``, the lever
    values (a mix as ``<lever>.<channel>`` shares), ``objective`` (and ``objective_2``),
    per constraint ``c<i>_value`` / ``_lower`` / ``_upper`` / ``_p_met`` / ``_slack``, and
    ``feasible``. ``attrs``: ``verdict`` (a sentence), ``recommendation`` (dict: trial, lever
    values, objective and its 90% interval, P(better than the base plan), feasible, or
    None), ``constraints`` (at the recommended plan), ``confirmed``, ``pareto``, ``curves``,
    ``marginal_roi``, ``folder``."""
    from sim.optimize.report import verdict
    from sim.optimize.spec import load_optimization
    from sim.optimize.workflow import optimize as run
    from sim.results import finish_folders

    opt = load_optimization(spec, sets)
    result = run(opt, out, resume, jobs=jobs, backend=backend, scheduler=scheduler, on_done=on_done)
    finish_folders()  # every output is written: the folder is complete (sim.results)
    rec = result.recommendation
    table = result.trials.copy()
    table.attrs.update(
        verdict=verdict(result),
        recommendation=result.manifest.get("recommendation"),
        constraints=rec.constraints if rec is not None else pd.DataFrame(),
        confirmed=result.confirmed,
        pareto=result.pareto,
        curves=result.curves,
        marginal_roi=result.marginal,
        folder=str(result.out),
    )
    return table
