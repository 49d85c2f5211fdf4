"""Nothing lost: kill -9 a sweep mid-way, rerun the same command, and the tables equal
those of an unbroken sweep."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]


def stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return int(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.OperationalError:  # table not created yet
        return 0


def tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.read_parquet(folder / "runs.parquet").drop(columns="seconds")
    return runs, pd.read_parquet(folder / "daily.parquet")


@pytest.mark.timeout(240)
def test_rerun_after_kill_equals_an_unbroken_sweep(write_experiment, grid: str, tmp_path: Path) -> None:
    exp = write_experiment(grid, replications=8)  # 6 points x 8 = 48 runs, in 4 batches
    total = 48
    broken, unbroken = tmp_path / "broken", tmp_path / "unbroken"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(exp), "--out", str(broken)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = broken / "store.sqlite"
    try:
        deadline = time.monotonic() + 120
        while stored(db) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    partial = stored(db)
    assert 0 < partial < total, f"the sweep was not interrupted mid-way ({partial} of {total} stored)"
    assert not (broken / "runs.parquet").exists()

    assert main(["sweep", str(exp), "--out", str(broken)]) == 0
    assert stored(db) == total
    assert main(["sweep", str(exp), "--out", str(unbroken)]) == 0
    runs_b, daily_b = tables(broken)
    runs_u, daily_u = tables(unbroken)
    pd.testing.assert_frame_equal(runs_b, runs_u)
    pd.testing.assert_frame_equal(daily_b, daily_u)
    pd.testing.assert_frame_equal(
        pd.read_parquet(broken / "design.parquet"), pd.read_parquet(unbroken / "design.parquet")
    )
