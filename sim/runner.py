"""Running a scenario: one model, or replications from spawned seeds in parallel.

Replication ``r`` always gets child ``r`` of ``SeedSequence(seed)``, whatever the
number of workers or backend, so results are identical for 1 or many jobs. With
``scenario.baseline`` each run is paired with its campaign-off counterfactual
(:func:`sim.baseline.campaign_off`) from a fresh copy of the same seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from sim.baseline import campaign_off
from sim.kpis import BASELINE_DAILY, PAIRED_DAILY_COLUMNS, channel_frame, daily_frame, incremental, summarize
from sim.limits import LIMIT_COLUMNS, limit_rows, limit_summary
from sim.model import CampaignModel
from sim.rules import COLUMNS as RULE_COLUMNS
from sim.scenario import Scenario
from sim.targets import hit_columns
from sim.uncertainty import with_parameter_draw


def rules_frame(records: list[dict] | None = None) -> pd.DataFrame:
    """The tidy table of rule actions taken: one row per (day, rule, action) that fired."""
    recs = records or []
    return pd.DataFrame(
        {
            "day": np.array([r["day"] for r in recs], dtype=np.int64),
            "rule": pd.array([r["rule"] for r in recs], dtype="string"),
            "action": pd.array([r["action"] for r in recs], dtype="string"),
            "target": pd.array([r["target"] for r in recs], dtype="string"),
            "value_before": np.array([r["value_before"] for r in recs], dtype=np.float64),
            "value_after": np.array([r["value_after"] for r in recs], dtype=np.float64),
        },
        columns=list(RULE_COLUMNS),
    )


@dataclass
class RunResult:
    daily: pd.DataFrame
    channels: pd.DataFrame
    summary: dict[str, float]
    limits: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(LIMIT_COLUMNS)))
    rules: pd.DataFrame = field(default_factory=rules_frame)  # rule actions taken (sim.rules)


@dataclass
class Replications:
    """Tidy frames keyed by ``replication``."""

    daily: pd.DataFrame
    channels: pd.DataFrame
    summary: pd.DataFrame
    seeds: list[dict]
    limits: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["replication", *LIMIT_COLUMNS])
    )
    rules: pd.DataFrame = field(default_factory=lambda: rules_frame().assign(replication=0).iloc[:0])


#: Extra per-run measurements read off the finished model, merged into the summary row
#: (e.g. the validation suite's state measures); a module-level function, so it pickles.
Probe = Callable[[CampaignModel], dict[str, float]]


def run_model(
    scenario: Scenario,
    seed: np.random.SeedSequence | int | None = None,
    agents: bool | None = False,
    baseline: bool | None = None,
    probe: Probe | None = None,
) -> RunResult:
    """Build and run one model to its horizon, and (``baseline``, default
    ``scenario.baseline``) its campaign-off counterfactual from the same seed: the summary then
    carries the incremental KPIs and the daily table ``baseline_*`` columns; with
    ``scenario.targets`` it carries ``hit_<kpi>`` (1.0 when the run meets the target). The
    limits that bound (:mod:`sim.limits`) are in ``limits`` and the summary's limit columns. Agent objects are
    off by default: they are views for interactive use and never change the numbers. ``probe``
    adds measurements of the finished campaign model to the summary."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    scenario = with_parameter_draw(scenario, ss)  # calibrated scenarios: one posterior draw per run
    paired = scenario.baseline if baseline is None else baseline
    model, daily, channels, gross = _run_arm(scenario, _fresh(ss), agents, probe)
    base = None
    if paired:  # as many days as the campaign arm, whose rules may have extended or ended it
        _, base_daily, _, base = _run_arm(campaign_off(scenario), _fresh(ss), False, horizon=model.horizon)
        for col, name in zip(BASELINE_DAILY, PAIRED_DAILY_COLUMNS, strict=True):
            daily[name] = base_daily[col].to_numpy()
    limits = limit_rows(scenario, daily, channels)
    summary = {**gross, **incremental(gross, base), **limit_summary(limits, scenario)}
    summary.update(hit_columns(summary, scenario.targets))  # hit_<kpi>: 1.0 if the target is met
    summary.update(model.rulebook.fire_counts())  # rule_fires.<rule>
    return RunResult(
        daily,
        channels,
        summary,
        limits=pd.DataFrame(limits, columns=list(LIMIT_COLUMNS)),
        rules=rules_frame(model.rulebook.records),
    )


def _fresh(ss: np.random.SeedSequence) -> np.random.SeedSequence:
    """A copy that has spawned nothing yet, so both arms draw the same streams even when the
    model spawns children from its seed."""
    return np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key, pool_size=ss.pool_size)


def _run_arm(
    scenario: Scenario,
    ss: np.random.SeedSequence,
    agents: bool | None,
    probe: Probe | None = None,
    horizon: int | None = None,
) -> tuple[CampaignModel, pd.DataFrame, pd.DataFrame, dict[str, float]]:
    model = CampaignModel(scenario, seed=ss, agents=agents, horizon=horizon)
    model.run()
    daily = daily_frame(model)
    summary = summarize(model, daily)
    if probe is not None:
        summary.update(probe(model))
    return model, daily, channel_frame(model), summary


def seed_record(ss: np.random.SeedSequence) -> dict:
    return {"entropy": str(ss.entropy), "spawn_key": list(ss.spawn_key)}


def spawn_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(seed).spawn(n)


def _run_batch(
    scenario: Scenario, items: list[tuple[int, np.random.SeedSequence]], probe: Probe | None = None
) -> list[tuple[int, RunResult]]:
    from sim.lifeline import watch_parent

    watch_parent()  # a worker whose driving process died exits instead of running on
    return [(r, run_model(scenario, ss, probe=probe)) for r, ss in items]


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int = 0,
    jobs: int = 1,
    on_done: Callable[[int], None] | None = None,
    backend: str | None = None,
    probe: Probe | None = None,
    done: dict[int, RunResult] | None = None,
    on_result: Callable[[int, RunResult], None] | None = None,
) -> Replications:
    """Run ``replications`` independent runs; ``on_done(k)`` is called as k more finish.
    Refuses up front (SpecError) when the runs cannot fit in memory. ``done``: replications
    already computed (a resumed run), not run again; ``on_result(r, result)`` is called as
    each finishes (to keep it)."""
    from sim.lifeline import lifeline
    from sim.resources import check_memory

    check_memory(scenario, min(jobs, replications) if jobs > 0 else 1)
    seeds = spawn_seeds(seed, replications)
    results: dict[int, RunResult] = dict(done or {})
    batches = _batches([(r, ss) for r, ss in enumerate(seeds) if r not in results], jobs)
    with lifeline(backend):  # workers exit if this process dies
        parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", backend=backend)
        for batch in parallel(delayed(_run_batch)(scenario, b, probe) for b in batches):
            for r, res in batch:
                results[r] = res
                if on_result is not None:
                    on_result(r, res)
            if on_done is not None:
                on_done(len(batch))
    return collect({r: results[r] for r in range(replications)}, seeds)


def _batches(items: list, jobs: int) -> Iterable[list]:
    """Several runs per task keep dispatch cheap; enough tasks keep workers busy."""
    size = max(1, len(items) // (4 * max(jobs, 1)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def collect(results: dict[int, RunResult], seeds: list[np.random.SeedSequence]) -> Replications:
    keys = sorted(results)
    daily = pd.concat([results[r].daily.assign(replication=r) for r in keys], ignore_index=True)
    channels = pd.concat([results[r].channels.assign(replication=r) for r in keys], ignore_index=True)
    limits = pd.concat([results[r].limits.assign(replication=r) for r in keys], ignore_index=True)
    summary = pd.DataFrame([{"replication": r, **results[r].summary} for r in keys])
    rules = pd.concat([results[r].rules.assign(replication=r) for r in keys], ignore_index=True)
    first = ["replication"]
    return Replications(
        daily=daily[first + [c for c in daily.columns if c != "replication"]],
        channels=channels[first + [c for c in channels.columns if c != "replication"]],
        summary=summary,
        seeds=[{"replication": r, **seed_record(seeds[r])} for r in keys],
        limits=limits[first + [c for c in limits.columns if c != "replication"]],
        rules=rules[first + [c for c in rules.columns if c != "replication"]],
    )
