"""Replications: spawned seeds, identical results whatever the number of jobs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.loading import load_scenario
from sim.runner import run_model, run_replications, spawn_seeds

ROOT = Path(__file__).resolve().parents[1]


def _small():
    return load_scenario(
        ROOT / "scenarios" / "deposit_sprint.toml",
        ["population.size=1500", "calendar.observation_days=3"],
    )


def test_one_and_two_jobs_give_identical_frames() -> None:
    sc = _small()
    one = run_replications(sc, 4, seed=11, jobs=1)
    two = run_replications(sc, 4, seed=11, jobs=2)
    pd.testing.assert_frame_equal(one.summary, two.summary)
    pd.testing.assert_frame_equal(one.daily, two.daily)
    pd.testing.assert_frame_equal(one.channels, two.channels)
    assert one.seeds == two.seeds


def test_replication_r_is_spawned_child_r() -> None:
    sc = _small()
    reps = run_replications(sc, 3, seed=2, jobs=1)
    child = spawn_seeds(2, 3)[2]
    alone = run_model(sc, child)
    got = reps.summary.set_index("replication").loc[2]
    for k, v in alone.summary.items():
        assert np.isclose(got[k], v, equal_nan=True), k


def test_replications_differ_from_each_other() -> None:
    reps = run_replications(_small(), 3, seed=3, jobs=1)
    assert reps.summary["conversions"].nunique() > 1


def test_on_done_counts_every_run() -> None:
    seen: list[int] = []
    run_replications(_small(), 5, seed=1, jobs=1, on_done=seen.append)
    assert sum(seen) == 5
