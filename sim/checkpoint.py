"""Finished replications of ``campaign-sim run``, kept as they finish so an interrupted run
loses nothing already computed and ``--resume DIR`` completes it.

``replications.sqlite`` in the run's folder holds one row per finished replication (its
summary as JSON, its daily and channel tables as parquet bytes, a checksum) in one
transaction each. Replication ``r`` is child ``r`` of ``SeedSequence(seed)`` whatever
the number of replications or jobs, so a resumed run equals an unbroken one. The store is
bound to the fingerprint of the resolved scenario and seed, and locked while written.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.loading import SpecError
from sim.runner import RunResult
from sim.stores import FolderLock, checksum, claim, connect, fingerprint

FILE = "replications.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS reps (
    replication INTEGER PRIMARY KEY,
    summary TEXT NOT NULL,
    daily BLOB NOT NULL,
    channels BLOB NOT NULL,
    limits BLOB NOT NULL,
    checksum TEXT NOT NULL
)
"""


def resume_folder(path: str | Path) -> Path:
    """The folder of an interrupted run, reopened (refused if it holds none)."""
    from sim.results import is_complete, open_folder

    folder = Path(path)
    if not (folder / FILE).is_file():
        why = "is complete" if (folder / "manifest.json").is_file() and is_complete(folder) else "holds no"
        if why == "is complete":
            raise SpecError("--resume", [f"{folder} is a finished run: nothing to resume"])
        raise SpecError("--resume", [f"{folder} holds no interrupted run ({FILE} is missing)"])
    return open_folder(folder)


def drop_store(folder: Path) -> None:
    """Remove the store of a finished run (its tables hold everything now)."""
    for suffix in ("", "-wal", "-shm"):
        (folder / (FILE + suffix)).unlink(missing_ok=True)


def discard_run(folder: Path) -> None:
    """Remove the folder of a run interrupted before any replication finished (it holds
    only the marker and an empty store)."""
    from sim.results import release

    drop_store(folder)
    release(folder)


def run_fingerprint(scenario: dict[str, Any], seed: int) -> str:
    return fingerprint({"scenario": scenario, "seed": seed})


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _frame(data: bytes) -> pd.DataFrame:
    df = pd.read_parquet(io.BytesIO(data))
    # an empty table comes back with typed columns; keep the object columns it was built with
    return df.astype(object) if df.empty else df


class ReplicationStore:
    def __init__(self, folder: Path, print_: str) -> None:
        self.path = folder / FILE
        self.lock = FolderLock(self.path).__enter__()
        try:
            self.con = connect(self.path, SCHEMA)
            claim(self.con, self.path, print_, "scenario or seed")
        except BaseException:
            self.lock.__exit__()
            raise

    def close(self) -> None:
        self.con.close()
        self.lock.__exit__()

    def __enter__(self) -> ReplicationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, r: int, res: RunResult) -> None:
        summary = json.dumps(res.summary)
        daily, channels, limits = _parquet(res.daily), _parquet(res.channels), _parquet(res.limits)
        with self.con:
            self.con.execute(
                "INSERT OR REPLACE INTO reps VALUES (?, ?, ?, ?, ?, ?)",
                (r, summary, daily, channels, limits, checksum(str(r), summary, daily, channels, limits)),
            )

    def count(self) -> int:
        return int(self.con.execute("SELECT COUNT(*) FROM reps").fetchone()[0])

    def load(self, wanted: Iterable[int], repair: bool = False) -> dict[int, RunResult]:
        """Stored replications among ``wanted``; a record failing its checksum is refused
        (SpecError) or, with ``repair``, dropped so it is computed again."""
        want = set(wanted)
        out: dict[int, RunResult] = {}
        bad = []
        rows = self.con.execute("SELECT * FROM reps ORDER BY replication")
        for r, summary, daily, channels, limits, check in rows:
            if r not in want:
                continue
            if check != checksum(str(r), summary, daily, channels, limits):
                bad.append(r)
                continue
            out[r] = RunResult(_frame(daily), _frame(channels), json.loads(summary), _frame(limits))
        if bad and not repair:
            raise SpecError(
                str(self.path),
                [
                    f"replication(s) {', '.join(map(str, bad))} fail their checksum (altered on disk); "
                    "resume with --repair to recompute them"
                ],
            )
        if bad:
            with self.con:
                self.con.executemany("DELETE FROM reps WHERE replication = ?", [(r,) for r in bad])
        return out
