"""The optimisation report: verdict sentence, recommendation, constraints, figures, tables.

Numbers are formatted by :mod:`sim.report.format` (money with currency and K/M/B,
percentages, never scientific notation).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.experiments.report import para, table, write_page
from sim.report import format as fmt
from sim.report.html import embed_png
from sim.report.plots import save_png, subplots

if TYPE_CHECKING:
    from sim.optimize.spec import Lever, Objective, Optimization
    from sim.optimize.workflow import OptimizeResult


def lever_text(lever: Lever, value: Any, currency: str) -> str:
    """A lever's value as a planner reads it."""
    if isinstance(value, dict):
        return ", ".join(f"{c} {fmt.percent(s, 0)}" for c, s in value.items())
    if isinstance(value, str | bool) or value is None:
        return str(value)
    path = lever.paths[0]
    if lever.op == "scale":
        return f"x{fmt.number(value, 2)}"
    if path.endswith("_bp"):
        return f"{fmt.number(value, 0)} bp"
    if path.endswith("days"):
        return f"{fmt.number(value, 0)} days"
    if path.endswith("share"):
        return fmt.percent(value, 0)
    if any(w in path for w in ("budget", "reward", "cashback", "amount", "cost")):
        return fmt.money(value, currency)
    return fmt.count(value) if float(value).is_integer() else fmt.number(value, 2)


def objective_text(o: Objective, v: float, currency: str) -> str:
    if o.statistic in ("p_below", "p_above"):
        return fmt.percent(v, 1)
    return fmt.kpi(o.kpi, v, currency)


def levers_sentence(opt: Optimization, values: dict[str, Any], currency: str) -> str:
    return "; ".join(f"{n} {lever_text(lv, values[n], currency)}" for n, lv in opt.spec.levers.items())


def verdict(result: OptimizeResult) -> str:
    """One paragraph: the recommended levers, objective with interval, constraints, P(better)."""
    opt, rec = result.opt, result.recommendation
    cur = str(opt.base.get("currency", ""))
    if rec is None:
        return (
            "No candidate other than the base plan was evaluated successfully: see the trial table "
            "(errors) and raise --trials."
        )
    o = opt.spec.objective
    lo, hi = rec.objective_interval
    text = (
        f"Recommended plan ({rec.label}): {levers_sentence(opt, rec.values, cur)}. "
        f"Its {o.label} is {objective_text(o, rec.objective, cur)} (90% interval "
        f"{objective_text(o, lo, cur)} to {objective_text(o, hi, cur)}, {rec.replications} replications) "
        "against "
        f"{objective_text(o, rec.base_objective, cur)} for the base plan; it beats the base plan in "
        f"{fmt.percent(rec.p_better['p_better'], 0)} of paired replications "
        f"({fmt.percent(rec.p_better['lower'], 0)} to {fmt.percent(rec.p_better['upper'], 0)})."
    )
    for r in rec.constraints.itertuples():
        if np.isfinite(r.lower):
            text += (
                f" {r.constraint}: estimated {fmt.percent(r.value, 1)} ({fmt.percent(r.lower, 0)} to "
                f"{fmt.percent(r.upper, 0)}), P(limit met) {fmt.percent(r.p_met, 0)}."
            )
        else:
            kpi = opt.spec.constraints[r.Index].kpi
            text += f" {r.constraint}: {fmt.kpi(kpi, r.value, cur)} ({'met' if r.met else 'not met'})."
    if not rec.feasible:
        text += " It does NOT meet every constraint: no candidate did when re-evaluated."
    elif rec.p_better["p_better"] < 0.5:
        text += (
            " It is not reliably better than the base plan: keep the base plan unless other reasons say so."
        )
    return text


def history_plot(result: OptimizeResult, path: Path) -> Path:
    t = result.trials
    o = result.opt.spec.objective
    fig, ax = subplots(figsize=(8, 3.8))
    if len(t):
        ok = t[t["state"] == "complete"]
        feas = ok[ok["feasible"]]
        ax.scatter(ok["trial"], ok["objective"], s=14, color="lightgrey", label="infeasible")
        ax.scatter(feas["trial"], feas["objective"], s=16, label="meets the constraints")
        if len(feas):
            best = feas.sort_values("trial")["objective"]
            best = best.cummax() if o.direction == "maximize" else best.cummin()
            ax.step(
                feas.sort_values("trial")["trial"], best, where="post", color="black", label="best so far"
            )
    unit = "percent" if o.statistic.startswith("p_") else fmt.unit_of(o.kpi)
    fmt.format_axis(ax, y=unit)
    ax.set(xlabel="trial", ylabel=fmt.axis_label(o.label, unit, str(result.opt.base.get("currency", ""))))
    ax.legend(fontsize=8)
    return save_png(fig, path, dpi=100)


def curves_plot(result: OptimizeResult, path: Path) -> Path | None:
    c = result.curves
    if c.empty:
        return None
    o = result.opt.spec.objective
    levers = list(dict.fromkeys(c["lever"]))
    fig, axes = subplots(1, len(levers), figsize=(3.6 * len(levers), 3.4), squeeze=False)
    unit = "percent" if o.statistic.startswith("p_") else fmt.unit_of(o.kpi)
    for ax, name in zip(axes[0], levers, strict=True):
        d = c[c["lever"] == name]
        x = d["value"] if d["value"].notna().all() else pd.Series(range(len(d)), index=d.index)
        ax.plot(x, d["objective"], marker="o", color="tab:blue")
        bad = d[~d["feasible"]]
        ax.scatter(x[bad.index], bad["objective"], color="red", zorder=3, label="breaks a constraint")
        rec = d[d["at_center"]]
        ax.scatter(
            x[rec.index], rec["objective"], s=90, facecolors="none", edgecolors="black", label="search's best"
        )
        ax.set_title(name, fontsize=9)
        fmt.format_axis(ax, y=unit)
    axes[0, 0].set_ylabel(fmt.axis_label(o.label, unit, str(result.opt.base.get("currency", ""))), fontsize=8)
    axes[0, 0].legend(fontsize=7)
    return save_png(fig, path, dpi=100)


def marginal_plot(result: OptimizeResult, path: Path) -> Path | None:
    m = result.marginal
    if m.empty:
        return None
    fig, ax = subplots(figsize=(7, 3.4))
    pos = np.arange(len(m))
    err = np.vstack([m["marginal_roi"] - m["p05"], m["p95"] - m["marginal_roi"]])
    ax.barh(pos, m["marginal_roi"], xerr=err, capsize=3, color="tab:green")
    ax.set_yticks(pos, m["channel"])
    ax.axvline(0, color="black", lw=0.8)
    fmt.format_axis(ax, x="percent")
    ax.set_xlabel("marginal ROI: net value per unit of extra money (%; 90% interval)")
    return save_png(fig, path, dpi=100)


def pareto_plot(result: OptimizeResult, path: Path) -> Path | None:
    spec = result.opt.spec
    if spec.second_objective is None or result.trials.empty:
        return None
    t = result.trials[result.trials["state"] == "complete"]
    fig, ax = subplots(figsize=(6.5, 4))
    ax.scatter(t["objective"], t["objective_2"], s=12, color="lightgrey", label="trials")
    if len(result.pareto):
        p = result.pareto.sort_values("objective")
        ax.plot(p["objective"], p["objective_2"], marker="o", color="tab:red", label="Pareto front")
    o1, o2 = spec.objective, spec.second_objective
    cur = str(result.opt.base.get("currency", ""))
    u1 = "percent" if o1.statistic.startswith("p_") else fmt.unit_of(o1.kpi)
    u2 = "percent" if o2.statistic.startswith("p_") else fmt.unit_of(o2.kpi)
    fmt.format_axis(ax, x=u1, y=u2)
    ax.set(xlabel=fmt.axis_label(o1.label, u1, cur), ylabel=fmt.axis_label(o2.label, u2, cur))
    ax.legend(fontsize=8)
    return save_png(fig, path, dpi=100)


def constraints_table(opt: Optimization, c: pd.DataFrame, cur: str) -> pd.DataFrame:
    """The recommendation's constraints as planner text (probabilities as percentages)."""
    rows = []
    for i, r in enumerate(c.itertuples()):
        con = opt.spec.constraints[i]
        f = (lambda v: fmt.percent(v, 1)) if con.is_chance else (lambda v, k=con.kpi: fmt.kpi(k, v, cur))
        rows.append(
            {
                "constraint": r.constraint,
                "estimate": f(r.value),
                "90% interval": f"{f(r.lower)} to {f(r.upper)}" if con.is_chance else fmt.MISSING,
                "P(limit met)": fmt.percent(r.p_met, 0),
                "met": "yes" if r.met else "NO",
                "base plan": f(r.base_value),
            }
        )
    return pd.DataFrame(rows)


def confirmed_table(opt: Optimization, c: pd.DataFrame, cur: str) -> pd.DataFrame:
    o = opt.spec.objective
    return pd.DataFrame(
        {
            "candidate": c["candidate"],
            o.label: [objective_text(o, v, cur) for v in c["objective"]],
            "90% interval": [
                f"{objective_text(o, a, cur)} to {objective_text(o, b, cur)}"
                for a, b in zip(c["objective_lower"], c["objective_upper"], strict=True)
            ],
            "P(better than base plan)": [fmt.percent(v, 0) for v in c["p_better_than_base"]],
            "meets the constraints": ["yes" if v else "no" for v in c["feasible"]],
            "replications": c["runs"],
        }
    )


def marginal_table(m: pd.DataFrame, cur: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": m["channel"],
            "budget share": [fmt.percent(v, 1) for v in m["share"]],
            "money added": [fmt.money(v, cur) for v in m["added_money"]],
            "marginal ROI": [fmt.percent(v, 0) for v in m["marginal_roi"]],
            "90% interval": [
                f"{fmt.percent(a, 0)} to {fmt.percent(b, 0)}" for a, b in zip(m["p05"], m["p95"], strict=True)
            ],
            "P(pays)": [fmt.percent(v, 0) for v in m["p_positive"]],
        }
    )


def write_report(result: OptimizeResult) -> Path:
    opt, out = result.opt, result.out
    cur = str(opt.base.get("currency", ""))
    folder = out / "plots"
    folder.mkdir(exist_ok=True)
    figs = {
        "Search history": history_plot(result, folder / "history.png"),
        "Response curves around the search's best plan": curves_plot(result, folder / "curves.png"),
        "Marginal ROI per channel at the recommended plan": marginal_plot(
            result, folder / "marginal_roi.png"
        ),
        "Pareto front": pareto_plot(result, folder / "pareto.png"),
    }
    spec = opt.spec
    m = result.manifest
    blocks = [
        para(spec.description),
        para(
            f"{m['trials']['finished']} candidates ({m['trials']['feasible']} met the constraints), "
            f"{spec.replications} replications each with common random numbers; the best {spec.confirm.top} "
            f"re-evaluated with {spec.confirm.replications}; {m['runs_now']:,} runs now in "
            f"{fmt.number(m['wall_seconds'], 1)} s on {m['execution']['backend']} "
            f"x{m['execution']['jobs']} · "
            f"git {m.get('git_revision')}",
            "note",
        ),
        f"<p><b>{html.escape(verdict(result))}</b></p>",
    ]
    rec = result.recommendation
    if rec is not None:
        blocks += [para(n, "warn") for n in rec.notes]
        if len(rec.constraints):
            blocks += [
                "<h2>Constraints at the recommended plan</h2>",
                table(constraints_table(opt, rec.constraints, cur)),
            ]
    blocks += [
        "<h2>Re-evaluated candidates</h2>",
        table(confirmed_table(opt, result.confirmed, cur)),
        para(
            "The search's best candidates and the response-curve points that beat the search's best "
            "(a coordinate step), re-run with more replications beside the base plan.",
            "note",
        ),
    ]
    blocks += [f"<h2>{html.escape(t)}</h2>{embed_png(p)}" for t, p in figs.items() if p is not None]
    if len(result.marginal):
        blocks += [
            table(marginal_table(result.marginal, cur)),
            para(
                "Marginal ROI: net value the extra money returns after paying for itself, per unit of "
                "money, from paired replications. 0% with a zero-width interval: the channel could not "
                "spend the extra money (capacity or frequency caps bind), so nothing changed.",
                "note",
            ),
        ]
    blocks.append(
        para(
            "Objective intervals are 90% bootstrap intervals of the statistic over replications; "
            "probabilities carry 90% Wilson intervals and P(limit met) is the posterior probability "
            "(Jeffreys prior) that the true risk is within the limit. P(better than the base plan) is the "
            "share of paired replications (same seed) in which the recommended plan's KPI beats the base "
            "plan's. Files: trials, confirmed, "
            "pareto, curves, marginal_roi (parquet and CSV), recommended.toml (campaign-sim run takes it), "
            "optuna.sqlite and store.sqlite (resume with --resume), manifest.json.",
            "note",
        )
    )
    return write_page(out / "report.html", f"Optimisation: {spec.name}", blocks)
