"""Resample-move: Metropolis-Hastings moves at the last generation's temperature that
rejuvenate a likelihood-accepted ABC population whose weights sit on a few particles.

Why: under likelihood acceptance the last generation's importance weights (prior over
proposal, times the acceptor's rejection-control factor) rested on 1-13 effective
particles of 100 in the 12-parameter bank calibration, whose pairs correlate at 0.9-1.0:
the Gaussian proposal kernel around the particles does not follow the ridges
(docs/calibration.md). Resampling, then moving every particle with a kernel that leaves
the tempered posterior invariant, gives equally weighted particles spread along the
ridges (resample-move, Gilks and Berzuini 2001; ABC-SMC with MCMC moves, Drovandi and
Pettitt 2011).

Target, on the proposal scale u (the natural log of parameters with log priors, else the
value itself), at the last generation's temperature T (1 once the run reached the
posterior)::

    log pi(u) = log prior(theta(u)) + sum over log-prior parameters of u_i + l(theta) / T

with l(theta) the observation model's log-likelihood of the data given one simulation. The
estimate is kept with the state and a proposal gets its own simulation: pseudo-marginal
Metropolis-Hastings, exact for the same target the stochastic acceptor samples (Andrieu and
Roberts 2009). Proposal: u' = u + lambda L z, z standard normal, L L^T the covariance of the
chains (of the last ABC generation's particles while the chains sit on fewer than 2d
distinct points), lambda starting at 2.38 / sqrt(d) (Roberts and Rosenthal 2001) and scaled
by 1.5 down or up after a step whose acceptance falls outside [0.1, 0.4].

Randomness: the resampling from ``SeedSequence(root, spawn_key=(3, 0))``, step ``s``'s
proposals and accept draws from ``(3, s)``; each simulation's seed comes from its parameter
values (:func:`sim.calibration.abcsmc.model_seed`), so the chains are the same for any
number of workers or backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyabc
from joblib import Parallel, delayed

from sim.calibration.abcsmc import CalibrationModel, ObservationKernel, observed_statistics, split
from sim.calibration.posterior import LOG_PRIORS, prior_dist
from sim.calibration.simulate import Simulator
from sim.calibration.spec import CalibrationSpec
from sim.lifeline import lifeline, watch_parent

MOVES = 3  # first spawn-key element of the move stream (0 model, 1 sampler, 2 predictive)
TARGET_ACCEPTANCE = (0.1, 0.4)  # a step's acceptance outside this rescales the proposal
RESCALE = 1.5

LogLikelihood = Callable[[Sequence[dict[str, float]]], np.ndarray]


def systematic_resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` draws by systematic resampling: one uniform u, points (u + i) / n
    on the weights' cumulative sum (Kitagawa 1996); each particle is drawn floor or ceil
    of n times its weight, the least noisy unbiased scheme."""
    cum = np.cumsum(np.asarray(weights, dtype=float))
    cum /= cum[-1]
    points = (rng.uniform() + np.arange(n)) / n
    return np.minimum(np.searchsorted(cum, points, side="right"), len(cum) - 1)


def rescaled(scale: float, acceptance: float) -> float:
    """The next step's proposal scale: smaller after a step that accepted under 10%,
    larger after one over 40% (module docstring)."""
    low, high = TARGET_ACCEPTANCE
    if acceptance < low:
        return scale / RESCALE
    if acceptance > high:
        return scale * RESCALE
    return scale


def proposal_factor(u: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """A matrix L with L L^T the covariance of the chains ``u`` (rows), or of ``fallback``
    while ``u`` holds fewer than 2d distinct points (a covariance of fewer would be flat in
    some directions and the chains could never leave that plane)."""
    d = u.shape[1]
    source = u if len(np.unique(u, axis=0)) >= 2 * d else fallback
    cov = np.atleast_2d(np.cov(source, rowvar=False))
    vals, vecs = np.linalg.eigh(cov)  # not Cholesky: a covariance from a ridge can be singular
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


def accepted(log_target: np.ndarray, log_target_new: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Metropolis-Hastings with a symmetric proposal: accept where
    ``log U < log pi(u') - log pi(u)``; a proposal outside the prior (-inf) never."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(uniforms) < log_target_new - log_target


class Space:
    """The fitted parameters on the proposal scale: log for log priors."""

    def __init__(self, spec: CalibrationSpec) -> None:
        self.names = [p.name for p in spec.fitted]
        self.logged = np.array([p.prior.dist in LOG_PRIORS for p in spec.fitted])
        self.priors = [prior_dist(p.prior) for p in spec.fitted]

    def to_u(self, theta: np.ndarray) -> np.ndarray:
        return np.where(self.logged, np.log(np.where(self.logged, theta, 1.0)), theta)

    def to_theta(self, u: np.ndarray) -> np.ndarray:
        return np.where(self.logged, np.exp(np.where(self.logged, u, 0.0)), u)

    def log_prior(self, u: np.ndarray) -> np.ndarray:
        """log prior(theta(u)) plus the Jacobian of theta -> u (sum of the logged u)."""
        theta = self.to_theta(u)
        out = np.sum([d.logpdf(theta[:, j]) for j, d in enumerate(self.priors)], axis=0)
        return out + (u * self.logged).sum(axis=1)

    def dicts(self, u: np.ndarray) -> list[dict[str, float]]:
        theta = self.to_theta(u)
        return [dict(zip(self.names, map(float, row), strict=True)) for row in theta]


def move(
    space: Space,
    particles: np.ndarray,
    weights: np.ndarray,
    loglik: np.ndarray,
    log_likelihood: LogLikelihood,
    *,
    temperature: float,
    steps: int,
    root: int,
    on_step: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, dict]:
    """Resample ``particles`` (rows, natural units) by ``weights`` and move each ``steps``
    times (module docstring). ``loglik`` holds each particle's log-likelihood (from the
    simulation that accepted it); ``log_likelihood`` simulates a batch of parameter sets.
    Returns the moved particles (natural units, equally weighted) and the figures:
    ``acceptance`` per step, ``distinct`` particles at the end, ``simulations``."""
    n, d = particles.shape
    rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(MOVES, 0)))
    pick = systematic_resample(weights, n, rng)
    fallback = space.to_u(particles)
    u, ll = fallback[pick], np.asarray(loglik, dtype=float)[pick]
    # kept beside u, exact: exp(log x) can differ from x in the last bit, and a simulation's
    # seed comes from the bits
    theta = np.asarray(particles, dtype=float)[pick]
    log_target = space.log_prior(u) + ll / temperature
    scale, rates, simulations = 2.38 / np.sqrt(d), [], 0
    for step in range(1, steps + 1):
        rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(MOVES, step)))
        proposal = u + scale * rng.standard_normal((n, d)) @ proposal_factor(u, fallback).T
        uniforms = rng.uniform(size=n)
        prior_new = space.log_prior(proposal)
        inside = np.isfinite(prior_new)  # outside the prior: rejected without a simulation
        ll_new = np.full(n, -np.inf)
        if inside.any():
            ll_new[inside] = log_likelihood(space.dicts(proposal[inside]))
            simulations += int(inside.sum())
        new_target = np.where(inside, prior_new + ll_new / temperature, -np.inf)
        ok = accepted(log_target, new_target, uniforms)
        u[ok], ll[ok], log_target[ok] = proposal[ok], ll_new[ok], new_target[ok]
        theta[ok] = space.to_theta(proposal[ok])
        rates.append(float(ok.mean()))
        scale = rescaled(scale, rates[-1])
        if on_step is not None:
            on_step(int(inside.sum()))
    stats = {
        "steps": steps,
        "temperature": float(temperature),
        "acceptance": rates,
        "distinct": len(np.unique(theta, axis=0)),
        "simulations": simulations,
    }
    return theta, stats


def _logliks(model: Callable, kernel: Callable, x0: dict, batch: list[dict[str, float]]) -> list[float]:
    watch_parent()  # a worker whose driving process died exits (sim.lifeline)
    return [float(kernel(model(p), x0, par=p)) for p in batch]


def parallel_log_likelihood(
    model: Callable, kernel: Callable, x0: dict, jobs: int, backend: str | None
) -> LogLikelihood:
    """A batch log-likelihood on ``jobs`` joblib workers (in order, so timing never matters)."""

    def run(batch: Sequence[dict[str, float]]) -> np.ndarray:
        batch = list(batch)
        if jobs <= 1:
            return np.array(_logliks(model, kernel, x0, batch))
        with lifeline(backend):
            tasks = (delayed(_logliks)(model, kernel, x0, c) for c in split(batch, jobs))
            parts = Parallel(n_jobs=jobs, backend=backend)(tasks)
        return np.array([x for part in parts for x in part])

    return run


def last_generation(
    history: pyabc.storage.History, names: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Particles (rows, in ``names`` order), weights and stored log-likelihoods (pyabc's
    ``distance`` under the stochastic acceptor) of the last generation."""
    particles = history.get_population(t=history.max_t).get_particles_by_model()[0]
    theta = np.array([[float(p.parameter[k]) for k in names] for p in particles])
    weights = np.array([p.weight for p in particles], dtype=float)
    return theta, weights / weights.sum(), np.array([p.distance for p in particles], dtype=float)


def moved_sample(space: Space, theta: np.ndarray, generation: int) -> pd.DataFrame:
    """The moved particles as :func:`sim.calibration.posterior.posterior_sample` lays out a
    generation: ``generation, particle, <parameters...>, weight`` (equal weights)."""
    out = pd.DataFrame(theta, columns=space.names)
    out.insert(0, "particle", np.arange(len(out)))
    out.insert(0, "generation", int(generation))
    out["weight"] = 1.0 / len(out)
    return out


def rejuvenate(
    simulator: Simulator,
    history: pyabc.storage.History,
    *,
    jobs: int = 1,
    backend: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The last generation of ``history`` resampled and moved ``inference.moves`` times at
    its temperature (module docstring): the posterior sample and the moves' figures."""
    spec = simulator.cal.spec
    space = Space(spec)
    theta, weights, loglik = last_generation(history, space.names)
    pops = history.get_all_populations()
    temperature = float(pops.loc[pops["t"] == history.max_t, "epsilon"].iloc[0])
    batch = parallel_log_likelihood(
        CalibrationModel(simulator, spec.seed),
        ObservationKernel(spec.observation.noise),
        observed_statistics(simulator),
        jobs,
        backend,
    )
    moved, stats = move(
        space, theta, weights, loglik, batch,
        temperature=temperature, steps=spec.inference.moves, root=spec.seed, on_step=on_done,
    )  # fmt: skip
    return moved_sample(space, moved, history.max_t), stats
