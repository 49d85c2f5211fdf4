"""Resample-move: systematic resampling, the proposal's scale and factor, the
Metropolis-Hastings rule, the prior on the proposal scale, and chains that find a known
posterior from a population degenerated onto one particle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calibration.abcsmc import CalibrationModel, ObservationKernel, observed_statistics, run_abc
from sim.calibration.data import load_observed
from sim.calibration.moves import (
    Space,
    accepted,
    last_generation,
    move,
    proposal_factor,
    rescaled,
    systematic_resample,
)
from sim.calibration.simulate import Simulator
from sim.calibration.spec import load_calibration
from sim.calibration.workflow import calibrate


def test_systematic_resampling_by_hand():
    rng = np.random.default_rng(0)
    idx = systematic_resample(np.array([0.5, 0.25, 0.25]), 4, rng)
    np.testing.assert_array_equal(np.bincount(idx, minlength=3), [2, 1, 1])
    assert (systematic_resample(np.array([0.0, 1.0, 0.0]), 5, rng) == 1).all()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30).filter(lambda w: sum(w) > 1e-6),
    st.integers(1, 200),
)
def test_each_particle_is_drawn_floor_or_ceil_of_its_share(weights, n):
    w = np.asarray(weights) / np.sum(weights)
    counts = np.bincount(systematic_resample(w, n, np.random.default_rng(1)), minlength=len(w))
    assert counts.sum() == n
    assert (counts >= np.floor(n * w - 1e-9)).all() and (counts <= np.ceil(n * w + 1e-9)).all()


def test_the_scale_follows_the_acceptance():
    assert rescaled(1.0, 0.05) == pytest.approx(1 / 1.5)
    assert rescaled(1.0, 0.25) == 1.0
    assert rescaled(1.0, 0.6) == pytest.approx(1.5)


def test_metropolis_hastings_rule_by_hand():
    # log pi: current -1, proposals -1.5 (ratio e^-0.5 = 0.607), -0.5 (always), -inf (never)
    got = accepted(
        np.array([-1.0, -1.0, -1.0, -1.0]),
        np.array([-1.5, -1.5, -0.5, -np.inf]),
        np.array([0.5, 0.7, 0.99, 0.0]),
    )
    np.testing.assert_array_equal(got, [True, False, True, False])


def test_the_factor_reproduces_the_chains_covariance_or_the_fallback():
    rng = np.random.default_rng(3)
    u = rng.multivariate_normal([0, 0], [[1.0, 0.9], [0.9, 1.0]], size=200)
    f = proposal_factor(u, np.zeros((5, 2)))
    np.testing.assert_allclose(f @ f.T, np.cov(u, rowvar=False), atol=1e-12)
    copies = np.repeat(u[:1], 50, axis=0)  # one distinct point: the chains' covariance is 0
    f = proposal_factor(copies, u)
    np.testing.assert_allclose(f @ f.T, np.cov(u, rowvar=False), atol=1e-12)


def _space(make_spec, good_rows):
    prior = '{dist="loguniform", low=0.0001, high=1.0}'
    cal = load_calibration(make_spec(good_rows), [f"parameters.0.prior={prior}", "observation.noise=negbin"])
    return Space(cal.spec)


def test_the_prior_on_the_log_scale_is_flat_for_a_loguniform(make_spec, good_rows):
    """loguniform(0.0001, 1) for p is uniform on log p over a width of log(1e4); q's prior
    stays uniform(0, 0.4), dispersion's loguniform(0.001, 1) is flat on its log (width
    log(1000)): log prior(u) = -log(log 1e4) - log(0.4) - log(log 1000)."""
    space = _space(make_spec, good_rows)
    assert list(space.names) == ["p", "q", "dispersion"]
    u = np.array([[np.log(0.02), 0.3, np.log(0.01)], [np.log(0.5), 0.1, np.log(0.5)]])
    want = -np.log(np.log(1e4)) - np.log(0.4) - np.log(np.log(1000.0))
    np.testing.assert_allclose(space.log_prior(u), [want, want])
    assert space.log_prior(np.array([[np.log(2.0), 0.3, np.log(0.01)]]))[0] == -np.inf
    assert space.log_prior(np.array([[np.log(0.02), 0.5, np.log(0.01)]]))[0] == -np.inf
    np.testing.assert_allclose(space.to_theta(space.to_u(np.array([[0.02, 0.3, 0.01]]))), [[0.02, 0.3, 0.01]])


def test_chains_find_a_known_posterior_from_one_particle(make_spec, good_rows):
    """Target on the proposal scale: a correlated normal in (log p, q) (means log 0.01 and
    0.2, sds 0.5 and 0.03, correlation 0.95; the dispersion's log-likelihood flat), well inside
    the priors, with a log-likelihood as noisy as a bank simulation's (sd 0.8). Starting from
    100 particles whose weight sits on one, 60 moves give the target's means, sds and
    correlation; at temperature 2 the sds grow by sqrt(2)."""
    space = _space(make_spec, good_rows)
    mean, sd, rho = np.array([np.log(0.01), 0.2]), np.array([0.5, 0.03]), 0.95
    prec = np.linalg.inv(np.outer(sd, sd) * np.array([[1, rho], [rho, 1]]))
    noise = np.random.default_rng(7)

    def loglik(batch):
        x = np.array([[np.log(b["p"]), b["q"]] for b in batch]) - mean
        return -0.5 * np.einsum("ij,jk,ik->i", x, prec, x) + 0.8 * noise.standard_normal(len(x))

    rng = np.random.default_rng(8)
    start = np.column_stack(
        [np.exp(rng.uniform(-7, -2, 100)), rng.uniform(0.05, 0.35, 100), np.exp(rng.uniform(-6.9, 0, 100))]
    )
    weights = np.r_[1.0, np.zeros(99)]
    ll = loglik([dict(zip(space.names, row, strict=True)) for row in start])
    for temperature in (1.0, 2.0):
        theta, stats = move(space, start, weights, ll, loglik, temperature=temperature, steps=60, root=5)
        x = np.column_stack([np.log(theta[:, 0]), theta[:, 1]])
        scale = np.sqrt(temperature)
        assert (np.abs(x.mean(axis=0) - mean) < 0.25 * sd * scale).all(), x.mean(axis=0)
        np.testing.assert_allclose(x.std(axis=0), sd * scale, rtol=0.25)
        assert np.corrcoef(x.T)[0, 1] > 0.85
        # the dispersion's posterior is its prior: flat on its log over log(1000)
        assert np.log(theta[:, 2]).std() == pytest.approx(np.log(1000) / np.sqrt(12), rel=0.25)
        assert stats["distinct"] > 80 and stats["simulations"] <= 6000
        assert 0.05 < np.mean(stats["acceptance"]) < 0.6


def test_the_same_root_gives_the_same_chains(make_spec, good_rows):
    space = _space(make_spec, good_rows)

    def loglik(batch):  # deterministic in the parameters, as a seeded simulation is
        return np.array([-((np.log(b["p"]) + 4) ** 2) - (b["q"] - 0.2) ** 2 for b in batch])

    start = np.array([[0.01, 0.2, 0.01], [0.03, 0.3, 0.02], [0.02, 0.1, 0.1]])
    w, ll = np.array([0.2, 0.3, 0.5]), loglik([dict(zip(space.names, r, strict=True)) for r in start])
    a = move(space, start, w, ll, loglik, temperature=1.0, steps=5, root=11)
    b = move(space, start, w, ll, loglik, temperature=1.0, steps=5, root=11)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    # unmoved, a particle keeps its exact values (its simulation's seed comes from their bits)
    still, _ = move(space, start, w, ll, loglik, temperature=1.0, steps=0, root=11)
    assert all(any((row == s).all() for s in start) for row in still)


def test_a_calibration_with_moves(make_spec, good_rows, tmp_path):
    """Likelihood acceptance with 3 moves: the posterior is the moved particles (equal
    weights), the manifest reports the moves, the budget covers them, and 1 or 2 jobs give
    the same sample."""
    spec = make_spec(good_rows)
    tiny = [
        "inference.population_size=10", "inference.generations=2", "inference.moves=3",
        "inference.budget=200", "observation.noise=negbin", "inference.acceptance=likelihood",
    ]  # fmt: skip
    cal = load_calibration(spec, tiny)
    outs = []
    for jobs in (1, 2):
        (tmp_path / f"j{jobs}").mkdir()
        outs.append(calibrate(Simulator(cal, load_observed(cal)), tmp_path / f"j{jobs}", jobs=jobs))
    pd.testing.assert_frame_equal(outs[0].sample, outs[1].sample)
    sample, abc = outs[0].sample, outs[0].abc
    np.testing.assert_allclose(sample["weight"], 0.1)
    moves = abc["moves"]
    assert moves["steps"] == 3 and len(moves["acceptance"]) == 3 and 0 < moves["simulations"] <= 30
    assert abc["distinct_particles"] == moves["distinct"]
    assert abc["simulations_this_run"] <= 200


def test_the_stored_log_likelihoods_are_the_kernels(make_spec, good_rows, tmp_path):
    """The moves start from pyabc's stored ``distance`` of each particle: under the
    stochastic acceptor it must be the observation model's log-likelihood of that
    particle's own simulation (what a move compares a proposal with)."""
    tiny = [
        "inference.population_size=10", "inference.generations=2",
        "observation.noise=negbin", "inference.acceptance=likelihood",
    ]  # fmt: skip
    cal = load_calibration(make_spec(good_rows), tiny)
    sim = Simulator(cal, load_observed(cal))
    history = run_abc(sim, tmp_path / "abc.db")
    space = Space(cal.spec)
    theta, weights, loglik = last_generation(history, space.names)
    assert weights.sum() == pytest.approx(1.0) and theta.shape == (10, 3)
    model, kernel, x0 = (
        CalibrationModel(sim, cal.spec.seed),
        ObservationKernel("negbin"),
        observed_statistics(sim),
    )
    for values, stored in zip(theta[:3], loglik[:3], strict=True):
        row = dict(zip(space.names, map(float, values), strict=True))  # exact bits: the model's seed
        assert kernel(model(row), x0, par=row) == pytest.approx(stored, rel=1e-12)
