"""Calibration overhead per simulation (issue 13: at most 25% above the engine's own run).

One ABC simulation of a calibration spec (``CalibrationModel.__call__``: parameters into
the scenario, schema validation, the run, days aggregated to periods, observation noise)
against the engine alone (``run_model`` on the same, already validated scenario with the
same seed and the same arms). Both are timed in this process, interleaved, median of
``repeats``. ``python benchmarks/calib_bench.py`` prints the rows; ``benchmarks/run.py``
adds them to the bench tables.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ("calibration/bass_recovery.toml", "calibration/bank_telemarketing_replay.toml")


def overhead(spec: str, repeats: int = 7) -> dict:
    """Median wall time of one calibration simulation and of the bare engine run."""
    sys.path.insert(0, str(ROOT))
    from sim.calibration.abcsmc import CalibrationModel, model_seed
    from sim.calibration.spec import load_calibration
    from sim.calibration.workflow import prepare
    from sim.loading import scenario_from_dict
    from sim.runner import run_model

    sim = prepare(load_calibration(ROOT / spec))
    model = CalibrationModel(sim, 0)
    spec_ = sim.cal.spec
    pars = {p.name: _centre(p.prior) for p in spec_.fitted}
    values = [pars[n] for n in model.names]
    scenario = scenario_from_dict(sim.scenario_dict(pars), "bench")
    cal_t, eng_t = [], []
    model(pars)  # warm caches (imports, numba)
    for _ in range(repeats):
        t = time.perf_counter()
        model(pars)
        cal_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_model(scenario, model_seed(0, values), baseline=sim.paired)
        eng_t.append(time.perf_counter() - t)
    cal, eng = statistics.median(cal_t), statistics.median(eng_t)
    sc = sim.cal.scenario
    return {
        "benchmark": "calibration",
        "spec": spec,
        "customers": sc.population.size,
        "days": sc.horizon,
        "agents": False,
        "workers": 1,
        "repeats": repeats,
        "wall_s": cal,
        "engine_s": eng,
        "overhead": cal / eng - 1,
        "ns_per_customer_day": cal / (sc.population.size * sc.horizon) * 1e9,
        "runs_per_s": 1 / cal,
    }


def _centre(prior) -> float:
    if prior.dist == "uniform":
        return (prior.low + prior.high) / 2
    if prior.dist == "loguniform":
        return float((prior.low * prior.high) ** 0.5)
    return prior.mean if prior.dist == "normal" else prior.median


def line(r: dict) -> str:
    return (
        f"calibration {r['spec']}: {r['customers']:,} customers x {r['days']} days: "
        f"{r['wall_s'] * 1e3:.1f} ms a simulation vs engine {r['engine_s'] * 1e3:.1f} ms "
        f"(overhead {r['overhead']:+.1%}; target <= +25%)"
    )


if __name__ == "__main__":
    for s in SPECS:
        print(line(overhead(s)), flush=True)
