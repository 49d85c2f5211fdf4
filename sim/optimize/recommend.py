"""From the search to a recommendation: re-evaluate the best, compare with the base plan.

The search ranks candidates on R replications, so its best is partly luck (the winner's
curse). The ``confirm.top`` best candidates that met the constraints (for two objectives:
members of the feasible Pareto front, best first by the first objective) and the base plan
run again with ``confirm.replications`` replications, common random numbers throughout.
The recommendation is the best confirmed candidate that still meets every constraint, and
states how sure it is:

* the objective with a 90% bootstrap interval of its statistic (and the 5th-95th
  percentile of outcomes);
* each constraint's estimate with its 90% Wilson interval and the posterior probability
  that the limit is met;
* P(better than the base plan): the share of paired replications (same seed) in which the
  recommended plan's KPI beats the base plan's, in the objective's direction, with its
  Wilson interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.store import RunStore
from sim.optimize.evaluate import bootstrap_interval, paired_better, run_candidates, score
from sim.optimize.levers import base_values
from sim.optimize.search import BASE, pareto_front
from sim.optimize.spec import Objective, Optimization


@dataclass
class Recommendation:
    values: dict[str, Any]  # lever values of the recommended plan
    label: str  # "trial 31", or "curve budget = 10000000" for a response-curve point
    trial: int  # -1 for a curve point
    objective: float
    objective_interval: tuple[float, float]  # 90% bootstrap interval of the statistic
    outcomes: tuple[float, float]  # 5th-95th percentile of the objective KPI
    base_objective: float
    p_better: dict[str, float]  # p_better, lower, upper, pairs
    constraints: pd.DataFrame  # constraint, limit, value, lower, upper, p_met, met
    feasible: bool
    replications: int
    notes: list[str] = field(default_factory=list)


def kpi_direction(o: Objective) -> str:
    """Direction in which the objective's KPI itself is better (a probability objective
    such as minimise P(ROI < 0) prefers a higher ROI)."""
    if o.statistic in ("median", "mean"):
        return o.direction
    higher_fewer = o.statistic == "p_below"  # fewer values below a threshold: higher is better
    return "maximize" if (o.direction == "minimize") == higher_fewer else "minimize"


def shortlist(opt: Optimization, trials: pd.DataFrame) -> pd.DataFrame:
    """The trials to re-evaluate, best first."""
    done = trials[(trials["state"] == "complete") & (trials["source"] != BASE)] if len(trials) else trials
    if done.empty:
        return done
    feasible = done[done["feasible"]]
    spec = opt.spec
    if spec.second_objective is not None and len(feasible):
        feasible = pareto_front(feasible, ["objective", "objective_2"], spec.directions)
    pool = feasible
    if pool.empty:  # nothing met the constraints: the least violating
        slack = done.filter(like="_slack").clip(lower=0).sum(axis=1)
        pool = done.assign(_v=slack).sort_values("_v").head(spec.confirm.top).drop(columns="_v")
    ascending = spec.objective.direction == "minimize"
    pool = pool.sort_values("objective", ascending=ascending)
    return pool.head(spec.confirm.top)


def confirm(
    opt: Optimization,
    candidates: list[tuple[str, int, dict[str, Any]]],
    store: RunStore,
    workers: int,
    on_done: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(confirmed table, their runs): the base plan (row 0) and ``candidates`` (label, trial
    or -1, lever values), with ``confirm.replications`` replications each."""
    labels = [BASE, *[c[0] for c in candidates]]
    values = [base_values(opt), *[c[2] for c in candidates]]
    exp = opt.experiment(opt.spec.confirm.replications)
    runs = run_candidates(exp, values, store, workers, on_done)
    table = score(opt, runs)
    table.insert(0, "candidate", labels)
    table.insert(1, "trial", [-1, *[c[1] for c in candidates]])
    o = opt.spec.objective
    base_kpi = runs[runs["point"] == 0].set_index("replication")[o.kpi]
    extra = []
    for point, g in runs.groupby("point", sort=True):
        x = g[o.kpi].to_numpy(float)
        lo, hi = bootstrap_interval(x, o, seed=opt.spec.seed + int(point))
        finite = x[np.isfinite(x)]
        q = np.percentile(finite, [5, 95]) if finite.size else (np.nan, np.nan)
        mine = g.set_index("replication")[o.kpi].reindex(base_kpi.index).to_numpy()
        pb = paired_better(mine, base_kpi.to_numpy(), kpi_direction(o))
        if point == 0:  # the base plan against itself
            pb = {"p_better": np.nan, "lower": np.nan, "upper": np.nan}
        extra.append(
            {
                "objective_lower": lo,
                "objective_upper": hi,
                "outcome_p05": q[0],
                "outcome_p95": q[1],
                "p_better_than_base": pb["p_better"],
                "p_better_lower": pb["lower"],
                "p_better_upper": pb["upper"],
            }
        )
    table = pd.concat([table, pd.DataFrame(extra)], axis=1)
    table["values"] = values
    return table, runs


def recommend(opt: Optimization, confirmed: pd.DataFrame) -> Recommendation | None:
    """The best confirmed candidate that meets every constraint (else the least violating)."""
    cands = confirmed[confirmed["candidate"] != BASE]
    if cands.empty:
        return None
    notes = []
    pool = cands[cands["feasible"]]
    if pool.empty:
        notes.append("no candidate met every constraint when re-evaluated; the least violating is shown")
        slack = cands.filter(like="_slack").clip(lower=0).sum(axis=1)
        pool = cands.assign(_v=slack).sort_values("_v").head(1)
    best = pool.sort_values("objective", ascending=opt.spec.objective.direction == "minimize").iloc[0]
    base = confirmed[confirmed["candidate"] == BASE].iloc[0]
    rows = []
    for i, c in enumerate(opt.spec.constraints):
        rows.append(
            {
                "constraint": c.label,
                "value": best[f"c{i}_value"],
                "lower": best[f"c{i}_lower"],
                "upper": best[f"c{i}_upper"],
                "p_met": best[f"c{i}_p_met"],
                "met": bool(best[f"c{i}_slack"] <= 0),
                "base_value": base[f"c{i}_value"],
            }
        )
    return Recommendation(
        values=best["values"],
        label=str(best["candidate"]),
        trial=int(best["trial"]),
        objective=float(best["objective"]),
        objective_interval=(float(best["objective_lower"]), float(best["objective_upper"])),
        outcomes=(float(best["outcome_p05"]), float(best["outcome_p95"])),
        base_objective=float(base["objective"]),
        p_better={
            "p_better": float(best["p_better_than_base"]),
            "lower": float(best["p_better_lower"]),
            "upper": float(best["p_better_upper"]),
        },
        constraints=pd.DataFrame(
            rows, columns=["constraint", "value", "lower", "upper", "p_met", "met", "base_value"]
        ),
        feasible=bool(best["feasible"]),
        replications=opt.spec.confirm.replications,
        notes=notes,
    )
