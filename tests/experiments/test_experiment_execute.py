"""Execution: failed runs are isolated and recorded; results do not depend on the number
of jobs or on the backend (loky vs a real dask LocalCluster)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiments.design import expand_design, run_plan
from sim.experiments.execute import batch_size, execute
from sim.experiments.spec import load_experiment
from sim.experiments.store import RunStore
from sim.experiments.study import run_sweep

KPIS = ["net_value", "total_cost", "conversions"]


def results(exp, folder, **kw) -> pd.DataFrame:
    d = expand_design(exp)
    plan = run_plan(exp, d)
    with RunStore(folder / "store.sqlite") as store:
        execute(exp.spec, exp.base, plan, d.values, store, **kw)
        runs, _ = store.frames(plan["key"], KPIS)
    return (
        plan[["run_id", "key"]]
        .merge(runs, on="key")
        .sort_values("run_id", ignore_index=True)
        .drop(columns="seconds")
    )


def test_failed_runs_are_recorded_and_the_rest_complete(write_experiment, grid: str, tmp_path) -> None:
    # each level is valid alone (checked at load), but a 560k budget with a 20% risk reserve
    # cannot carry the scenario's 500k fixed costs: that combination's runs fail
    body = grid.replace("levels = [6_000_000, 9_000_000]", "levels = [560_000, 6_000_000]")
    body = body.replace(
        'path = "offer.bonus_bp"\nlow = 20\nhigh = 60\nsteps = 3',
        'path = "budget.risk_reserve_share"\nlevels = [0.0, 0.1, 0.2]',
    )
    exp = load_experiment(write_experiment(body, replications=2))
    sweep = run_sweep(exp, tmp_path / "out")
    fails = sweep.failures
    bad = sweep.plan.loc[(sweep.plan["budget"] == 560_000) & (sweep.plan["bonus"] == 0.2), "run_id"]
    assert len(fails) == 2 and len(sweep.runs) == 12
    assert set(fails["run_id"]) == set(bad)
    assert fails["error"].str.contains("fixed_costs exceed the budget").all()
    on_disk = pd.read_csv(tmp_path / "out" / "failures.csv")
    assert on_disk["run_id"].tolist() == fails["run_id"].tolist()
    # a rerun skips recorded failures unless asked to retry them
    assert run_sweep(exp, tmp_path / "out").executed == 0
    assert run_sweep(exp, tmp_path / "out", retry_failed=True).executed == 2


def test_engine_error_is_recorded_not_raised(write_experiment, grid: str, tmp_path, monkeypatch) -> None:
    import sim.experiments.execute as ex

    def explode(*a, **k):
        raise RuntimeError("engine broke")

    monkeypatch.setattr(ex, "run_model", explode)
    exp = load_experiment(write_experiment(grid))
    sweep = run_sweep(exp, tmp_path / "out", jobs=1)
    assert (sweep.runs["status"] == "error").all()
    assert sweep.runs["error"].str.startswith("RuntimeError: engine broke").all()


def test_batches_are_capped_and_cover_workers() -> None:
    assert batch_size(1, 2) == 1
    assert batch_size(80, 2) == 10
    assert batch_size(100_000, 2) == 16


@pytest.mark.timeout(180)
def test_same_results_for_any_jobs_and_backend(write_experiment, grid: str, tmp_path) -> None:
    """One in-process job, two loky workers and a real dask LocalCluster of two workers."""
    exp = load_experiment(write_experiment(grid, replications=2))
    one = results(exp, tmp_path / "one", jobs=1)
    loky = results(exp, tmp_path / "loky", jobs=2, backend="loky")
    dask = results(exp, tmp_path / "dask", jobs=2, backend="dask")
    assert one["net_value"].nunique() > 1 and (one["status"] == "ok").all()
    pd.testing.assert_frame_equal(one, loky)
    pd.testing.assert_frame_equal(one, dask)
