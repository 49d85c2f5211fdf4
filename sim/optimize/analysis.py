"""Around the recommended plan: response curves along each lever, marginal ROI per channel.

Response curves: each scalar lever in turn takes ``analysis.curve_points`` values across
its bounds (its levels, or evenly spaced and snapped to its step), every other lever held
at the search's best plan; each point runs R replications with common random numbers (the
same seeds as the search, so the curve passes exactly through the search's value). The
curve shows how flat the optimum is and where a constraint starts to bind, and doubles as
a local check: a curve point that meets the constraints and beats the search's best joins
the re-evaluation (a coordinate step the sampler may have missed in few trials).

Marginal ROI of channel c at the recommended plan: the net value one more unit of money
in channel c returns after paying for itself,

    mROI_c = (NV(plan + delta in c) - NV(plan)) / delta,

with ``delta = analysis.marginal_share`` x the plan's marketing money. The budget total
and marketing share are raised together so that exactly ``delta`` more goes to marketing
(the incentive pool and every other channel's money stay as they are): with spendable
money S = total (1 - reserve) - fixed costs and marketing M = S x share,
``total' = (S + delta + fixed) / (1 - reserve)``, ``share' = (M + delta) / (S + delta)``,
``budget_share'_c = (share_c M + delta) / (M + delta)``, others ``share_j M / (M + delta)``.
Paired replications (same seed) give the median and 90% interval. Above zero, moving
money into that channel pays; the channels' differences show where the next unit should go.
NV is the incremental net value (against the campaign-off baseline) when available.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.edits import edited
from sim.experiments.spec import Design, Experiment, ExperimentSpec, Factor
from sim.experiments.store import RunStore
from sim.optimize.evaluate import run_candidates, score
from sim.optimize.spec import Optimization


def curve_values(opt: Optimization, name: str) -> list[Any]:
    lv = opt.spec.levers[name]
    if lv.levels:
        return list(lv.levels)
    n = opt.spec.analysis.curve_points
    xs = np.linspace(lv.low, lv.high, n)
    if lv.step:
        xs = lv.low + np.round((xs - lv.low) / lv.step) * lv.step
    xs = sorted(set(np.round(xs, 9).tolist()))
    return [round(x) for x in xs] if opt.is_int(name) else xs


def response_curves(
    opt: Optimization,
    rec: dict[str, Any],
    store: RunStore,
    workers: int,
    on_done: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """(table, lever values per row): one row per (lever, value) with objective, constraint
    estimates and feasibility, the other levers at ``rec``'s values; ``at_center`` marks
    ``rec``'s own value."""
    if opt.spec.analysis.curve_points == 0:
        return pd.DataFrame(), []
    labels, values = [], []
    for name, lv in opt.spec.levers.items():
        if lv.is_mix:
            continue
        for x in curve_values(opt, name):
            labels.append((name, x))
            values.append({**rec, name: x})
    if not values:
        return pd.DataFrame(), []
    runs = run_candidates(opt.experiment(), values, store, workers, on_done)
    table = score(opt, runs)
    table.insert(0, "lever", [n for n, _ in labels])
    table.insert(1, "value", [float(x) if not isinstance(x, str) else np.nan for _, x in labels])
    table.insert(2, "level", [str(x) for _, x in labels])
    table["at_center"] = [rec[n] == x for n, x in labels]
    return table.drop(columns=["point"]), values


def marginal_values(base: dict[str, Any], share: float) -> tuple[list[dict[str, Any]], list[str], float]:
    """Design values (total, marketing share, channel shares) of the plan and of the plan
    with ``share`` x marketing money more in each channel; returns (values, channels, delta)."""
    b = base["budget"]
    total, fixed = float(b["total"]), float(b.get("fixed_costs", 0.0))
    reserve, mshare = float(b.get("risk_reserve_share", 0.0)), float(b.get("marketing_share", 0.5))
    spendable = total * (1 - reserve) - fixed
    m = spendable * mshare
    delta = share * m
    channels = list(base["channels"])
    shares = {c: float(base["channels"][c].get("budget_share", 0.0)) for c in channels}
    out = [{"total": total, "marketing": mshare, "mix": shares}]
    for c in channels:
        new = {j: (s * m + (delta if j == c else 0.0)) / (m + delta) for j, s in shares.items()}
        out.append(
            {
                "total": (spendable + delta + fixed) / (1 - reserve),
                "marketing": (m + delta) / (spendable + delta),
                "mix": new,
            }
        )
    return out, channels, delta


def marginal_roi(
    opt: Optimization,
    rec: dict[str, Any],
    store: RunStore,
    workers: int,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Per channel: marketing money added, median and 90% interval of the paired marginal ROI."""
    share = opt.spec.analysis.marginal_share
    if share <= 0:
        return pd.DataFrame()
    base = edited(opt.experiment().spec, opt.base, rec)
    values, channels, delta = marginal_values(base, share)
    reps = opt.spec.analysis.marginal_replications or opt.spec.confirm.replications
    spec = ExperimentSpec(
        name=f"{opt.spec.name}_marginal",
        scenario=opt.spec.scenario,
        seed=opt.spec.seed,
        replications=reps,
        design=Design(kind="lhs", n=1),
        factors={
            "total": Factor(role="lever", path="budget.total", low=0, high=1),
            "marketing": Factor(role="lever", path="budget.marketing_share", low=0, high=1),
            "mix": Factor(role="lever", channels=tuple(channels)),
        },
    )
    runs = run_candidates(
        Experiment(spec, opt.source, opt.scenario_file, base), values, store, workers, on_done
    )
    kpi = (
        "incremental_net_value"
        if np.isfinite(runs["incremental_net_value"].to_numpy(float)).any()
        else "net_value"
    )
    wide = runs.pivot(index="replication", columns="point", values=kpi)
    rows = []
    for i, c in enumerate(channels, start=1):
        m = ((wide[i] - wide[0]) / delta).to_numpy(float)
        m = m[np.isfinite(m)]
        q = np.percentile(m, [5, 50, 95]) if m.size else [np.nan] * 3
        rows.append(
            {
                "channel": c,
                "share": values[0]["mix"][c],
                "added_money": delta,
                "kpi": kpi,
                "marginal_roi": q[1],
                "p05": q[0],
                "p95": q[2],
                "p_positive": float((m > 0).mean()) if m.size else np.nan,
                "replications": int(m.size),
            }
        )
    return pd.DataFrame(rows)
