"""Result folders: fresh names, atomic writes, provenance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.results import atomic_write, new_run_dir, provenance, write_table


def test_new_run_dir_never_reuses_a_folder(tmp_path: Path) -> None:
    made = {new_run_dir(tmp_path, "x") for _ in range(5)}
    assert len(made) == 5 and all(p.is_dir() for p in made)


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")

    def boom(p: Path) -> None:
        p.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary left behind


def test_write_table_round_trip(tmp_path: Path) -> None:
    df = pd.DataFrame({"replication": [0, 1], "roi": [0.5, -0.1]})
    write_table(tmp_path, "summary", df)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "summary.parquet"), df)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "summary.csv"), df)


def test_provenance_names_versions_and_revision() -> None:
    p = provenance()
    assert p["packages"]["numpy"] and p["packages"]["mesa"].startswith("3.")
    assert p["git_revision"]


def test_atomic_write_gives_the_group_read_access(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "x.txt", lambda p: p.write_text("x"))
    finally:
        os.umask(old)
    assert (tmp_path / "x.txt").stat().st_mode & 0o777 == 0o644
