"""The command line: exit codes, messages, files written, nothing overwritten."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.kpis import DAILY_COLUMNS, SUMMARY_KPIS

ROOT = Path(__file__).resolve().parents[1]
SPRINT = str(ROOT / "scenarios" / "deposit_sprint.toml")
SMALL = ["--set", "population.size=2000", "--set", "calendar.observation_days=5"]


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", SPRINT]) == 0
    assert "ok" in capsys.readouterr().out


def test_validate_bad_file_exit_2_and_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(f'base = "{SPRINT}"\n[offer]\nbonus_bps = 4\nterm_days = -1\n', encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: offer.bonus_bps: unknown key; did you mean 'bonus_bp'?" in err
    assert "offer.term_days: Input should be greater than or equal to 1; given -1" in err
    assert "Traceback" not in err


def test_run_bad_override_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["run", SPRINT, "--out", str(out), "--set", "population.size=-3"])
    assert code == 2
    assert "population.size" in capsys.readouterr().err
    assert not out.exists()


def test_run_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", SPRINT, "-n", "3", "--seed", "5", "--out", str(out), *SMALL]) == 0
    names = {p.name for p in out.iterdir()}
    for f in (
        "daily.parquet",
        "channels.parquet",
        "summary.csv",
        "summary.parquet",
        "kpis.csv",
        "manifest.json",
        "scenario.toml",
        "report.html",
        "funnel.png",
        "kpi_histograms.png",
        "spend_vs_conversions.png",
        "invitations.png",
        "daily_plan.png",
        "limits.csv",
        "limits.parquet",
    ):
        assert f in names, f
        assert (out / f).stat().st_mode & 0o044 == 0o044, f"{f} is not readable by the group"
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary["replication"]) == [0, 1, 2]
    assert set(SUMMARY_KPIS) <= set(summary.columns)
    assert (summary["currency"] == "CNY").all()
    daily = pd.read_parquet(out / "daily.parquet")
    assert set(DAILY_COLUMNS) <= set(daily.columns)
    assert len(daily) == 3 * (30 + 5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and len(manifest["seeds"]) == 3
    assert manifest["seeds"][1]["spawn_key"] == [1]
    assert manifest["scenario"]["population"]["size"] == 2000
    assert {"git_revision", "packages", "python"} <= set(manifest)
    assert manifest["packages"]["mesa"].startswith("3.")
    html = (out / "report.html").read_text()
    assert "Verdict: " in html and "P(incremental ROI &lt; 0)" in html and "data:image/png;base64" in html
    assert 'id="glossary"' in html
    assert "report:" in capsys.readouterr().out


def test_resolved_scenario_reruns_identically(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", SPRINT, "-n", "2", "--out", str(a), *SMALL]) == 0
    assert main(["run", str(a / "scenario.toml"), "-n", "2", "--out", str(b)]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(a / "summary.parquet"), pd.read_parquet(b / "summary.parquet")
    )


def test_existing_results_are_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    assert main(["run", SPRINT, "-n", "1", "--out", str(out), *SMALL]) == 2
    assert "already holds files" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "precious"
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_default_folders_are_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", SPRINT, "-n", "1", *SMALL]) == 0
    assert main(["run", SPRINT, "-n", "1", *SMALL]) == 0
    runs = sorted((tmp_path / "results").iterdir())
    assert len(runs) == 2 and runs[0] != runs[1]


def test_a_reader_that_leaves_gets_no_traceback() -> None:
    """`campaign-sim ... | head -1`: the pipe closes before the command writes; the
    command ends quietly (exit 1), without a BrokenPipeError traceback."""
    exe = Path(sys.executable).with_name("campaign-sim")
    spec = Path(__file__).resolve().parents[1] / "calibration" / "bank_telemarketing_inflow.toml"
    proc = subprocess.Popen(
        [str(exe), "calibrate", str(spec), "--check"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command has started, so its first write finds no reader
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err
