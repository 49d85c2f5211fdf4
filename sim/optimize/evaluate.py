"""Evaluating candidates: R replications each with common random numbers, stored as they
finish, then scored.

Replication ``r`` of every candidate runs from child ``r`` of ``SeedSequence(seed)``, as
in sweeps, so candidates differ by their levers rather than by random draws, and the
first R replications of a re-evaluation with more are the same runs (found in the store).
Runs go through :func:`sim.experiments.execute.run_batch` in batches on the active joblib
backend (loky or dask, opened once by the caller) and every batch is written to the
SQLite run store at once, so a killed optimisation loses only the runs in flight.

Scores of one candidate (pure functions of its runs):

* objective: the median or mean of a KPI over finite replications, or the share of
  replications with the KPI below / above a threshold;
* chance constraint ``P(event) <= max``: ``k`` events in ``n`` runs give ``p = k / n``, a
  90% Wilson interval and the posterior probability that the true risk is within the
  limit (Jeffreys prior, :func:`sim.experiments.probability.prob_at_most`); the search
  treats ``p - max`` as the constraint value (feasible when <= 0);
* statistic constraint (e.g. median budget used <= X): ``value - bound`` in the same sense.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from sim.experiments.design import DesignTable, flatten, run_plan
from sim.experiments.execute import Item, batch_size, run_batch
from sim.experiments.probability import prob_at_most, wilson
from sim.experiments.spec import Experiment
from sim.experiments.store import RunStore
from sim.kpis import SUMMARY_KPIS
from sim.optimize.spec import Constraint, Objective, Optimization


def run_candidates(
    exp: Experiment,
    values: list[dict[str, Any]],
    store: RunStore,
    workers: int,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Runs of every candidate (``point`` = its index in ``values``) of ``exp``'s factors
    and replications: point, replication, status, error and every summary KPI. Stored runs
    are not run again."""
    points = pd.DataFrame([flatten(v) for v in values]).assign(point=range(len(values)))
    plan = run_plan(exp, DesignTable(values, points, None, {}))
    done = store.finished()
    todo = plan.loc[~plan["key"].isin(done)].drop_duplicates("key")
    items: list[Item] = [
        (
            r.key,
            values[r.point],
            int(r.seed_entropy),
            tuple(int(k) for k in r.seed_spawn_key.strip("[]").split(",") if k.strip()),
        )
        for r in todo.itertuples()
    ]
    if items:
        size = batch_size(len(items), workers)
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        for records in Parallel(return_as="generator_unordered")(
            delayed(run_batch)(exp.spec, exp.base, b) for b in batches
        ):
            store.put(records)
            if on_done is not None:
                on_done(len(records))
    stored, _ = store.frames(plan["key"], SUMMARY_KPIS)
    runs = plan[["point", "replication", "key"]].merge(stored, on="key", how="left")
    return runs.drop(columns=["key", "seconds"]).sort_values(["point", "replication"], ignore_index=True)


def statistic(x: np.ndarray, objective: Objective) -> float:
    """The objective's statistic of one candidate's KPI values (non-finite values left out;
    NaN when none is left)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan")
    if objective.statistic == "median":
        return float(np.median(x))
    if objective.statistic == "mean":
        return float(x.mean())
    if objective.statistic == "p_below":
        return float((x < objective.threshold).mean())
    return float((x > objective.threshold).mean())


def events(x: np.ndarray, c: Constraint) -> np.ndarray:
    """Per finite replication, whether the constraint's event happened."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return x < c.below if c.below is not None else x > c.above


def constraint_score(x: np.ndarray, c: Constraint) -> dict[str, float]:
    """``value`` (the estimate: a probability or a statistic), ``lower`` / ``upper`` (90%
    Wilson interval for a probability), ``p_met`` (posterior P(limit met); 1 or 0 for a
    statistic bound), ``slack`` (<= 0 when met, the search's constraint value), ``n``."""
    if c.is_chance:
        e = events(x, c)
        n, k = int(e.size), int(e.sum())
        if n == 0:
            return {"value": np.nan, "lower": np.nan, "upper": np.nan, "p_met": 0.0, "slack": 1.0, "n": 0}
        lo, hi = wilson(k, n)
        p = k / n
        return {
            "value": p,
            "lower": lo,
            "upper": hi,
            "p_met": prob_at_most(k, n, c.max_probability),
            "slack": p - c.max_probability,
            "n": n,
        }
    xs = np.asarray(x, dtype=float)
    xs = xs[np.isfinite(xs)]
    v = float(np.median(xs) if c.statistic == "median" else xs.mean()) if xs.size else np.nan
    slack = (v - c.at_most) if c.at_most is not None else (c.at_least - v)
    scale = max(abs(c.at_most if c.at_most is not None else c.at_least), 1.0)
    slack = slack / scale if np.isfinite(slack) else 1.0
    return {
        "value": v,
        "lower": np.nan,
        "upper": np.nan,
        "p_met": float(slack <= 0),
        "slack": slack,
        "n": int(xs.size),
    }


def score(opt: Optimization, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate (``point``): runs, failed, objective(s), per constraint
    ``c<i>_value`` / ``_lower`` / ``_upper`` / ``_p_met`` / ``_slack``, and ``feasible``
    (every constraint met by its estimate)."""
    spec = opt.spec
    rows = []
    for point, g in runs.groupby("point", sort=True):
        ok = g[g["status"] == "ok"]
        row: dict[str, Any] = {"point": point, "runs": len(ok), "failed": int((g["status"] != "ok").sum())}
        row["error"] = "" if len(ok) else str(g["error"].iloc[0])
        row["objective"] = (
            statistic(ok[spec.objective.kpi].to_numpy(float), spec.objective) if len(ok) else np.nan
        )
        if spec.second_objective is not None:
            so = spec.second_objective
            row["objective_2"] = statistic(ok[so.kpi].to_numpy(float), so) if len(ok) else np.nan
        feasible = bool(len(ok))
        for i, c in enumerate(spec.constraints):
            s = constraint_score(ok[c.kpi].to_numpy(float), c)
            row.update({f"c{i}_{k}": v for k, v in s.items() if k != "n"})
            feasible &= s["slack"] <= 0
        row["feasible"] = feasible
        rows.append(row)
    return pd.DataFrame(rows)


def paired_better(cand: np.ndarray, base: np.ndarray, direction: str) -> dict[str, float]:
    """Share of replications (same seeds) in which the candidate's KPI beats the base's in
    ``direction``, with its 90% Wilson interval; pairs with a non-finite side are left out."""
    cand, base = np.asarray(cand, float), np.asarray(base, float)
    keep = np.isfinite(cand) & np.isfinite(base)
    d = (cand - base)[keep] * (1 if direction == "maximize" else -1)
    n, k = int(d.size), float((d > 0).sum() + 0.5 * (d == 0).sum())
    lo, hi = wilson(k, n)
    return {"p_better": k / n if n else np.nan, "lower": lo, "upper": hi, "pairs": n}


def bootstrap_interval(
    x: np.ndarray, objective: Objective, seed: int, resamples: int = 1000
) -> tuple[float, float]:
    """90% percentile-bootstrap interval of the objective's statistic over replications."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    stats = [statistic(rng.choice(x, x.size, replace=True), objective) for _ in range(resamples)]
    lo, hi = np.percentile(stats, [5, 95])
    return float(lo), float(hi)
