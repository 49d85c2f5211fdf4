"""Calibration under faults: kill -9 during ABC leaves a resumable history and no live
workers; a resume with other data or a damaged history is refused with one line."""

from __future__ import annotations

import importlib.util
import signal
from pathlib import Path

from sim.cli import main

_spec = importlib.util.spec_from_file_location("faults", Path(__file__).parents[1] / "faults.py")
faults = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(faults)

TINY = ["--set", "inference.population_size=10", "--set", "inference.generations=2"]


def test_killed_calibration_resumes_and_foreign_or_damaged_history_is_refused(
    make_spec, good_rows, tmp_path, capsys
) -> None:
    spec = make_spec(good_rows)
    out = tmp_path / "cal"
    proc = faults.start(["calibrate", str(spec), *TINY, "--jobs", "2", "--out", str(out)], tmp_path)
    partial = tmp_path / "cal.partial"
    hit, kids = faults.inject(
        proc,
        lambda: faults.rows(partial / "abc.db", "populations") >= 2,
        signal.SIGKILL,
        faults.rng_for("calibrate"),
        0.3,
    )
    faults.record("calibrate SIGKILL", hit)
    left = faults.reap(kids)  # before reading stderr: a surviving worker would hold it open
    assert "Traceback" not in proc.stderr.read()
    if hit:
        assert left == set(), "workers outlived the driver"
    source = partial if hit else out
    # a resume with other data is refused before any simulation
    other = make_spec([*good_rows[:-1], "2024-01-22,999"])
    assert main(["calibrate", str(other), *TINY, "--resume", str(source), "--out", str(tmp_path / "x")]) == 2
    assert "different calibration spec or data" in capsys.readouterr().err
    make_spec(good_rows)  # the original data again
    # a damaged history is refused
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "abc.db").write_bytes(b"garbage" * 500)
    assert main(["calibrate", str(spec), *TINY, "--resume", str(broken), "--out", str(tmp_path / "y")]) == 2
    assert "not a readable database" in capsys.readouterr().err
    # the kept history resumes to a finished calibration
    assert main(["calibrate", str(spec), *TINY, "--resume", str(source), "--out", str(tmp_path / "z")]) == 0
    assert (tmp_path / "z" / "report.html").is_file() and not (tmp_path / "z" / "INCOMPLETE").exists()


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
