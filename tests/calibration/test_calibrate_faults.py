"""Calibration under faults: SIGINT and kill -9 during ABC leave a resumable history and no
live workers, and the resumed calibration equals an unbroken one; a second calibration of
the same folder, a resume of a folder still being written, other data and a damaged
history are refused with one line (exit 2)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from sim.cli import main
from sim.stores import FolderLock
from tests import faults

TINY = ["--set", "inference.population_size=10", "--set", "inference.generations=2"]
TABLES = ("posterior", "parameters", "correlations", "bands", "coverage", "predictive", "posterior_draws")


@pytest.fixture
def unbroken(make_spec, good_rows, tmp_path) -> Path:
    out = tmp_path / "whole"
    assert main(["calibrate", str(make_spec(good_rows)), *TINY, "--out", str(out)]) == 0
    return out


def _same_calibration(a: Path, b: Path) -> None:
    faults.same_tables(a, b, TABLES)
    assert (a / "calibrated_scenario.toml").read_text() == (b / "calibrated_scenario.toml").read_text()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "kill9"])
def test_interrupted_calibration_resumes_to_the_unbroken_one(
    make_spec, good_rows, unbroken, tmp_path, capsys, sig
) -> None:
    spec = make_spec(good_rows)
    out = tmp_path / "cal"
    partial = tmp_path / "cal.partial"
    # two stored generations (pyabc's prior sample for the first tolerance and t = 0):
    # the signal falls in the last generation or the predictive draws
    ready = lambda: faults.rows(partial / "abc.db", "populations") >= 2  # noqa: E731
    argv = ["calibrate", str(spec), *TINY, "--jobs", "2", "--out", str(out)]
    got = faults.interrupt(argv, tmp_path, ready, sig, f"calibrate {sig.name}", 0.3)
    source = out
    if got.hit and (partial / "abc.db").is_file():
        source = partial
        assert not (partial / "abc.db.lock").exists() or sig == signal.SIGKILL
        if got.returncode == 130:
            assert f"--resume {partial}" in got.err
        # the kept history resumes to the calibration an unbroken command makes
        resumed = tmp_path / "resumed"
        assert main(["calibrate", str(spec), *TINY, "--resume", str(partial), "--out", str(resumed)]) == 0
        _same_calibration(unbroken, resumed)
        assert faults.leftovers(resumed) == []
    else:  # finished before the signal
        _same_calibration(unbroken, out)
    # a resume with other data is refused before any simulation
    capsys.readouterr()
    other = make_spec([*good_rows[:-1], "2024-01-22,999"])
    assert main(["calibrate", str(other), *TINY, "--resume", str(source), "--out", str(tmp_path / "x")]) == 2
    assert "different calibration spec or data" in capsys.readouterr().err


def test_a_clean_up_failing_after_ctrl_c_still_keeps_the_history(
    make_spec, good_rows, tmp_path, monkeypatch, capsys
) -> None:
    """pyabc closing a session a Ctrl-C cut off mid-transaction raises another error: it is
    still the interrupt (exit 130), and the finished generations are kept to resume."""
    import sim.calibration.workflow as workflow

    def interrupted_then_clean_up_fails(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("Can't reconnect until invalid transaction is rolled back")

    monkeypatch.setattr(workflow, "predictive_draws", interrupted_then_clean_up_fails)
    out = tmp_path / "cal"
    assert main(["calibrate", str(make_spec(good_rows)), *TINY, "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert f"--resume {tmp_path / 'cal.partial'}" in err and "Traceback" not in err
    assert (tmp_path / "cal.partial" / "abc.db").is_file() and not out.exists()


def test_second_writer_and_resume_of_a_folder_being_written_are_refused(
    make_spec, good_rows, tmp_path, capsys
) -> None:
    spec = str(make_spec(good_rows))
    out = tmp_path / "cal"
    work = tmp_path / "cal.partial"
    work.mkdir()
    with FolderLock(work / "abc.db"):  # another calibration is writing this folder
        assert main(["calibrate", spec, *TINY, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "another campaign-sim process" in err and "Traceback" not in err
        assert not out.exists() and sorted(p.name for p in work.iterdir()) == ["abc.db.lock"]
        (work / "abc.db").write_bytes(b"")  # it has begun its history
        assert main(["calibrate", spec, *TINY, "--resume", str(work), "--out", str(tmp_path / "r")]) == 2
        assert "another campaign-sim process" in capsys.readouterr().err
        assert not (tmp_path / "r").exists() and not (tmp_path / "r.partial").exists()
    # the writer is gone, its history left behind: a new calibration there is told to resume
    assert main(["calibrate", spec, *TINY, "--out", str(out)]) == 2
    assert f"--resume {work}" in capsys.readouterr().err
    assert not out.exists() and (work / "abc.db").exists()


def test_foreign_or_damaged_history_is_refused(make_spec, good_rows, tmp_path, capsys) -> None:
    spec = str(make_spec(good_rows))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "abc.db").write_bytes(b"garbage" * 500)
    assert main(["calibrate", spec, *TINY, "--resume", str(broken), "--out", str(tmp_path / "y")]) == 2
    assert "not a readable database" in capsys.readouterr().err
    assert not (tmp_path / "y").exists() and not (tmp_path / "y.partial").exists()
    assert sorted(p.name for p in broken.iterdir()) == ["abc.db"]  # nothing added or left


def test_calibration_too_big_for_memory_is_refused_up_front(
    make_spec, good_rows, tmp_path, monkeypatch, capsys
):
    import sim.resources

    monkeypatch.setattr(sim.resources, "available_bytes", lambda: 2.0**20)  # 1 MiB free
    out = tmp_path / "cal"
    assert main(["calibrate", str(make_spec(good_rows)), *TINY, "--jobs", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "population.size" in err and "GiB of memory" in err and "Traceback" not in err
    assert not out.exists() and not out.with_name("cal.partial").exists()
