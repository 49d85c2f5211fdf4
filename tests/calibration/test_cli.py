"""The calibrate command: --check, validate on a calibration spec, the budget as a hard
cap, and no half-written result folder after a failure."""

from __future__ import annotations

import json

import pytest

from sim.calibration.abcsmc import BudgetTooSmall, run_abc
from sim.calibration.data import load_observed
from sim.calibration.report import final_state
from sim.calibration.simulate import Simulator
from sim.calibration.spec import load_calibration
from sim.cli import main


def test_check_validates_without_simulating(make_spec, good_rows, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["calibrate", str(make_spec(good_rows)), "--check"]) == 0
    out = capsys.readouterr().out
    assert "ok (calibration spec; nothing simulated)" in out
    assert "4 periods (week)" in out and "distance euclidean (auto)" in out
    assert not (tmp_path / "results").exists()


def test_check_reports_bad_data_with_exit_2(make_spec, capsys):
    assert main(["calibrate", str(make_spec(["2024-01-01,-3"])), "--check"]) == 2
    assert "negative count -3" in capsys.readouterr().err


def test_validate_recognises_a_calibration_spec(make_spec, good_rows, capsys):
    assert main(["validate", str(make_spec(good_rows))]) == 0
    assert "ok (calibration spec tiny; run it with campaign-sim calibrate)" in capsys.readouterr().out


def test_budget_is_a_hard_cap(make_spec, good_rows, tmp_path):
    cal = load_calibration(make_spec(good_rows), ["inference.generations=5", "inference.population_size=10"])
    stats: dict = {}
    history = run_abc(Simulator(cal, load_observed(cal)), tmp_path / "abc.db", budget=57, stats=stats)
    assert stats["simulations_run"] <= 57 and stats["stopped_by_budget"]
    assert history.max_t >= 0


def test_too_small_a_budget_leaves_no_folder(make_spec, good_rows, tmp_path, capsys):
    cal = load_calibration(make_spec(good_rows))
    with pytest.raises(BudgetTooSmall):
        run_abc(Simulator(cal, load_observed(cal)), tmp_path / "x.db", budget=5)
    out = tmp_path / "out"
    assert main(["calibrate", str(make_spec(good_rows)), "--budget", "5", "--out", str(out)]) == 2
    assert "ran out before the first ABC generation" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "out.partial").exists()


LIKELIHOOD = ["--set", "observation.noise=negbin", "--set", "inference.acceptance=likelihood"]


def test_check_names_the_likelihood(make_spec, good_rows, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["calibrate", str(make_spec(good_rows)), "--check", *LIKELIHOOD]) == 0
    assert "negbin likelihood tempered down to 1 (stochastic acceptance)" in capsys.readouterr().out


def test_likelihood_without_observation_model_is_refused(make_spec, good_rows, capsys):
    args = ["calibrate", str(make_spec(good_rows)), "--check", "--set", "inference.acceptance=likelihood"]
    assert main(args) == 2
    assert "needs an observation model" in capsys.readouterr().err


def test_likelihood_run_reports_its_temperature(make_spec, good_rows, tmp_path, capsys):
    out = tmp_path / "out"
    tiny = ["--set", "inference.population_size=10", "--set", "inference.generations=2"]
    tiny += ["--set", "predictive.draws=5"]
    assert main(["calibrate", str(make_spec(good_rows)), "--out", str(out), *LIKELIHOOD, *tiny]) == 0
    said = capsys.readouterr().out
    assert "final temperature" in said
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["abc"]["acceptance"] == "likelihood" and manifest["abc"]["distance"] is None
    assert all(t >= 1 for t in manifest["abc"]["epsilons"])
    assert "Likelihood temperature by generation" in (out / "report.html").read_text()


def test_moves_are_reported_and_counted_in_the_budget(make_spec, good_rows, tmp_path, capsys):
    out = tmp_path / "out"
    tiny = ["--set", "inference.population_size=10", "--set", "inference.generations=2"]
    tiny += ["--set", "predictive.draws=5", "--set", "inference.moves=2"]
    args = ["calibrate", str(make_spec(good_rows)), *LIKELIHOOD, *tiny]
    assert main([*args, "--check"]) == 0
    assert "then 2 moves of every particle (20 simulations, inside the budget)" in capsys.readouterr().out
    assert main([*args, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "then 2 Metropolis-Hastings moves of every particle at temperature" in said
    assert "distinct particles of 10, equally weighted" in said
    assert "Metropolis-Hastings moves" in (out / "report.html").read_text()
    # the budget leaves ABC less than one generation: refused before anything runs
    assert main([*args, "--budget", "25", "--out", str(tmp_path / "small")]) == 2
    assert "leaves 5 for ABC after the 2 moves of 10 particles" in capsys.readouterr().err
    assert not (tmp_path / "small").exists()


def test_moves_need_the_likelihood(make_spec, good_rows, capsys):
    assert main(["calibrate", str(make_spec(good_rows)), "--check", "--set", "inference.moves=3"]) == 2
    assert "inference.moves needs inference.acceptance = 'likelihood'" in capsys.readouterr().err


def test_final_state_reads_a_temperature():
    assert final_state({"acceptance": "distance", "epsilon": 0.25}) == "final epsilon 0.25"
    posterior = final_state({"acceptance": "likelihood", "epsilon": 1.0})
    assert posterior.startswith("final temperature 1 (the posterior")
    assert "stopped tempered" in final_state({"acceptance": "likelihood", "epsilon": 5.8})
