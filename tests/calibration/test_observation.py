"""Observation noise: the negative-binomial and log-normal models and their use."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calibration.data import load_observed
from sim.calibration.simulate import Simulator, observe_with_noise
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
