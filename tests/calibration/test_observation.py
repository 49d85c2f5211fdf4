"""Observation noise: the negative-binomial and log-normal models and their use."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.calibration.data import load_observed
from sim.calibration.simulate import Simulator, log_likelihood, observe_with_noise
from sim.calibration.spec import load_calibration
from sim.loading import SpecError


@settings(deadline=None, max_examples=20)
@given(st.floats(5, 500), st.floats(0.01, 1.0))
def test_negbin_has_the_mean_and_variance_of_its_definition(mean, dispersion):
    x = observe_with_noise(np.full(40_000, mean), "negbin", dispersion, np.random.default_rng(1))
    assert x.mean() == pytest.approx(mean, rel=0.05)
    assert x.var() == pytest.approx(mean + dispersion * mean**2, rel=0.1)
    assert np.all(x == np.round(x)) and np.all(x >= 0)


def test_lognormal_keeps_the_mean_and_nan_stays_nan():
    mean = np.array([100.0, np.nan, 0.0])
    x = np.stack([observe_with_noise(mean, "lognormal", 0.3, np.random.default_rng(k)) for k in range(4000)])
    assert np.nanmean(x[:, 0]) == pytest.approx(100, rel=0.03)
    assert np.isnan(x[:, 1]).all() and (x[:, 2] == 0).all()


def test_dispersion_is_fitted_with_the_parameters(make_spec, good_rows):
    cal = load_calibration(make_spec(good_rows), ["observation.noise=negbin"])
    assert [p.name for p in cal.spec.fitted] == ["p", "q", "dispersion"]
    sim = Simulator(cal, load_observed(cal))
    ss = np.random.SeedSequence(3)
    clean = Simulator(load_calibration(make_spec(good_rows)), sim.observed).simulate(
        {"p": 0.02, "q": 0.2}, ss
    )
    noisy = sim.simulate({"p": 0.02, "q": 0.2, "dispersion": 0.5}, ss)
    assert noisy.shape == clean.shape and not np.array_equal(noisy, clean)
    again = sim.simulate({"p": 0.02, "q": 0.2, "dispersion": 0.5}, np.random.SeedSequence(3))
    np.testing.assert_array_equal(noisy, again)


def test_dispersion_name_is_reserved(make_spec, good_rows):
    with pytest.raises(SpecError, match="taken by the observation noise"):
        load_calibration(
            make_spec(good_rows), ["observation.noise=lognormal", "parameters.0.name=dispersion"]
        )


@settings(deadline=None, max_examples=30)
@given(
    st.lists(st.integers(0, 400), min_size=1, max_size=6),
    st.floats(0.5, 500),
    st.floats(0.001, 2.0),
)
def test_negbin_likelihood_is_scipys_for_whole_counts(counts, mean, dispersion):
    y = np.asarray(counts, dtype=float)
    r = 1 / dispersion
    expected = stats.nbinom.logpmf(y, r, r / (r + mean)).sum()
    got = log_likelihood(y, np.full(y.shape, mean), "negbin", dispersion)
    assert got == pytest.approx(expected, rel=1e-9)


def test_negbin_likelihood_by_hand():
    # y = 2, mu = 1, dispersion 1 (r = 1): geometric, P(2) = (1/2)(1/2)^2 = 1/8
    assert log_likelihood(np.array([2.0]), np.array([1.0]), "negbin", 1.0) == pytest.approx(np.log(1 / 8))


def test_lognormal_likelihood_is_the_mean_preserving_lognormal():
    y, mu, s = np.array([80.0, 130.0]), np.array([100.0, 100.0]), 0.3
    expected = stats.lognorm.logpdf(y, s, scale=mu * np.exp(-(s**2) / 2)).sum()
    assert log_likelihood(y, mu, "lognormal", s) == pytest.approx(expected)


def test_a_simulated_zero_against_a_count_is_unlikely_but_finite():
    zero = log_likelihood(np.array([50.0]), np.array([0.0]), "negbin", 0.01)
    near = log_likelihood(np.array([50.0]), np.array([48.0]), "negbin", 0.01)
    assert np.isfinite(zero) and zero < near - 100


def test_likelihood_acceptance_needs_an_observation_model(make_spec, good_rows):
    with pytest.raises(SpecError, match="needs an observation model") as err:
        load_calibration(make_spec(good_rows), ["inference.acceptance=likelihood"])
    assert "observation.noise" in str(err.value)
    with pytest.raises(SpecError, match=r"distance.*likelihood|likelihood.*distance"):
        load_calibration(make_spec(good_rows), ["inference.acceptance=likelyhood"])


def test_lognormal_likelihood_refuses_a_recorded_zero(make_spec, good_rows):
    rows = [*good_rows[:2], "2024-01-15,0", good_rows[3]]
    lik = ["observation.noise=lognormal", "inference.acceptance=likelihood"]
    cal = load_calibration(make_spec(rows), lik)
    with pytest.raises(SpecError, match=r"column 'adopters', row 3: 0 cannot be recorded under lognormal"):
        load_observed(cal)
    # with the distance the noisy simulation can meet a 0, so it is allowed
    load_observed(load_calibration(make_spec(rows), ["observation.noise=lognormal"]))
