"""campaign-sim optimize end to end at a tiny scale: the shipped spec runs, writes its outputs and a
recommended scenario that validates and runs; a killed search resumes; bad specs exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
import pytest

from sim.cli import main
from sim.loading import load_scenario
from sim.optimize.levers import distributions
from sim.optimize.search import open_study
from sim.optimize.spec import load_optimization
from sim.runner import run_model
from tests.experiments.conftest import TINY as SMALL

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "experiments" / "deposit_sprint_optimize.toml"
TINY = [
    *SMALL,
    "levers.duration.low=5",
    "levers.duration.high=10",
    "replications=2",
    "search.batch=2",
    "search.startup_trials=2",
    "confirm.top=1",
    "confirm.replications=3",
    "analysis.curve_points=2",
    "analysis.marginal_replications=2",
]


def sets(items: list[str]) -> list[str]:
    return [arg for s in items for arg in ("--set", s)]


def test_shipped_optimisation_runs_tiny(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["optimize", str(SPEC), "--trials", "3", "--out", str(out), *sets(TINY)])
    assert code in (0, 1)  # 1: the tiny recommendation may break a constraint
    text = capsys.readouterr().out
    assert "Recommended plan" in text and "beats the base plan in" in text and "e+0" not in text
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 3 and trials["source"].iloc[0] == "base plan"
    assert {"budget", "bonus", "channel_mix.branch", "objective", "c0_value", "feasible"} <= set(
        trials.columns
    )
    shares = trials.filter(like="channel_mix.").sum(axis=1)
    assert shares.to_numpy() == pytest.approx(1.0)
    assert (trials["channel_mix.branch"] >= 0.15 - 1e-9).all()
    confirmed = pd.read_csv(out / "confirmed.csv")
    assert confirmed["candidate"].iloc[0] == "base plan" and (confirmed["runs"] == 3).all()
    curves = pd.read_csv(out / "curves.csv")
    assert (
        set(curves["lever"]) == {"budget", "bonus", "duration", "referral_reward"}
        and curves["at_center"].any()
    )
    marginal = pd.read_csv(out / "marginal_roi.csv")
    assert len(marginal) == 7 and marginal["marginal_roi"].notna().all()
    sc = load_scenario(out / "recommended.toml")
    assert run_model(sc, 1).summary["conversions"] >= 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["recommendation"]["p_better_than_base"]["p_better"] >= 0
    assert "Recommended plan" in (out / "report.html").read_text()


def test_a_killed_search_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    opt = load_optimization(SPEC, [*TINY, "search.trials=3"])
    study = open_study(opt, out, resume=False)
    first = study.ask(distributions(opt))  # the base plan, asked but never told: killed mid-batch
    assert study.trials[0].state == optuna.trial.TrialState.RUNNING
    code = main(["optimize", str(SPEC), "--trials", "3", "--resume", str(out), *sets(TINY)])
    assert code in (0, 1)
    trials = pd.read_parquet(out / "trials.parquet")
    assert trials["trial"].tolist() == [0, 1, 2] and first.number == 0
    assert trials["state"].eq("complete").all()
    # the same folder with another spec is refused
    assert main(["optimize", str(SPEC), "--resume", str(out), *sets([*TINY, "seed=99"])]) == 2


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (
            [
                "--set",
                "objective.kpi=net_valu",
                "--set",
                "levers.budget.path=budget.totl",
                "--set",
                "levers.bonus.step=8",
            ],
            ["objective.kpi: unknown KPI 'net_valu'; did you mean 'net_value'", "must divide"],
        ),
        (
            ["--set", "levers.budget.path=budget.totl", "--set", "levers.duration.step=2.5"],
            ["levers.budget: budget.totl: unknown scenario field", "integer field needs a whole step"],
        ),
        (["--set", "levers.channel_mix.lower.branch=0.99"], ["lower shares sum to"]),
        (["--trials", "0", "--jobs", "0"], ["--jobs must be at least 1", "--trials must be at least 1"]),
        (["--set", 'constraints=[{kpi = "roi", below = 0}]'], ["a chance constraint", "statistic"]),
    ],
)
def test_bad_specs_exit_2_with_every_problem(
    tmp_path: Path, capsys, args: list[str], messages: list[str]
) -> None:
    assert main(["optimize", str(SPEC), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    for m in messages:
        assert m in err
