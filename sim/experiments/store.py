"""The result store: every finished run, written at once and atomically, keyed by run key.

A SQLite file (``store.sqlite`` in the results folder): each batch of finished runs is
one transaction, so a crash (Ctrl-C, kill -9) either keeps a run completely or not at
all, and a rerun skips what is there. Failed runs are stored with their error text.
Only the process that drives the sweep writes; workers just return records.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error TEXT,
    seconds REAL,
    kpis TEXT NOT NULL,
    daily TEXT NOT NULL
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
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(self.path, timeout=60)
        # WAL + NORMAL: a committed transaction survives a killed process; only a power
        # cut could lose the last few, which a rerun then simply recomputes.
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=NORMAL")
        with self.con:
            self.con.execute(SCHEMA)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finished(self, include_failed: bool = True) -> set[str]:
        """Keys of stored runs (``include_failed=False``: successful ones only)."""
        sql = "SELECT key FROM runs" + ("" if include_failed else " WHERE status = 'ok'")
        return {k for (k,) in self.con.execute(sql)}

    def put(self, records: Iterable[RunRecord]) -> None:
        rows = [
            (r.key, r.status, r.error, r.seconds, json.dumps(r.kpis), json.dumps(r.daily)) for r in records
        ]
        with self.con:  # one transaction: all of these runs or none
            self.con.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)", rows)

    def count(self) -> int:
        return int(self.con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def frames(self, keys: Iterable[str], kpis: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(runs, daily) for ``keys`` that are stored: runs has key, status, error, seconds
        and one column per KPI (NaN for failed runs); daily has key, day and the kept columns."""
        wanted = set(keys)
        kpis = list(kpis)
        runs, daily = [], []
        for key, status, error, seconds, kpi_text, daily_text in self.con.execute("SELECT * FROM runs"):
            if key not in wanted:
                continue
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
