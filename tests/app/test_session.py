"""The page's state without a browser: runs, cancellation of stale work, plans, save, downloads."""

from __future__ import annotations

import io
from concurrent.futures import Executor, Future

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sim.app import export
from sim.app.runs import ATTRIBUTED, Batch, run_one
from sim.app.session import Session, shipped_scenarios
from sim.app.views import p_better
from sim.loading import SpecError, load_scenario
from sim.runner import run_replications
from tests.app.conftest import SCENARIO

SETS = ["population.size=800"]
REPS = 3


class Manual(Executor):
    """Tasks wait until the test runs them: makes cancellation deterministic."""

    def __init__(self):
        self.tasks: list[tuple[Future, tuple]] = []

    def submit(self, fn, /, *args, **kwargs):
        f: Future = Future()
        self.tasks.append((f, (fn, args)))
        return f

    def start(self, i: int) -> None:
        assert self.tasks[i][0].set_running_or_notify_cancel()

    def finish(self, i: int) -> None:
        f, (fn, args) = self.tasks[i]
        f.set_result(fn(*args))


@pytest.fixture(scope="module")
def session():
    s = Session(SCENARIO, SETS, replications=REPS, seed=5, jobs=1)
    s.batch.join(120)
    yield s
    s.close()


def test_shipped_scenarios_are_offered():
    assert {"deposit_sprint", "wealth_season"} <= set(shipped_scenarios())


def test_first_plan_equals_the_python_api(session):
    ref = run_replications(load_scenario(SCENARIO, SETS), REPS, seed=5)
    got = session.outcome()
    assert got.finished and got.done == REPS
    cols = ["net_value", "conversions", "roi", "incremental_conversions"]
    pd.testing.assert_frame_equal(got.frames.summary[cols], ref.summary[cols])
    assert got.headline["net_value"] == pytest.approx(ref.summary["net_value"].median())
    assert set(got.verdict) >= {"headline", "pays", "buys", "risk", "limits", "targets"}


def test_channel_attribution_adds_up_to_conversions(session):
    s = session.outcome().frames.summary
    credited = s[[c for c in s if c.startswith(ATTRIBUTED)]].sum(axis=1)
    np.testing.assert_allclose(credited, s["conversions"], rtol=1e-9)


def test_newer_edit_cancels_stale_work():
    ex = Manual()
    s = Session(SCENARIO, SETS, replications=REPS, seed=5, executor=ex)
    first = s.batch
    ex.start(0)  # replication 0 of the first plan is already running
    s.set("offer.bonus_bp", 70)
    assert first.cancelled and all(f.cancelled() for f, _ in ex.tasks[1:REPS])
    ex.finish(0)  # the stale result arrives late: ignored
    assert first.results == {} and s.batch is not first
    for i in range(REPS, 2 * REPS):
        ex.start(i)
        ex.finish(i)
    assert s.batch.finished and s.outcome().done == REPS
    assert s.scenario.offer.bonus_bp == 70


def test_invalid_edit_keeps_the_running_plan_and_explains():
    ex = Manual()
    s = Session(SCENARIO, SETS, replications=REPS, seed=5, executor=ex)
    batch = s.batch
    c = s.set("budget.total", 1000)
    assert c.scenario is None and s.batch is batch and not batch.cancelled
    assert "budget.total" in s.problems
    s.set("budget.total", 18_000_000)
    assert s.problems == {} and s.batch is not batch


def test_pinned_plans_are_compared_under_common_random_numbers(session):
    s = Session(SCENARIO, SETS, replications=REPS, seed=5, jobs=1)
    s.batch.join(120)
    a = s.pin()
    assert a.name == "A"
    s.set("offer.bonus_bp", s.lever("offer.bonus_bp").base)  # the same plan again: every pair ties
    s.batch.join(120)
    o = s.outcome()
    assert o.reference == "A" and o.paired == REPS and o.p_better == 0.5
    s.set("budget.total", 9_000_000)
    s.batch.join(120)
    s.pin()
    t = s.comparison()
    assert list(t["plan"]) == ["A", "B"] and "p_better_than_A" in t
    for _ in range(3):
        s.pin()
    assert [p.name for p in s.plans] == ["A", "B", "C", "D"] or len(s.plans) == 4
    s.close()


def test_p_better_pairs_by_replication():
    a = pd.DataFrame({"replication": [0, 1, 2], "net_value": [3.0, 1.0, 2.0]})
    b = pd.DataFrame({"replication": [2, 1, 0], "net_value": [1.0, 1.0, 5.0]})
    assert p_better(a, b) == (pytest.approx(0.5), 3)  # rep 0 worse, 1 tie, 2 better


def test_saved_scenario_validates_and_reproduces_the_numbers(session, tmp_path):
    path = session.save(tmp_path / "what_if.toml")
    sc = load_scenario(path)
    assert sc == session.scenario
    ref = run_replications(sc, REPS, seed=session.seed)
    pd.testing.assert_series_equal(ref.summary["net_value"], session.outcome().frames.summary["net_value"])


def test_downloads(session):
    csv = pd.read_csv(io.BytesIO(export.summary_csv(session)))
    assert len(csv) == REPS and "net_value" in csv
    wb = openpyxl.load_workbook(io.BytesIO(export.workbook(session)))
    assert {"kpis", "summary", "channels", "plans", "levers", "daily"} <= set(wb.sheetnames)
    html = export.report_html(session).decode()
    assert "<html" in html and "Verdict: " in html and "ROI &lt; 0" in html


def test_batch_reports_worker_errors_without_raising():
    ex = Manual()
    sc = load_scenario(SCENARIO, SETS)
    b = Batch(sc, 1, 0, ex)
    f, _ = ex.tasks[0]
    f.set_running_or_notify_cancel()
    f.set_exception(RuntimeError("boom"))
    assert b.finished and b.errors == ["replication 0: RuntimeError: boom"] and b.frames() is None


def _bad_draws(sets: list[str]):
    """A calibrated scenario whose every posterior draw is out of the field's range: the
    problem shows only when a worker applies a draw."""
    from sim.scenario import Uncertainty

    u = Uncertainty(calibration="hand-edited", fields=("diffusion.innovation",), draws=((-5.0,), (-4.0,)))
    return load_scenario(SCENARIO, sets).model_copy(update={"uncertainty": u})


def test_an_input_problem_in_a_worker_is_shown_as_its_message():
    from concurrent.futures import ThreadPoolExecutor

    sc = _bad_draws(SETS)
    with pytest.raises(SpecError, match=r"posterior draw of hand-edited: diffusion\.innovation"):
        run_one(sc, np.random.SeedSequence(0))
    with ThreadPoolExecutor(1) as ex:
        b = Batch(sc, 2, 0, ex)
        assert b.join(60)
    assert len(b.errors) == 2
    for e in b.errors:
        assert e.startswith("replication ") and ": posterior draw of hand-edited: diffusion.innovation" in e
        assert "Error" not in e.split(": posterior")[0]  # no exception class in front


def test_run_one_is_run_model_plus_attribution():
    sc = load_scenario(SCENARIO, SETS)
    ss = np.random.SeedSequence(1)
    res = run_one(sc, ss)
    assert any(k.startswith(ATTRIBUTED) for k in res.summary)


def test_targets_are_scored_like_the_run_report(session):
    from sim.targets import evaluate

    o = session.outcome()
    table = evaluate(o.frames.summary, session.scenario.targets, "CNY").set_index("kpi")
    assert set(o.targets) == set(session.scenario.targets)
    for kpi, (text, p) in o.targets.items():
        assert p == table.loc[kpi, "p_hit"] and text == table.loc[kpi, "target"]


def test_verdict_names_the_limits_that_bind():
    s = Session(SCENARIO, [*SETS, "offer.quota=5000"], replications=2, seed=1, jobs=1)
    s.batch.join(120)
    assert "the quota sold out in 2 of 2 runs" in s.outcome().verdict["limits"]
    s.close()


def test_worker_processes_give_the_same_numbers_as_one_thread():
    from sim.app.runs import pool, shutdown_pools

    sets = ["population.size=400"]
    try:
        s = Session(SCENARIO, sets, replications=2, seed=2, jobs=2)
        assert s.batch.join(300) and not s.batch.errors
        ref = run_replications(load_scenario(SCENARIO, sets), 2, seed=2)
        pd.testing.assert_series_equal(s.outcome().frames.summary["net_value"], ref.summary["net_value"])
        s.close()
        # an input problem raised in a worker process comes back as its message
        b = Batch(_bad_draws(sets), 2, 0, pool(2))
        assert b.join(120) and len(b.errors) == 2
        assert all(": posterior draw of hand-edited: diffusion.innovation" in e for e in b.errors)
        assert not any("RuntimeError" in e or "SpecError" in e for e in b.errors)
    finally:
        shutdown_pools()


def test_restore_brings_back_a_pinned_plan_and_its_numbers():
    s = Session(SCENARIO, SETS, replications=2, seed=4, jobs=1)
    s.batch.join(120)
    a = s.pin()
    s.set_many({"offer.bonus_bp": 90, "channels.branch.budget_share": 0.6})
    s.restore("A")
    assert s.values == a.values
    s.batch.join(120)
    pd.testing.assert_series_equal(
        s.outcome().frames.summary["net_value"], a.batch.frames().summary["net_value"]
    )
    s.close()


def test_page_saves_only_inside_its_folder(tmp_path):
    from sim.app.session import save_path

    assert save_path(tmp_path, "plan.toml") == tmp_path.resolve() / "plan.toml"
    for bad in ("../plan.toml", "/etc/plan.toml", "plan.txt"):
        with pytest.raises(ValueError):
            save_path(tmp_path, bad)
