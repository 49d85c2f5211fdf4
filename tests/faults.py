"""Helpers for fault-injection tests: start the real command line in a subprocess, wait
until it has stored some work, then interrupt (SIGINT, like Ctrl-C to the whole process
group) or kill (SIGKILL of the driving process only, like an OOM kill) it at a random
moment, and watch what is left behind."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal job
        # Ctrl-C handled as in a terminal even when the tests run as a background job (a shell
        # starts those with SIGINT ignored, and Python then never raises KeyboardInterrupt)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def rows(db: Path, table: str) -> int:
    if not db.is_file():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def wait_for(cond: Callable[[], bool], timeout: float = 120.0, proc: subprocess.Popen | None = None) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def children(pid: int) -> set[int]:
    """All descendants of ``pid`` (from /proc)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for k in map(int, kids):
                if k not in out:
                    out.add(k)
                    todo.append(k)
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def inject(
    proc: subprocess.Popen, ready: Callable[[], bool], sig: int, rng: random.Random, spread: float = 0.4
) -> tuple[bool, set[int]]:
    """Once ``ready()``, wait a random moment and send ``sig`` (SIGINT to the process group,
    SIGKILL to the driver alone). Returns (signal was delivered before the command ended,
    the driver's descendants just before)."""
    if not wait_for(ready, proc=proc):
        proc.wait(timeout=120)
        return False, set()
    time.sleep(rng.uniform(0, spread))
    kids = children(proc.pid)
    if proc.poll() is not None:
        return False, kids
    if sig == signal.SIGINT:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, sig)
    proc.wait(timeout=120)
    return True, kids


def rng_for(label: str) -> random.Random:
    """The moment's randomness: ``FAULT_SEED`` varies it between rounds of the tests."""
    return random.Random(f"{os.environ.get('FAULT_SEED', '')}:{label}")


def record(label: str, hit: bool) -> None:
    """Append to ``FAULT_LOG`` (when set) whether a fault was injected, for the closing
    figures (the test's own assertions decide whether it was survived)."""
    if path := os.environ.get("FAULT_LOG"):
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{label}\t{'injected' if hit else 'missed'}\n")


def reap(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Descendants still alive after ``timeout`` seconds (then killed, so no test leaks)."""
    wait_for(lambda: not any(alive(p) for p in pids), timeout)
    left = {p for p in pids if alive(p)}
    for p in left:
        with contextlib.suppress(OSError):
            print("survivor", p, Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ")[:160])
    for p in left:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)
    return left


@dataclass
class Interrupted:
    hit: bool  # the signal arrived before the command ended
    returncode: int
    err: str  # what the command wrote to stderr


def interrupt(
    argv: list[str], cwd: Path, ready: Callable[[], bool], sig: int, label: str, spread: float = 0.4
) -> Interrupted:
    """Run the command line with ``argv``, send ``sig`` at a random moment once ``ready()``
    (:func:`inject`), record it, and check what any fault must leave: no traceback, and
    no worker alive once the driver is gone."""
    proc = start(argv, cwd)
    hit, kids = inject(proc, ready, sig, rng_for(label), spread)
    record(label, hit)
    left = reap(kids)  # before reading stderr: a surviving worker would hold it open
    err = proc.stderr.read()
    assert "Traceback" not in err, err
    if hit:
        assert left == set(), "workers outlived the driver"
    return Interrupted(hit, proc.returncode, err)


def leftovers(folder: Path) -> list[str]:
    """What a finished folder must not hold: the INCOMPLETE marker, temporary, hidden or
    lock files."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith(".") or p.suffix in (".tmp", ".lock") or p.name == "INCOMPLETE"
    )


def same_tables(a: Path, b: Path, names: tuple[str, ...], drop: tuple[str, ...] = ()) -> None:
    """The parquet tables ``names`` of two result folders are equal (``drop``: columns that
    may differ, such as timings)."""
    import pandas as pd

    for name in names:
        x = pd.read_parquet(a / f"{name}.parquet").drop(columns=list(drop), errors="ignore")
        y = pd.read_parquet(b / f"{name}.parquet").drop(columns=list(drop), errors="ignore")
        pd.testing.assert_frame_equal(x, y)
