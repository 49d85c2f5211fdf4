"""The result store: every finished run, written at once and atomically, keyed by run key.

A SQLite file (``store.sqlite`` in the results folder): each batch of finished runs is
one transaction, so a crash (Ctrl-C, kill -9) either keeps a run completely or not at
all, and a rerun skips what is there. Failed runs are stored with their error text.
Only the process that drives the sweep writes; workers just return records.

The store belongs to one experiment (the fingerprint of its resolved spec, see
:mod:`sim.stores`), one process writes it at a time (a lock), and every record carries a
checksum: :meth:`RunStore.corrupted` lists records altered on disk, which the sweep
reports (exit 2) or, with ``--repair``, deletes so they are recomputed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.loading import SpecError
from sim.stores import FolderLock, checksum, claim, connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error TEXT,
    seconds REAL,
    kpis TEXT NOT NULL,
    daily TEXT NOT NULL,
    checksum TEXT
)
"""


@dataclass
class RunRecord:
    key: str
    status: str  # "ok" or "error"
    error: str = ""
    seconds: float = 0.0
    kpis: dict[str, float] = field(default_factory=dict)
    daily: dict[str, list[Any]] = field(default_factory=dict)  # column -> values by day


class RunStore:
    """``fingerprint``: of the resolved spec the runs belong to (refused if the store was
    written for another ``what``); ``lock``: hold the folder's write lock (sweeps and
    optimisations do)."""

    def __init__(
        self, path: str | Path, fingerprint: str | None = None, lock: bool = False, what: str = "experiment"
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = FolderLock(self.path).__enter__() if lock else None
        try:
            self.con = connect(self.path, SCHEMA)
            columns = {row[1] for row in self.con.execute("PRAGMA table_info(runs)")}
            if "checksum" not in columns:  # a store from before checksums: its rows stay unverified
                with self.con:
                    self.con.execute("ALTER TABLE runs ADD COLUMN checksum TEXT")
            if fingerprint is not None:
                claim(self.con, self.path, fingerprint, what)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if getattr(self, "con", None) is not None:
            self.con.close()
            self.con = None
        if self.lock is not None:
            self.lock.__exit__()
            self.lock = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def corrupted(self) -> list[str]:
        """Keys of records whose checksum does not match their stored text."""
        bad = []
        for key, status, error, kpis, daily, check in self.con.execute(
            "SELECT key, status, error, kpis, daily, checksum FROM runs"
        ):
            if check is not None and check != _checksum(key, status, error, kpis, daily):
                bad.append(key)
        return bad

    def forget(self, keys: Iterable[str]) -> None:
        """Delete records (corrupted ones, to be recomputed)."""
        with self.con:
            self.con.executemany("DELETE FROM runs WHERE key = ?", [(k,) for k in keys])

    def finished(self, include_failed: bool = True) -> set[str]:
        """Keys of stored runs (``include_failed=False``: successful ones only)."""
        sql = "SELECT key FROM runs" + ("" if include_failed else " WHERE status = 'ok'")
        return {k for (k,) in self.con.execute(sql)}

    def put(self, records: Iterable[RunRecord]) -> None:
        rows = []
        for r in records:
            kpis, daily = json.dumps(r.kpis), json.dumps(r.daily)
            rows.append(
                (
                    r.key,
                    r.status,
                    r.error,
                    r.seconds,
                    kpis,
                    daily,
                    _checksum(r.key, r.status, r.error, kpis, daily),
                )
            )
        with self.con:  # one transaction: all of these runs or none
            self.con.executemany(
                "INSERT OR REPLACE INTO runs (key, status, error, seconds, kpis, daily, checksum) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def count(self) -> int:
        return int(self.con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def frames(self, keys: Iterable[str], kpis: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(runs, daily) for ``keys`` that are stored: runs has key, status, error, seconds
        and one column per KPI (NaN for failed runs); daily has key, day and the kept columns."""
        wanted = set(keys)
        kpis = list(kpis)
        runs, daily = [], []
        rows = self.con.execute("SELECT key, status, error, seconds, kpis, daily, checksum FROM runs")
        for key, status, error, seconds, kpi_text, daily_text, check in rows:
            if key not in wanted:
                continue
            if check is not None and check != _checksum(key, status, error, kpi_text, daily_text):
                raise SpecError(
                    str(self.path), [f"run {key} fails its checksum (altered on disk); rerun with --repair"]
                )
            values = json.loads(kpi_text)
            runs.append(
                {
                    "key": key,
                    "status": status,
                    "error": error or "",
                    "seconds": seconds,
                    **{k: values.get(k, float("nan")) for k in kpis},
                }
            )
            cols = json.loads(daily_text)
            if cols:
                daily.append(pd.DataFrame(cols).assign(key=key))
        run_cols = ["key", "status", "error", "seconds", *kpis]
        runs_df = pd.DataFrame(runs, columns=run_cols).astype({k: "float64" for k in kpis})
        daily_df = pd.concat(daily, ignore_index=True) if daily else pd.DataFrame({"key": [], "day": []})
        return runs_df, daily_df


def _checksum(key: str, status: str, error: str | None, kpis: str, daily: str) -> str:
    return checksum(key, status, error or "", kpis, daily)
