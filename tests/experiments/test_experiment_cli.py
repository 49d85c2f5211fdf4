"""The sweep, sobol and compare commands end to end at a tiny scale: every shipped
experiment runs through --set overrides, outputs are tidy, bad input exits with 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.kpis import SUMMARY_KPIS

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "experiments"
TINY = [
    "population.size=300",
    "population.agents=false",
    "calendar.phases=[]",
    "calendar.days=10",
    "calendar.observation_days=5",
    "replications=1",
]
SHRINK = {
    "budget_discount_sobol": ["design.n=2", 'kpis=["net_value", "roi"]'],  # 2 x (8 + 2) = 20 runs
    "budget_bonus_grid": ["factors.budget.levels=[6e6, 1e7]", "factors.bonus_rate.steps=2"],
    "channel_mix_lhs": ["design.n=4"],
}


def sets(items: list[str]) -> list[str]:
    return [arg for s in items for arg in ("--set", s)]


@pytest.mark.parametrize("name", sorted(SHRINK))
def test_every_shipped_experiment_runs_tiny(name: str, tmp_path: Path) -> None:
    path = EXPERIMENTS / f"{name}.toml"
    # the shipped duration factor would lengthen a 10-day test calendar to 20..45 days: keep it short
    extra = ["factors.duration.low=5", "factors.duration.high=12"] if name == "budget_discount_sobol" else []
    command = "sobol" if name == "budget_discount_sobol" else "sweep"
    code = main([command, str(path), "--out", str(tmp_path), *sets([*TINY, *SHRINK[name], *extra])])
    assert code == 0
    design = pd.read_parquet(tmp_path / "design.parquet")
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert {"run_id", "point", "replication", "seed_entropy", "seed_spawn_key"} <= set(design.columns)
    assert runs["run_id"].tolist() == design["run_id"].tolist()
    assert set(SUMMARY_KPIS) <= set(runs.columns) and (runs["status"] == "ok").all()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["experiment"]["name"] == name and manifest["git_revision"] and manifest["packages"]
    assert (tmp_path / "report.html").stat().st_size > 1000
    if command == "sobol":
        sens = pd.read_csv(tmp_path / "sensitivity.csv")
        assert {"kpi", "factor", "S1", "S1_conf", "ST", "ST_conf"} <= set(sens.columns)
        assert set(sens["factor"]) <= set(manifest["experiment"]["factors"])
        assert (tmp_path / "plots" / "sensitivity.png").exists()


def test_compare_command(tmp_path: Path, capsys) -> None:
    scenario = ROOT / "scenarios" / "deposit_sprint.toml"
    code = main(
        [
            "compare",
            str(scenario),
            str(scenario),
            "-n",
            "2",
            "--out",
            str(tmp_path),
            *sets([*TINY[:-1], "budget.total=8e6"]),
        ]
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert {"option", "kpi", "diff_median", "diff_p05", "diff_p95", "p_better"} <= set(table.columns)
    assert (table["diff_median"].fillna(0) == 0).all()
    assert (tmp_path / "report.html").exists()
    assert "e+" not in capsys.readouterr().out


def test_compare_variants_three_options(tmp_path: Path, capsys) -> None:
    scenario = ROOT / "scenarios" / "deposit_sprint.toml"
    args = ["compare", str(scenario), "--variant", "lean", "budget.total=6e6"]
    args += [
        "--variant",
        "rich",
        "offer.bonus_bp=70",
        "budget.total=1.2e7",
        "-n",
        "3",
        "--out",
        str(tmp_path),
    ]
    assert main([*args, *sets(TINY[:-1])]) == 0
    out = capsys.readouterr().out
    assert "verdict:" in out and "P(best)" in out and "e+0" not in out
    options = pd.read_csv(tmp_path / "options.csv")
    assert list(dict.fromkeys(options["option"])) == ["deposit_sprint", "lean", "rich"]
    risk = pd.read_csv(tmp_path / "risk.csv")
    assert {"option", "measure", "p", "lower", "upper", "n"} <= set(risk.columns)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["options"][2]["scenario"]["offer"]["bonus_bp"] == 70 and manifest["verdict"]
    html = re.sub(r'src="data:[^"]*"', "", (tmp_path / "report.html").read_text())
    assert "P(best)" in html and not re.search(r"\de[+-]\d", html)


def test_compare_targets_from_the_command_line(tmp_path: Path, capsys) -> None:
    scenario = ROOT / "scenarios" / "deposit_sprint.toml"
    args = ["compare", str(scenario), "--variant", "rich", "offer.bonus_bp=70", "-n", "3"]
    args += ["--target", "conversions>=1", "--target", "complaints_per_10k<=1_000", "--out", str(tmp_path)]
    assert main([*args, *sets(TINY[:-1])]) == 0
    targets = pd.read_csv(tmp_path / "targets.csv")
    got = targets.set_index(["option", "kpi"])["p_hit"]
    # both targets cannot miss at this size, for both options
    assert got.loc[("deposit_sprint", "conversions")] == 1.0
    assert got.loc[("rich", "complaints_per_10k")] == 1.0
    assert json.loads((tmp_path / "manifest.json").read_text())["targets"][0] == "conversions>=1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "at least two options"),
        (["--variant", "budget.total=5"], "give a NAME"),
        (["--variant", "x", "budget.totl=5"], "--variant x: budget"),
        (["--variant", "x", "--target", "conversion>=5"], "did you mean 'conversions'"),
        (["--variant", "x", "--target", "roi>5"], "expected KPI>=NUMBER"),
        (["--variant", "x", "--target", "roi>=nan"], "not a finite number"),
        (["--variant", "x", "--target", "roi>=2", "--target", "roi<=1"], "at_most (1.0) is below"),
    ],
)
def test_compare_misuse_exits_2(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    scenario = ROOT / "scenarios" / "deposit_sprint.toml"
    assert main(["compare", str(scenario), *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_sobol_command_needs_a_sobol_design(tmp_path: Path, capsys) -> None:
    path = EXPERIMENTS / "channel_mix_lhs.toml"
    out = tmp_path / "out"
    assert main(["sobol", str(path), "--out", str(out), *sets([*TINY, "design.n=2"])]) == 2
    assert "sobol needs design.kind = 'sobol'" in capsys.readouterr().err
    assert not out.exists()  # refused at load: nothing was run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "design.n=12"], "power of two"),
        (["--set", "factors.budget.path=budget.totl"], "budget.totl: unknown scenario field"),
        (["--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    path = EXPERIMENTS / "budget_discount_sobol.toml"
    assert main(["sobol", str(path), "--out", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err


def test_out_folder_with_foreign_files_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    path = EXPERIMENTS / "channel_mix_lhs.toml"
    assert main(["sweep", str(path), "--out", str(tmp_path), *sets([*TINY, "design.n=2"])]) == 2
    assert "no store.sqlite" in capsys.readouterr().err


def test_compare_options_tell_same_named_scenarios_apart_by_file(tmp_path: Path) -> None:
    from sim.experiments.cli import compare_options

    scenario = ROOT / "scenarios" / "deposit_sprint.toml"
    alt = tmp_path / "alt.toml"
    alt.write_text(f'base = "{scenario.as_posix()}"\n')
    options = compare_options([str(scenario), str(alt)], [["lean", "budget.total=6e6"]], [])
    assert list(options) == ["deposit_sprint", "alt", "lean"]
