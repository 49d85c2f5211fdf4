"""The notebook API returns tidy DataFrames, with secondary results in attrs."""

from __future__ import annotations

from pathlib import Path

from sim import api
from sim.loading import load_scenario
from tests.experiments.conftest import GRID, SCENARIO, TINY


def test_api_compare_with_variants() -> None:
    sc = load_scenario(SCENARIO, TINY)
    table = api.compare([sc], replications=3, seed=2, variants={"lean": ["budget.total=6e6"]})
    assert list(dict.fromkeys(table["option"])) == ["deposit_sprint", "lean"]
    assert {"median", "p05", "p95", "p_best", "p_best_lower", "diff_median", "p_better"} <= set(table.columns)
    assert table.attrs["verdict"].endswith(".") and set(table.attrs["risk"]["option"]) == {
        "deposit_sprint",
        "lean",
    }
    lean = table[(table["option"] == "lean") & (table["kpi"] == "total_cost")]
    assert (lean["diff_median"] < 0).all()


def test_api_sweep_returns_one_row_per_run(write_experiment, tmp_path: Path) -> None:
    path = write_experiment(GRID, replications=2)
    runs = api.sweep(path, out=tmp_path / "out")
    assert len(runs) == 2 * 3 * 2 and {"budget", "bonus", "net_value", "status"} <= set(runs.columns)
    assert any("rests on 2 run(s)" in w for w in runs.attrs["warnings"])


def test_api_sobol_returns_indices(tmp_path: Path) -> None:
    path = Path(SCENARIO).parents[1] / "experiments" / "budget_discount_sobol.toml"
    sets = [*TINY, "replications=1", "design.n=2", 'kpis=["roi"]']
    sets += ["factors.duration.low=5", "factors.duration.high=12"]
    sens = api.sobol(path, sets, tmp_path / "out")
    assert {"kpi", "factor", "S1", "S1_conf", "ST", "ST_conf"} <= set(sens.columns)
    assert isinstance(sens.attrs["warnings"], list) and len(sens.attrs["variance"]) == 1
