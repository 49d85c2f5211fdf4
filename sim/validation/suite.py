"""Running a pattern file: every distinct arm once, with common random numbers, then each
pattern's effect, interval and verdict.

Replication r of every arm runs from child r of ``SeedSequence(seed)`` (the runner's rule),
so arms differ only by their edits and by what those edits do to the random draws. Arms
that several patterns share (a shipped scenario unchanged, say) run once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.runner import Replications, run_replications
from sim.validation.measures import MEASURES, bass_curve, effect, kpi_unit, probe, run_values
from sim.validation.patterns import ArmPlan, Pattern, PatternFile, plan_arms

#: Fast subset: small populations and few replications, for the test suite.
FAST_SIZE, FAST_REPLICATIONS = 4000, 8

TABLE_COLUMNS = (
    "pattern", "kind", "claim", "source", "scenario", "arms", "kpi", "measure", "unit",
    "band_low", "band_high", "require", "estimate", "ci_low", "ci_high", "passed",
    "replications", "size", "reasoning",
)  # fmt: skip


@dataclass
class SuiteResult:
    table: pd.DataFrame  # one row per pattern, TABLE_COLUMNS
    runs: pd.DataFrame  # pattern, arm, replication, value: the per-run values behind each effect
    seed: int


def select(pf: PatternFile, fast: bool = False, names: Iterable[str] = ()) -> list[Pattern]:
    names = list(names)
    unknown = sorted(set(names) - {p.name for p in pf.patterns})
    if unknown:
        from sim.loading import SpecError

        raise SpecError("--pattern", [f"unknown pattern {n!r}" for n in unknown])
    return [p for p in pf.patterns if (not fast or p.fast) and (not names or p.name in names)]


def planned_runs(plans: dict[str, dict[str, ArmPlan]], reps: dict[str, int]) -> int:
    keys = {a.key for arms in plans.values() for a in arms.values()}
    return sum(reps[k] for k in keys)


def run_suite(
    pf: PatternFile,
    folder: Path,
    patterns: list[Pattern],
    jobs: int = 1,
    fast: bool = False,
    on_done: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> SuiteResult:
    """Run ``patterns`` (from the file in ``folder``); ``fast`` uses the fast subset's
    population and replications. ``on_plan(total runs)`` is called once before running."""
    size = FAST_SIZE if fast else None
    plans = {p.name: plan_arms(p, folder, size) for p in patterns}
    n_reps = {p.name: FAST_REPLICATIONS if fast else p.replications for p in patterns}
    reps: dict[str, int] = {}
    for p in patterns:
        for arm in plans[p.name].values():
            reps[arm.key] = max(reps.get(arm.key, 0), n_reps[p.name])
    if on_plan is not None:
        on_plan(planned_runs(plans, reps))
    done: dict[str, Replications] = {}
    for arms in plans.values():
        for arm in arms.values():
            if arm.key not in done:
                done[arm.key] = run_replications(
                    arm.scenario, reps[arm.key], seed=pf.seed, jobs=jobs, on_done=on_done, probe=probe
                )
    rows, runs = [], []
    for p in patterns:
        values = {}
        for name, arm in plans[p.name].items():
            res = done[arm.key]
            keep = res.summary["replication"] < n_reps[p.name]
            daily = res.daily[res.daily["replication"] < n_reps[p.name]]
            values[name] = run_values(p.kpi, arm.scenario, res.summary[keep], daily)
            if values[name].ndim == 1:
                runs.append(
                    pd.DataFrame(
                        {
                            "pattern": p.name,
                            "arm": name,
                            "replication": np.arange(values[name].size),
                            "value": values[name],
                        }
                    )
                )
        if p.measure == "bass_deviation":
            values["_bass"] = bass_curve(plans[p.name]["control"].scenario)[None, :]
        est, low, high = effect(p.measure, values, seed=pf.seed)
        rows.append(_row(p, n_reps[p.name], size or p.size, est, low, high))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    runs_df = (
        pd.concat(runs, ignore_index=True)
        if runs
        else pd.DataFrame(columns=["pattern", "arm", "replication", "value"])
    )
    return SuiteResult(table, runs_df, pf.seed)


def _row(p: Pattern, reps: int, size: int, est: float, low: float, high: float) -> dict:
    described = "; ".join(
        f"{name}: {', '.join(arm.change) or 'as shipped'}" + (f" ({arm.scenario})" if arm.scenario else "")
        for name, arm in p.arm_changes().items()
    )
    return {
        "pattern": p.name,
        "kind": p.kind,
        "claim": p.claim,
        "source": p.source,
        "scenario": p.scenario,
        "arms": described,
        "kpi": p.kpi,
        "measure": p.measure,
        "unit": kpi_unit(p.kpi) if MEASURES[p.measure].unit == "kpi" else MEASURES[p.measure].unit,
        "band_low": p.band[0],
        "band_high": p.band[1],
        "require": p.require,
        "estimate": est,
        "ci_low": low,
        "ci_high": high,
        "passed": p.passes(est, low, high),
        "replications": reps,
        "size": size,
        "reasoning": p.reasoning,
    }
