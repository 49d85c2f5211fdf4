"""ABC-SMC (Toni et al. 2009; Beaumont et al. 2009) with pyabc: priors, distance, a seeded
parallel sampler and the SQLite history that makes a calibration resumable.

Reproducibility. pyabc draws proposals from numpy's legacy global generator, and its own
parallel samplers accept whichever simulations finish first, so their results depend on
timing. :class:`SeededSampler` instead gives evaluation ``j`` of generation ``t`` its own
child of ``SeedSequence(seed)``, reseeds the legacy generator from it just for that
evaluation (restoring the caller's state afterwards), and accepts in index order. The
model's own seed is derived from the same root and the parameter values. So the same
spec and seed give the same posterior for any number of jobs or backend.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyabc
from joblib import Parallel, delayed
from pyabc.sampler import Sampler

from sim.calibration.simulate import Simulator, log_likelihood
from sim.calibration.spec import DISPERSION, Prior
from sim.lifeline import interrupted, lifeline, watch_parent

MODEL, SAMPLER = 0, 1  # first spawn-key element: which stream a seed belongs to


def prior_rv(p: Prior) -> pyabc.RV:
    """The scipy.stats distribution pyabc samples for one prior."""
    match p.dist:
        case "uniform":
            return pyabc.RV("uniform", p.low, p.high - p.low)
        case "loguniform":
            return pyabc.RV("loguniform", p.low, p.high)
        case "normal":
            return pyabc.RV("norm", p.mean, p.sd)
        case _:
            return pyabc.RV("lognorm", p.sigma, 0.0, p.median)


def model_seed(root: int, values: list[float]) -> np.random.SeedSequence:
    """A model seed from the root seed and the exact bits of the parameter values: the
    same parameters always replay the same run, in any process, in any order."""
    bits = np.asarray(values, dtype=np.float64).view(np.uint64)
    return np.random.SeedSequence(root, spawn_key=(MODEL, *(int(b) for b in bits)))


class CalibrationModel:
    """pyabc model: parameters -> simulated statistics of the fitted periods."""

    def __init__(self, simulator: Simulator, root: int) -> None:
        self.simulator = simulator
        self.root = root
        self.names = [p.name for p in simulator.cal.spec.fitted]
        self.fit = ~simulator.observed["holdout"].to_numpy()
        self.scale = column_scales(simulator)
        self.log = simulator.cal.spec.distance == "log"
        # the likelihood compares the data with the simulated market itself; its noise
        # enters through the likelihood, not as a draw
        self.likelihood = simulator.cal.spec.inference.acceptance == "likelihood"

    def __call__(self, pars: dict[str, float]) -> dict[str, np.ndarray]:
        values = [float(pars[n]) for n in self.names]
        named = dict(zip(self.names, values, strict=True))
        seed = model_seed(self.root, values)
        sims = self.simulator.simulate(named, seed, only=self.fit, noisy=not self.likelihood)
        columns = self.simulator.columns
        if self.likelihood:
            return {c: sims[j, self.fit] for j, c in enumerate(columns)}
        return {c: statistic(sims[j, self.fit], self.scale[c], self.log) for j, c in enumerate(columns)}


class ObservationKernel(pyabc.StochasticKernel):
    """The observation model's log-likelihood of the observed series given a simulated
    one, summed over observed columns, with the particle's own fitted dispersion."""

    def __init__(self, noise: str) -> None:
        super().__init__(ret_scale=pyabc.distance.SCALE_LOG)
        self.noise = noise

    def __call__(self, x: dict, x_0: dict, t: int | None = None, par: dict | None = None) -> float:
        dispersion = float(par[DISPERSION])
        return sum(log_likelihood(x_0[c], x[c], self.noise, dispersion) for c in sorted(x_0))


class ResumableTemperature(pyabc.Temperature):
    """pyabc's temperature schedule, continued across a resume. pyabc hands the schedule
    the number of generations still to run but the absolute generation index, and does
    not reload the stored temperatures; so a resumed run restarted from a fresh (often
    higher) temperature and was forced to 1 one generation later, at an acceptance rate
    that no budget could pay. ``stored`` (generation -> temperature, set after loading)
    keeps the schedule going down from where it stopped, towards 1 at the last generation."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[int, float] = {}

    def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations, acceptor_config):
        self.temperatures.update(self.stored)
        last = t + max_nr_populations  # the absolute end the schemes count towards
        super().initialize(t, get_weighted_distances, get_all_records, last, acceptor_config)


def statistic(values: np.ndarray, scale: float, log: bool) -> np.ndarray:
    """What the distance compares for one column: ``values / scale``, or with the ``log``
    distance log(1 + max(values, 0) / scale), on which a difference is about a relative
    error once values are well above the scale (a period of 60 missed by half counts as
    much as one of 600), while periods near zero are not blown up as with log(values)."""
    x = values / scale
    return np.log1p(np.maximum(x, 0.0)) if log else x


def column_scales(simulator: Simulator) -> dict[str, float]:
    """Divisor of each observed column in the distance: its root mean square over the
    fitted periods for the ``scaled`` distance, ``inference.log_scale`` or else its
    smallest positive fitted value for the ``log`` distance (where log(1 + x / s) turns from
    absolute to relative), else 1."""
    fit = ~simulator.observed["holdout"].to_numpy()
    kind = simulator.cal.spec.distance
    log_scale = simulator.cal.spec.inference.log_scale
    out = {}
    for c in simulator.columns:
        x = simulator.observed[c].to_numpy(dtype=float)[fit]
        if kind == "scaled":
            s = float(np.sqrt(np.mean(x**2)))
        elif kind == "log" and log_scale is not None:
            s = log_scale
        elif kind == "log":
            s = float(x[x > 0].min()) if (x > 0).any() else 1.0
        else:
            s = 1.0
        out[c] = s if s > 0 else 1.0
    return out


def observed_statistics(simulator: Simulator) -> dict[str, np.ndarray]:
    fit = ~simulator.observed["holdout"].to_numpy()
    observed = simulator.observed
    if simulator.cal.spec.inference.acceptance == "likelihood":
        return {c: observed[c].to_numpy(dtype=float)[fit] for c in simulator.columns}
    scale = column_scales(simulator)
    log = simulator.cal.spec.distance == "log"
    return {c: statistic(observed[c].to_numpy(dtype=float)[fit], scale[c], log) for c in simulator.columns}


def split(items: list, parts: int) -> list[list]:
    """``items`` cut into at most ``parts`` consecutive chunks of equal size (the last
    shorter), one per worker; concatenated, the chunks' results keep the items' order."""
    size = -(-len(items) // parts)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _evaluate(simulate_one: Callable, seeds: list[np.random.SeedSequence]) -> list:
    watch_parent()  # a worker whose driving process died exits (sim.lifeline)
    state = np.random.get_state()
    try:
        out = []
        with warnings.catch_warnings():
            # pyabc's proposal covariance of parameters on very different scales (a market
            # size in thousands next to a rate of 1e-4) trips numpy's PSD check by rounding
            warnings.filterwarnings("ignore", "covariance is not symmetric positive-semidefinite")
            for ss in seeds:
                np.random.seed(ss.generate_state(4))  # pyabc proposes from the legacy generator
                out.append(simulate_one())
        return out
    finally:
        np.random.set_state(state)


class SeededSampler(Sampler):
    """Evaluates candidates in rounds of ``batch`` on joblib workers (loky processes, or
    dask with ``backend='dask'``); accepts in evaluation order, so timing never matters.
    Evaluations computed past the n-th acceptance of a round are discarded.

    ``budget`` is a hard cap on the evaluations this sampler runs (over all generations,
    including pyabc's prior sample for the first tolerance): a round never goes past it,
    and a generation it cuts short is reported to pyabc as not ok, which ends the run
    with the generations completed so far."""

    def __init__(
        self,
        seed: int,
        jobs: int = 1,
        backend: str | None = None,
        batch: int | None = None,
        on_done: Callable[[int], None] | None = None,
        budget: float = np.inf,
    ) -> None:
        super().__init__()
        self.seed, self.jobs, self.backend = seed, max(1, jobs), backend
        self.batch = batch or (8 if self.jobs == 1 else 4 * self.jobs)
        self.on_done = on_done
        self.budget = budget
        self.used = 0  # evaluations run by this sampler
        self.exhausted = False  # the budget cut a generation short

    def _seeds(self, t: int, start: int, stop: int) -> list[np.random.SeedSequence]:
        return [np.random.SeedSequence(self.seed, spawn_key=(SAMPLER, t + 1, j)) for j in range(start, stop)]

    def _round(self, parallel: Parallel | None, simulate_one: Callable, seeds: list) -> list:
        if parallel is None:
            return _evaluate(simulate_one, seeds)
        chunks = split(seeds, self.jobs)
        return [p for part in parallel(delayed(_evaluate)(simulate_one, c) for c in chunks) for p in part]

    def sample_until_n_accepted(
        self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
    ):
        sample = self._create_empty_sample()
        done = 0
        parallel = Parallel(n_jobs=self.jobs, backend=self.backend) if self.jobs > 1 else None
        while sample.n_accepted < n and done < max_eval:
            left = self.budget - self.used
            if left <= 0:
                self.exhausted = True
                break
            stop = int(min(done + self.batch, max_eval, done + left))
            particles = self._round(parallel, simulate_one, self._seeds(t, done, stop))
            self.used += len(particles)
            if self.on_done is not None:
                self.on_done(len(particles))
            for particle in particles:
                done += 1
                sample.append(particle)
                if sample.n_accepted >= n:
                    break
        self.nr_evaluations_ = done
        if sample.n_accepted < n:
            sample.ok = False
        return sample


def distance(kind: str) -> pyabc.Distance:
    if kind == "adaptive":
        # each statistic scaled by its median absolute deviation over the generation's
        # simulations (Prangle 2017), so large and small periods count alike
        return pyabc.AdaptivePNormDistance(p=2)
    return pyabc.PNormDistance(p=2)  # euclidean, or scaled (statistics already divided)


class BudgetTooSmall(Exception):
    """The budget ran out before the first generation was complete: no posterior."""


def run_abc(
    simulator: Simulator,
    db: Path,
    *,
    jobs: int = 1,
    backend: str | None = None,
    budget: int | None = None,
    on_done: Callable[[int], None] | None = None,
    stats: dict | None = None,
) -> pyabc.storage.History:
    """Run (or, when ``db`` already holds this calibration, continue) ABC-SMC until the
    generations, budget, acceptance-rate or epsilon limit of the spec is reached.

    ``budget`` (default ``inference.budget``) caps the simulations of this call, hard: a
    resumed history's earlier simulations do not count against it, and
    ``population_size x inference.moves`` of it is kept for the moves
    (:mod:`sim.calibration.moves`) that follow. A generation the
    budget cuts short is discarded (the posterior is the last complete generation);
    :class:`BudgetTooSmall` when not even the first one completes. ``stats`` (a dict) gets
    ``simulations_run`` (this call's) and ``stopped_by_budget``."""
    spec = simulator.cal.spec
    inf = spec.inference
    priors = pyabc.Distribution(**{p.name: prior_rv(p.prior) for p in spec.fitted})
    total = budget if budget is not None else inf.budget
    cap = total - inf.move_simulations  # the moves after the last generation come out of it
    if inf.moves and cap < inf.population_size:
        raise BudgetTooSmall(
            f"a budget of {total:,} simulations leaves {max(cap, 0):,} for ABC after the "
            f"{inf.moves} moves of {inf.population_size} particles ({inf.move_simulations:,} "
            "simulations); raise --budget (or inference.budget), or lower inference.moves"
        )
    sampler = SeededSampler(spec.seed, jobs, backend, inf.batch, on_done, budget=cap)
    likelihood = inf.acceptance == "likelihood"
    if likelihood:
        # stochastic acceptance (Wilkinson 2013) with the likelihood tempered from a
        # temperature pyabc picks for its first generation down to 1, the exact posterior
        # under the observation model (pyabc's default schemes: acceptance rate, decay)
        tempered = {
            "distance_function": ObservationKernel(spec.observation.noise),
            "eps": ResumableTemperature(),
            # the normalising density scaled down once acceptance falls below 10%, the
            # excess corrected by importance weights: one simulation's own randomness makes
            # the likelihood noisy, and a bare maximum accepts almost nothing near 1
            "acceptor": pyabc.StochasticAcceptor(pdf_norm_method=pyabc.acceptor.ScaledPDFNorm()),
        }
    else:
        tempered = {"distance_function": distance(spec.distance)}
    abc = pyabc.ABCSMC(
        CalibrationModel(simulator, spec.seed),
        priors,
        population_size=inf.population_size,
        sampler=sampler,
        **tempered,
    )
    url = f"sqlite:///{db.resolve()}"
    resume = db.exists()
    if resume:
        abc.load(url, 1)
        if likelihood:
            pops = abc.history.get_all_populations()
            kept = pops[pops["t"] >= 0]
            abc.eps.stored = dict(zip(kept["t"].astype(int), kept["epsilon"].astype(float), strict=True))
    else:
        abc.new(url, observed_statistics(simulator))
    done = abc.history.max_t + 1 if resume else 0
    if done >= inf.generations:
        if stats is not None:
            stats.update(simulations_run=0, stopped_by_budget=False)
        return abc.history
    try:
        with lifeline(backend):  # workers exit if this process dies
            history = abc.run(
                # a temperature stops at 1 (pyabc's default for it), a tolerance at min_epsilon
                minimum_epsilon=None if likelihood else inf.min_epsilon,
                max_nr_populations=inf.generations - done,
                min_acceptance_rate=inf.min_acceptance_rate,
            )
    except Exception as exc:
        # pyabc's clean-up fails on a session a Ctrl-C cut off mid-transaction; the stored
        # generations are intact (SQLite rolls the open transaction back): an interrupt
        if interrupted(exc):
            raise KeyboardInterrupt from None
        raise
    if stats is not None:
        stats.update(simulations_run=sampler.used, stopped_by_budget=sampler.exhausted)
    if history.max_t is None or history.max_t < 0:
        raise BudgetTooSmall(
            f"the budget of {cap:,} simulations ran out before the first ABC generation of "
            f"{inf.population_size} particles was complete; raise --budget (or inference.budget) "
            f"to at least a few times {inf.population_size}, or lower inference.population_size"
        )
    return history
