"""Optimiser benchmark: evaluations to come within 2% of the grid's best, TPE against random.

On the shipped ``experiments/deposit_sprint_optimize.toml`` with three of its levers on a
grid (budget 10-26M in steps of 2M, bonus 10-80 bp in steps of 10, duration 20-45 days in
steps of 5: 9 x 8 x 6 = 432 plans), every plan is run with R replications and common random
numbers (so each plan's objective, the median incremental net value, is a fixed number).
The exhaustive grid's best is the target. The optimiser (the spec's TPE settings: batches
of 4 with a constant liar, 8 random start-up trials) and random search then draw plans from
the same grid, reading each plan's objective from the grid's table, until one is within 2%
of the grid's best; that count, over many seeds, is the figure. Wall time: the grid's runs
on the given workers, and the time per evaluated plan (R runs).

Run alone: ``.venv/bin/python benchmarks/run.py --only optimizer`` (writes
``benchmarks/optimizer.md`` and ``.csv``).
"""

from __future__ import annotations

import itertools
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "deposit_sprint_optimize.toml"
LEVERS = (
    'levers={budget={path="budget.total", low=10000000, high=26000000, step=2000000}, '
    'bonus={path="offer.bonus_bp", low=10, high=80, step=10}, '
    'duration={path="calendar.days", low=20, high=45, step=5}}'
)
WITHIN = 0.02


def grid_table(customers: int, replications: int, workers: int) -> tuple[dict, float, int]:
    """Objective of every grid plan (key: (budget, bonus, duration)), wall seconds, runs."""
    sys.path.insert(0, str(ROOT))
    from sim.experiments.execute import parallel_backend
    from sim.experiments.store import RunStore
    from sim.optimize.evaluate import run_candidates, score
    from sim.optimize.spec import load_optimization

    opt = load_optimization(SPEC, [LEVERS, f"population.size={customers}", f"replications={replications}"])
    lv = opt.spec.levers
    axes = [
        np.arange(lv[n].low, lv[n].high + lv[n].step / 2, lv[n].step) for n in ("budget", "bonus", "duration")
    ]
    plans = list(itertools.product(*axes))
    values = [{"budget": float(b), "bonus": float(o), "duration": int(d)} for b, o, d in plans]
    with tempfile.TemporaryDirectory() as tmp, RunStore(Path(tmp) / "store.sqlite") as store:
        start = time.perf_counter()
        with parallel_backend("loky", workers) as w:
            runs = run_candidates(opt.experiment(), values, store, w)
        wall = time.perf_counter() - start
    obj = score(opt, runs)["objective"].to_numpy(float)
    return {tuple(float(x) for x in p): float(v) for p, v in zip(plans, obj, strict=True)}, wall, len(runs)


def evaluations_to_target(table: dict, sampler: str, seed: int, budget: int) -> int:
    """Plans evaluated until one is within ``WITHIN`` of the grid's best (budget + 1 if never)."""
    import optuna
    from optuna.distributions import FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    best = max(table.values())
    target = best - WITHIN * abs(best)
    dists = {
        "budget": FloatDistribution(10_000_000, 26_000_000, step=2_000_000),
        "bonus": FloatDistribution(10, 80, step=10),
        "duration": IntDistribution(20, 45, step=5),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = (
            optuna.samplers.RandomSampler(seed=seed)
            if sampler == "random"
            else optuna.samplers.TPESampler(seed=seed, n_startup_trials=8, constant_liar=True)
        )
        study = optuna.create_study(direction="maximize", sampler=s)
        n = 0
        while n < budget:
            batch = [study.ask(dists) for _ in range(4)]
            for t in batch:
                n += 1
                v = table[(float(t.params["budget"]), float(t.params["bonus"]), float(t.params["duration"]))]
                study.tell(t, v)
                if v >= target:
                    return n
    return budget + 1


def bench(
    customers: int = 1000, replications: int = 2, workers: int = 2, seeds: int = 30, budget: int = 120
) -> dict:
    table, wall, runs = grid_table(customers, replications, workers)
    tpe = [evaluations_to_target(table, "tpe", s, budget) for s in range(seeds)]
    rnd = [evaluations_to_target(table, "random", s, budget) for s in range(seeds)]
    best = max(table.values())
    close = sum(v >= best - WITHIN * abs(best) for v in table.values())
    return {
        "benchmark": "optimizer",
        "customers": customers,
        "replications": replications,
        "workers": workers,
        "grid_plans": len(table),
        "grid_runs": runs,
        "grid_wall_s": wall,
        "seconds_per_plan": wall / len(table),
        "plans_within_2pct": close,
        "grid_best": best,
        "tpe_median_evals": statistics.median(tpe),
        "random_median_evals": statistics.median(rnd),
        "tpe_p90_evals": float(np.percentile(tpe, 90)),
        "random_p90_evals": float(np.percentile(rnd, 90)),
        "seeds": seeds,
        "budget": budget,
    }


def markdown(r: dict) -> str:
    ratio = r["tpe_median_evals"] / r["random_median_evals"]
    met = ratio <= 0.5
    return "\n".join(
        [
            "# Optimiser benchmark",
            "",
            f"`experiments/deposit_sprint_optimize.toml`, levers budget x bonus x duration on a grid of "
            f"{r['grid_plans']} plans, {r['customers']:,} customers, {r['replications']} replications per "
            f"plan (common random numbers); objective: median incremental net value. "
            f"{r['plans_within_2pct']} plans are within 2% of the grid's best "
            f"({r['grid_best'] / 1e6:,.2f}M CNY).",
            "",
            "| search | median evaluations to within 2% | 90th percentile | seeds |",
            "|---|---:|---:|---:|",
            f"| TPE (batches of 4) | {r['tpe_median_evals']:.0f} | {r['tpe_p90_evals']:.0f} | {r['seeds']} |",
            f"| random | {r['random_median_evals']:.0f} | {r['random_p90_evals']:.0f} | {r['seeds']} |",
            f"| exhaustive grid | {r['grid_plans']} | {r['grid_plans']} | - |",
            "",
            f"Target: the optimiser needs at most half the evaluations of random search: "
            f"{ratio:.2f}x, {'met' if met else 'NOT met'}. (A search that never got there within "
            f"{r['budget']} evaluations counts as {r['budget'] + 1}.)",
            "",
            f"Wall time on {r['workers']} workers: the grid's {r['grid_runs']:,} runs took "
            f"{r['grid_wall_s']:.1f} s, {r['seconds_per_plan']:.2f} s per evaluated plan; so TPE reached 2% "
            f"in about {r['tpe_median_evals'] * r['seconds_per_plan']:.0f} s and random search in about "
            f"{r['random_median_evals'] * r['seconds_per_plan']:.0f} s (machine shared with other work).",
        ]
    )
