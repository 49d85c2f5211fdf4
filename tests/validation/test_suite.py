"""The fast subset of the validation suite, through the command line: outputs are written,
every row is well formed, and the fast patterns pass at a small population."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.validation.patterns import load_patterns
from sim.validation.suite import TABLE_COLUMNS
from tests.conftest import ROOT

PATTERNS = ROOT / "validation" / "patterns.toml"


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("validation") / "out"
    code = main(["check-model", str(PATTERNS), "--out", str(out), "--jobs", "1"])
    return out, code


def test_fast_subset_writes_a_tidy_table_and_a_page(fast_run: tuple[Path, int]) -> None:
    out, _ = fast_run
    table = pd.read_csv(out / "validation.csv")
    assert tuple(table.columns) == TABLE_COLUMNS
    fast = [p.name for p in load_patterns(PATTERNS).patterns if p.fast]
    assert table["pattern"].tolist() == fast
    assert pd.read_parquet(out / "validation.parquet").shape == table.shape
    finite = table.dropna(subset=["ci_low", "ci_high"])
    assert len(finite) == len(table)
    assert (finite["ci_low"] <= finite["estimate"] + 1e-9).all() and (
        finite["estimate"] <= finite["ci_high"] + 1e-9
    ).all()
    page = (out / "validation.html").read_text(encoding="utf-8")
    assert all(name in page for name in fast) and "e+" not in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["fast"] and manifest["git_revision"] and len(manifest["patterns"]) == len(fast)
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(runs["pattern"]) == set(fast)


def test_verdict_follows_the_band(fast_run: tuple[Path, int]) -> None:
    out, code = fast_run
    table = pd.read_csv(out / "validation.csv")
    for r in table.itertuples():
        inside = r.band_low <= r.estimate <= r.band_high
        if r.require == "interval":
            inside = r.band_low <= r.ci_low and r.ci_high <= r.band_high
        assert r.passed == inside, r.pattern
    assert code == (0 if table["passed"].all() else 1)
