"""One calibration from spec to result folder: data, ABC-SMC, posterior, predictive
bands and holdout coverage, calibrated scenario, figures and report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyabc

from sim.calibration.abcsmc import run_abc
from sim.calibration.data import load_observed
from sim.calibration.moves import rejuvenate
from sim.calibration.plots import all_plots
from sim.calibration.posterior import (
    correlations,
    distinct_particles,
    effective_sample_size,
    identifiability_lines,
    parameter_table,
    posterior_sample,
)
from sim.calibration.predictive import bands, coverage, predictive_draws
from sim.calibration.report import write_report
from sim.calibration.simulate import Simulator
from sim.calibration.spec import Calibration
from sim.calibration.writeback import posterior_draws, write_calibrated
from sim.results import provenance, write_json, write_table


@dataclass
class Outcome:
    folder: Path
    history: pyabc.storage.History
    sample: pd.DataFrame
    parameters: pd.DataFrame
    bands: pd.DataFrame
    coverage: pd.DataFrame
    calibrated: Path
    report: Path
    correlations: pd.DataFrame
    warnings: list[str]
    abc: dict  # the manifest's ABC figures (generations, simulations, budget use, epsilons)


def prepare(cal: Calibration) -> Simulator:
    """Read and check the data (raises SpecError before any folder is made)."""
    return Simulator(cal, load_observed(cal))


def check_summary(sim: Simulator) -> list[str]:
    """What ``calibrate --check`` found: the data's periods, the parameters and what one
    simulation is, all without simulating."""
    spec, obs = sim.cal.spec, sim.observed
    fit, hold = obs[~obs["holdout"]], obs[obs["holdout"]]
    scale = spec.inference.log_scale if spec.distance == "log" else None
    lines = [
        f"data {sim.cal.data_path}: {len(obs)} periods ({spec.data.label}) "
        f"{obs['period'].iloc[0]} .. {obs['period'].iloc[-1]}; {len(fit)} fitted, {len(hold)} held out",
        "observed: "
        + ", ".join(
            f"{o.column} -> {o.output} ({o.aggregate}" + (f", {o.lag_days} day lag)" if o.lag_days else ")")
            for o in spec.observe
        ),
        "parameters: " + ", ".join(f"{p.name} ~ {p.prior.dist}" for p in spec.fitted),
        f"observation noise: {spec.observation.noise}"
        + (" (dispersion fitted)" if spec.observation.noise != "none" else " (only the simulation's own)"),
        f"one simulation: {sim.describe()}",
        f"inference: {spec.inference.population_size} particles, up to {spec.inference.generations} "
        f"generations, budget {spec.inference.budget:,} simulations, "
        + (
            f"{spec.observation.noise} likelihood tempered down to 1 (stochastic acceptance)"
            if spec.inference.acceptance == "likelihood"
            else f"distance {spec.distance}"
            + (" (auto)" if spec.inference.distance == "auto" else "")
            + (f", scale {scale:g}" if scale else "")
        )
        + (
            f"; then {spec.inference.moves} moves of every particle "
            f"({spec.inference.move_simulations:,} simulations, inside the budget)"
            if spec.inference.moves
            else ""
        ),
    ]
    return lines


def _printable(df: pd.DataFrame) -> pd.DataFrame:
    """Periods as text, so parquet and CSV readers need no pandas extension types."""
    return df.assign(period=df["period"].astype(str)) if "period" in df else df


def calibrate(
    sim: Simulator,
    folder: Path,
    *,
    jobs: int = 1,
    backend: str | None = None,
    budget: int | None = None,
    on_simulation: Callable[[int], None] | None = None,
    on_draw: Callable[[int], None] | None = None,
    extra_manifest: dict | None = None,
) -> Outcome:
    """Run (or resume, when ``folder/abc.db`` exists) and write every output to ``folder``."""
    cal = sim.cal
    spec = cal.spec
    level = spec.predictive.level
    stats: dict = {}
    history = run_abc(
        sim, folder / "abc.db", jobs=jobs, backend=backend, budget=budget, on_done=on_simulation, stats=stats
    )
    moves = None
    if spec.inference.moves:
        sample, moves = rejuvenate(sim, history, jobs=jobs, backend=backend, on_done=on_simulation)
    else:
        sample = posterior_sample(history)
    table = parameter_table(sample, spec, level)
    corr = correlations(sample, spec)
    warnings = identifiability_lines(table, corr, sample)
    draws = predictive_draws(sim, sample, spec.predictive.draws, spec.seed, jobs, backend, on_draw)
    b = bands(draws, sim.observed, level)
    cov = coverage(b, level)
    write_table(folder, "observed", _printable(sim.observed))
    write_table(folder, "posterior", sample)
    write_table(folder, "parameters", table)
    write_table(folder, "correlations", corr)
    write_table(folder, "predictive", _printable(draws), csv=False)
    write_table(folder, "bands", _printable(b))
    write_table(folder, "coverage", cov)
    calibrated = folder / "calibrated_scenario.toml"
    carried = posterior_draws(cal, sample)
    write_table(folder, "posterior_draws", carried)
    write_calibrated(calibrated, cal, table, level, carried)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]  # t = -1 is pyabc's prior sample for the first tolerance
    manifest = {
        "command": "calibrate",
        "spec_file": cal.source,
        "scenario_file": str(cal.scenario_path),
        "data_file": str(cal.data_path),
        "jobs": jobs,
        "backend": backend or "loky",
        "budget": budget if budget is not None else spec.inference.budget,
        "seeds": {
            "root": spec.seed,
            "sampler": "SeedSequence(root, spawn_key=(1, t + 1, j)) for evaluation j of generation t",
            "model": "SeedSequence(root, spawn_key=(0, *float64 bits of the parameters)), + (k,) per period",
            "predictive": "SeedSequence(root, spawn_key=(2, 1, draw)); resampling (2, 0)",
            "moves": "SeedSequence(root, spawn_key=(3, 0)) resampling, (3, step) proposals and accept draws",
        },
        "abc": {
            "generations": int(history.max_t + 1),
            "acceptance": spec.inference.acceptance,
            "distance": spec.distance if spec.inference.acceptance == "distance" else None,
            "simulations": int(history.total_nr_simulations) + (moves["simulations"] if moves else 0),
            "simulations_this_run": int(stats["simulations_run"]) + (moves["simulations"] if moves else 0),
            "stopped_by_budget": bool(stats["stopped_by_budget"]),
            "epsilon": float(pops["epsilon"].iloc[-1]),
            "epsilons": [float(e) for e in pops["epsilon"]],
            "effective_particles": effective_sample_size(sample["weight"]),
            "particles": len(sample),
            "distinct_particles": distinct_particles(sample),
            "moves": moves,
        },
        **provenance(),
        "spec": spec.model_dump(mode="json"),
        "scenario": cal.scenario.model_dump(mode="json"),
        **(extra_manifest or {}),
    }
    write_json(folder / "manifest.json", manifest)
    plots = all_plots(history, sample, b, spec, folder)
    report = write_report(folder, manifest, table, cov, plots, corr, warnings)
    return Outcome(
        folder, history, sample, table, b, cov, calibrated, report, corr, warnings, manifest["abc"]
    )
