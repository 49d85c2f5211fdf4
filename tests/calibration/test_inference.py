"""ABC-SMC end to end at small scale: recovery of known parameters, Bass p and q,
reproducibility, and the calibrated scenario written back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc
import pytest

from sim.calibration.abcsmc import (
    CalibrationModel,
    column_scales,
    model_seed,
    observed_statistics,
    run_abc,
    statistic,
)
from sim.calibration.data import load_observed
from sim.calibration.posterior import parameter_table, posterior_sample
from sim.calibration.simulate import Simulator
from sim.calibration.spec import load_calibration
from sim.calibration.workflow import calibrate, prepare
from sim.loading import load_scenario
from sim.runner import run_model

WEEKS = [d.strftime("%Y-%m-%d") for d in pd.date_range("2024-01-01", periods=6, freq="7D")]
SMALL = [
    'set=["calendar.days=42", "calendar.observation_days=0"]',
    "population.size=1000",  # at 400 q's interval width depended on the data's seed
    "inference.population_size=40",
    "inference.generations=4",
    "inference.budget=900",
]
PRIOR_WIDTH = {"q": 0.4}


def fit(spec, tmp_path, overrides=(), db="abc.db", jobs=1):
    cal = load_calibration(spec, overrides)
    sim = Simulator(cal, load_observed(cal))
    history = run_abc(sim, tmp_path / db, jobs=jobs)
    return cal, posterior_sample(history)


def assert_recovered(cal, sample, truth):
    table = parameter_table(sample, cal.spec, 0.9).set_index("parameter")
    for name, value in truth.items():
        lo, hi = table.loc[name, ["low", "high"]]
        assert lo <= value <= hi, (name, value, lo, hi)
    # the data taught something: at this tiny scale q is pinned down, p (first weeks only) less
    lo, hi = table.loc["q", ["low", "high"]]
    assert hi - lo < 0.6 * PRIOR_WIDTH["q"], (lo, hi)


def test_recovers_parameters_of_data_the_model_generated(make_spec, tmp_path):
    truth = {"p": 0.01, "q": 0.2}
    cal = load_calibration(make_spec([f"{w},0" for w in WEEKS]), SMALL)
    data = Simulator(cal, load_observed(cal)).simulate(truth, np.random.SeedSequence(2024))[0]
    spec = make_spec([f"{w},{x:.0f}" for w, x in zip(WEEKS, data, strict=True)])
    assert_recovered(*fit(spec, tmp_path, SMALL), truth)


def test_recovers_bass_p_and_q_from_a_bass_curve(make_spec, tmp_path):
    """Weekly adopters of the deterministic discrete-time Bass curve (the model's mean
    field): F' = F + (1 - F)(1 - exp(-(p + q F))). The shipped bass_recovery spec fits
    the continuous-time curve at full scale (docs/calibration.md)."""
    p, q, m = 0.01, 0.2, 4000
    f = [0.0]
    for _ in range(42):
        f.append(f[-1] + (1 - f[-1]) * -np.expm1(-(p + q * f[-1])))
    adopters = m * np.diff(np.asarray(f)[::7])
    spec = make_spec([f"{w},{x:.0f}" for w, x in zip(WEEKS, adopters, strict=True)])
    assert_recovered(*fit(spec, tmp_path, [*SMALL, "population.represents=4000"]), {"p": p, "q": q})


def test_same_seed_same_posterior_for_any_batch_or_jobs(make_spec, good_rows, tmp_path):
    spec = make_spec(good_rows)
    tiny = ["inference.population_size=10", "inference.generations=2"]
    _, a = fit(spec, tmp_path, [*tiny, "inference.batch=8"], db="a.db")
    _, b = fit(spec, tmp_path, [*tiny, "inference.batch=3"], db="b.db")
    _, c = fit(spec, tmp_path, [*tiny, "inference.batch=5"], db="c.db", jobs=2)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_written_back_scenario_loads_and_runs(make_spec, good_rows, tmp_path):
    spec = make_spec(good_rows)
    sim = prepare(load_calibration(spec))
    out = calibrate(sim, tmp_path)
    sc = load_scenario(out.calibrated)
    table = out.parameters.set_index("field")
    assert sc.diffusion.innovation == pytest.approx(table.loc["diffusion.innovation", "median"])
    assert sc.diffusion.imitation == pytest.approx(table.loc["diffusion.imitation", "median"])
    assert (sc.population.size, sc.population.represents) == (300, 3000)
    assert run_model(sc, 1).daily["new_conversions"].sum() > 0
    for name in ("report.html", "posterior.parquet", "bands.csv", "coverage.csv", "manifest.json", "abc.db"):
        assert (tmp_path / name).is_file(), name
    cov = out.coverage
    assert set(cov["part"]) == {"fit"} and cov["periods"].sum() == 4
    assert pd.read_parquet(tmp_path / "posterior.parquet")["weight"].sum() == pytest.approx(1.0)


def test_a_stopped_calibration_resumes_from_its_history(make_spec, good_rows, tmp_path):
    spec = make_spec(good_rows)
    tiny = ["inference.population_size=10"]
    cal = load_calibration(spec, [*tiny, "inference.generations=1"])
    sim = Simulator(cal, load_observed(cal))
    first = run_abc(sim, tmp_path / "abc.db")
    assert first.max_t == 0
    first_sims, gen0 = first.total_nr_simulations, first.get_distribution(m=0, t=0)[0]
    cal = load_calibration(spec, [*tiny, "inference.generations=2"])
    resumed = run_abc(Simulator(cal, load_observed(cal)), tmp_path / "abc.db")
    assert resumed.max_t == 1
    assert resumed.total_nr_simulations > first_sims
    # the first generation is kept as it was, not recomputed
    pd.testing.assert_frame_equal(resumed.get_distribution(m=0, t=0)[0], gen0)


def test_log_statistic_by_hand():
    x = np.array([0.0, 1.0, 9.0, -2.0])
    np.testing.assert_allclose(statistic(x, 1.0, True), np.log1p([0.0, 1.0, 9.0, 0.0]))
    np.testing.assert_allclose(statistic(x, 2.0, False), x / 2)
    # a period of 60 and one of 600 each missed by half weigh about the same
    small = statistic(np.array([60.0]), 1.0, True) - statistic(np.array([30.0]), 1.0, True)
    large = statistic(np.array([600.0]), 1.0, True) - statistic(np.array([300.0]), 1.0, True)
    assert small[0] == pytest.approx(large[0], rel=0.03)


def test_log_distance_scales_by_the_smallest_positive_fitted_value(make_spec, good_rows):
    cal = load_calibration(make_spec(good_rows), ["inference.distance=log"])
    sim = Simulator(cal, load_observed(cal))
    assert column_scales(sim) == {"adopters": 100.0}
    fitted = sim.observed.loc[~sim.observed["holdout"], "adopters"].to_numpy(dtype=float)
    np.testing.assert_allclose(observed_statistics(sim)["adopters"], np.log1p(fitted / 100.0))


def test_log_scale_replaces_the_smallest_positive_value(make_spec, good_rows):
    cal = load_calibration(make_spec(good_rows), ["inference.distance=log", "inference.log_scale=10"])
    sim = Simulator(cal, load_observed(cal))
    assert column_scales(sim) == {"adopters": 10.0}
    # 1 observed against 16 simulated: log(2.6 / 1.1) = 0.86 at scale 10, log(17 / 2) = 2.1 at 1
    one = statistic(np.array([16.0]), 10.0, True) - statistic(np.array([1.0]), 10.0, True)
    assert one[0] == pytest.approx(np.log(2.6) - np.log(1.1))


def test_recovers_parameters_with_the_log_distance(make_spec, tmp_path):
    truth = {"p": 0.01, "q": 0.2}
    cal = load_calibration(make_spec([f"{w},0" for w in WEEKS]), SMALL)
    data = Simulator(cal, load_observed(cal)).simulate(truth, np.random.SeedSequence(2024))[0]
    spec = make_spec([f"{w},{x:.0f}" for w, x in zip(WEEKS, data, strict=True)])
    assert_recovered(*fit(spec, tmp_path, [*SMALL, "inference.distance=log"]), truth)


def test_likelihood_acceptance_recovers_parameters_and_sees_the_noise(make_spec, tmp_path):
    """Data from the model with negative-binomial noise of dispersion 0.05 (about 22%
    scatter on a week of 100): the tempered likelihood reaches temperature 1 within the
    budget, its 90% intervals hold p and q, and the fitted dispersion is at least the
    noise put in (it measures the data's scatter around one simulation, whose own
    randomness adds to the noise; docs/calibration.md)."""
    truth = {"p": 0.01, "q": 0.2, "dispersion": 0.05}
    noisy = [
        *SMALL, "population.represents=1000", "observation.noise=negbin",
        "inference.generations=4", "inference.budget=2500",
    ]  # fmt: skip
    cal = load_calibration(make_spec([f"{w},0" for w in WEEKS]), noisy)
    data = Simulator(cal, load_observed(cal)).simulate(truth, np.random.SeedSequence(2024))[0]
    spec = make_spec([f"{w},{x:.0f}" for w, x in zip(WEEKS, data, strict=True)])
    cal, sample = fit(spec, tmp_path, [*noisy, "inference.acceptance=likelihood"])
    history = pyabc.History(f"sqlite:///{tmp_path / 'abc.db'}")
    assert history.get_all_populations()["epsilon"].iloc[-1] == pytest.approx(1.0)
    table = parameter_table(sample, cal.spec, 0.9).set_index("parameter")
    for name in ("p", "q"):
        lo, hi = table.loc[name, ["low", "high"]]
        assert lo <= truth[name] <= hi, (name, truth[name], lo, hi)
    assert table.loc["dispersion", "high"] >= truth["dispersion"]
    assert table.loc["dispersion", "median"] > 0.01  # the noise is seen, not fitted away


def test_likelihood_acceptance_compares_the_clean_series(make_spec, good_rows):
    """The kernel receives the simulated market without noise and the raw observed counts
    (the noise enters through the likelihood, not as a draw)."""
    spec = make_spec(good_rows)
    cal = load_calibration(spec, ["observation.noise=negbin", "inference.acceptance=likelihood"])
    sim = Simulator(cal, load_observed(cal))
    np.testing.assert_array_equal(observed_statistics(sim)["adopters"], [100, 250, 400, 380])
    pars = {"p": 0.02, "q": 0.2, "dispersion": 0.5}
    got = CalibrationModel(sim, cal.spec.seed)(pars)["adopters"]
    clean = Simulator(load_calibration(spec), sim.observed).simulate(
        {"p": 0.02, "q": 0.2}, model_seed(cal.spec.seed, list(pars.values()))
    )[0]
    np.testing.assert_array_equal(got, clean)


def test_likelihood_runs_are_the_same_for_any_jobs(make_spec, good_rows, tmp_path):
    spec = make_spec(good_rows)
    tiny = [
        "inference.population_size=10", "inference.generations=2",
        "observation.noise=negbin", "inference.acceptance=likelihood",
    ]  # fmt: skip
    _, a = fit(spec, tmp_path, [*tiny, "inference.batch=4"], db="a.db")
    _, b = fit(spec, tmp_path, [*tiny, "inference.batch=3"], db="b.db", jobs=2)
    pd.testing.assert_frame_equal(a, b)


def test_a_resumed_likelihood_run_cools_on_to_one(make_spec, tmp_path):
    """Cut by the budget at a high temperature, a likelihood run resumes from its last
    temperature and cools to 1 by its last generation. Without ResumableTemperature pyabc
    restarted the schedule (here at 164 after 183) and forced 1 a generation later, which
    no budget could pay: the resumed run ended at 164."""
    rows = ["2024-01-01,500", "2024-01-08,900", "2024-01-15,1100", "2024-01-22,800"]
    cal = load_calibration(
        make_spec(rows),
        [
            "inference.population_size=10", "inference.generations=6", "population.represents=30000",
            "observation.noise=negbin", 'observation.dispersion={dist="loguniform", low=0.0001, high=0.01}',
            "inference.acceptance=likelihood",
        ],
    )  # fmt: skip
    first = run_abc(Simulator(cal, load_observed(cal)), tmp_path / "abc.db", budget=150)
    cut = first.get_all_populations().query("t >= 0")["epsilon"].to_numpy()
    assert len(cut) < 6 and cut[-1] > 10
    resumed = run_abc(Simulator(cal, load_observed(cal)), tmp_path / "abc.db", budget=3000)
    temps = resumed.get_all_populations().query("t >= 0")["epsilon"].to_numpy()
    np.testing.assert_array_equal(temps[: len(cut)], cut)
    assert (np.diff(temps) < 0).all(), temps
    assert temps[-1] == pytest.approx(1.0) and resumed.max_t == 5
