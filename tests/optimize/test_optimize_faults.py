"""campaign-sim optimize under faults: SIGINT and kill -9 of a real subprocess at a random
moment, then --resume, give the tables of an unbroken optimisation and leave no worker
alive; a folder of another spec, a second writer and an --out that is a file are refused
with one line (exit 2)."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.optimize.spec import load_optimization
from sim.stores import FolderLock
from tests import faults
from tests.optimize.test_optimize_cli import SPEC, TINY, sets

#: three batches of two, past TPE's two start-up trials, so the resumed search must
#: propose what the unbroken one did from the history, not only from a random stream
ARGS = [str(SPEC), "--trials", "6", *sets(TINY)]
TABLES = ("trials", "confirmed", "curves", "marginal_roi")


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("optimize") / "whole"
    assert main(["optimize", *ARGS, "--out", str(out)]) in (0, 1)
    return out


def _same_results(a: Path, b: Path) -> None:
    faults.same_tables(a, b, TABLES)
    assert (a / "recommended.toml").read_text() == (b / "recommended.toml").read_text()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "kill9"])
def test_interrupted_optimisation_resumes_to_the_unbroken_result(unbroken: Path, tmp_path: Path, sig) -> None:
    broken = tmp_path / "broken"
    argv = ["optimize", *ARGS, "--jobs", "2", "--out", str(broken)]
    ready = lambda: faults.rows(broken / "store.sqlite", "runs") >= 1  # noqa: E731
    got = faults.interrupt(argv, tmp_path, ready, sig, f"optimize {sig.name}", 2.0)
    if got.hit:
        assert (broken / "INCOMPLETE").exists()
        assert not (broken / "store.sqlite.lock").exists() or sig == signal.SIGKILL
        if got.returncode == 130 and "finished runs are kept" in got.err:
            assert f"add --resume {broken} to continue" in got.err
    assert main(["optimize", *ARGS, "--resume", str(broken)]) in (0, 1)
    _same_results(unbroken, broken)
    assert faults.leftovers(broken) == []


def _edits() -> list[str]:
    """One edit per part of the spec the stored runs or the study depend on: each lever's
    bounds, the seed, the replications, the objective and a base-scenario field."""
    opt = load_optimization(SPEC, TINY)
    out = [
        f"levers.{n}.high={lv.high + (lv.step or 1)}" for n, lv in opt.spec.levers.items() if not lv.is_mix
    ]
    mix, lever = opt.mix
    out.append(f"levers.{mix}.upper.{lever.channels[0]}=0.9")
    return [
        *out,
        f"seed={opt.spec.seed + 1}",
        "replications=3",
        "objective.statistic=mean",
        "population.size=301",
    ]


@pytest.mark.parametrize("edit", _edits())
def test_folder_of_another_spec_is_refused(unbroken: Path, tmp_path: Path, capsys, edit: str) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(unbroken, folder)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    capsys.readouterr()
    assert main(["optimize", *ARGS, "--set", edit, "--resume", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "different" in err and str(folder) in err
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before  # nothing touched


def test_second_writer_and_bad_out_are_refused(unbroken: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(unbroken, folder)
    capsys.readouterr()
    with FolderLock(folder / "store.sqlite"):  # another optimisation is writing the folder
        assert main(["optimize", *ARGS, "--resume", str(folder)]) == 2
        err = capsys.readouterr().err
        assert "another campaign-sim process" in err and "Traceback" not in err
        assert not (folder / "INCOMPLETE").exists()  # the refused one marked nothing
        assert main(["optimize", *ARGS, "--out", str(folder)]) == 2
        assert f"to continue it: --resume {folder}" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["optimize", *ARGS, "--out", str(afile)]) == 2
    assert "is a file" in capsys.readouterr().err


def _search(opt, folder: Path, resume: bool) -> pd.DataFrame:
    from sim.experiments.execute import parallel_backend
    from sim.experiments.store import RunStore
    from sim.optimize.search import STORE, open_study, run_search, trial_table

    with RunStore(folder / STORE) as store, parallel_backend("loky", 1) as workers:
        return trial_table(run_search(opt, open_study(opt, folder, resume), store, workers))


#: parameters drawn per trial: four levers and the seven channels of the mix
DRAWS = 11
SEARCH = [*TINY, "search.trials=6"]


@pytest.fixture(scope="module")
def whole_search(tmp_path_factory) -> pd.DataFrame:
    return _search(load_optimization(SPEC, SEARCH), tmp_path_factory.mktemp("search"), False)


@pytest.mark.parametrize(
    "where, n",
    [("draw", k) for k in range(1, 6 * DRAWS, 7)] + [("tell", k) for k in range(6)],
    ids=lambda v: str(v),
)
def test_search_stopped_anywhere_proposes_what_the_unbroken_one_did(
    whole_search: pd.DataFrame, tmp_path: Path, monkeypatch, where: str, n: int
) -> None:
    """The search stopped after ``n`` parameter draws (a kill mid-proposal) or ``n`` tells
    (mid-batch), then resumed: the same trials, values and scores as without a stop."""
    import optuna

    import sim.optimize.search as search

    opt = load_optimization(SPEC, SEARCH)
    count = [0]

    def stop_after(real):
        def wrapped(*args, **kwargs):
            count[0] += 1
            if count[0] > n:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        return wrapped

    if where == "draw":
        monkeypatch.setattr(optuna.Trial, "_suggest", stop_after(optuna.Trial._suggest))
    else:
        monkeypatch.setattr(search, "tell", stop_after(search.tell))
    broken = tmp_path / "broken"
    broken.mkdir()
    with pytest.raises(KeyboardInterrupt):
        _search(opt, broken, False)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(_search(opt, broken, True), whole_search)
