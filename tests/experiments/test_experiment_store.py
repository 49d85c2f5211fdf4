"""The run store: finished keys, failed runs kept with their error, one transaction per put."""

from __future__ import annotations

import math
import sqlite3

import pytest

from sim.experiments.store import RunRecord, RunStore


def test_put_and_read_back(tmp_path) -> None:
    with RunStore(tmp_path / "s.sqlite") as store:
        store.put(
            [
                RunRecord(
                    "k1",
                    "ok",
                    seconds=0.5,
                    kpis={"roi": 1.5},
                    daily={"day": [0, 1], "new_conversions": [3, 4]},
                ),
                RunRecord("k2", "error", error="ValueError: boom"),
            ]
        )
        assert store.finished() == {"k1", "k2"}
        assert store.finished(include_failed=False) == {"k1"}
        runs, daily = store.frames(["k1", "k2", "k3"], ["roi"])
    runs = runs.set_index("key")
    assert runs.loc["k1", "roi"] == 1.5 and runs.loc["k2", "error"] == "ValueError: boom"
    assert math.isnan(runs.loc["k2", "roi"])
    assert daily["new_conversions"].tolist() == [3, 4] and set(daily["key"]) == {"k1"}


def test_store_survives_reopening_and_replaces_a_retried_run(tmp_path) -> None:
    with RunStore(tmp_path / "s.sqlite") as store:
        store.put([RunRecord("k", "error", error="flaky")])
    with RunStore(tmp_path / "s.sqlite") as store:
        store.put([RunRecord("k", "ok", kpis={"roi": 2.0})])
        runs, _ = store.frames(["k"], ["roi"])
        assert store.count() == 1
    assert runs["status"].tolist() == ["ok"]


def test_a_batch_is_written_all_or_nothing(tmp_path) -> None:
    with RunStore(tmp_path / "s.sqlite") as store:
        bad = RunRecord("k2", "maybe")  # violates the status check inside the transaction
        with pytest.raises(sqlite3.IntegrityError):
            store.put([RunRecord("k1", "ok"), bad])
        assert store.count() == 0
