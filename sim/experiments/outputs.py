"""Writing a study's analysis tables, figures and HTML report into its results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.experiments import plots
from sim.experiments.compare import Comparison
from sim.experiments.report import compare_page, sobol_blocks, sweep_page, thin_blocks
from sim.experiments.sobol import SobolResult
from sim.experiments.study import Sweep
from sim.experiments.thin import cell_warnings
from sim.report.stats import kpi_table
from sim.results import write_json, write_table

SURFACE = ("budget.total", "offer.bonus_bp")  # the planner's classic pair, when both are factors


def scalar_factors(sweep: Sweep) -> dict[str, str]:
    """Factor columns holding one value per run (not channel mixes) -> role."""
    return {n: f.role for n, f in sweep.exp.spec.factors.items() if not f.is_mix and n in sweep.plan.columns}


def surface_pair(sweep: Sweep) -> tuple[str, str] | None:
    factors = sweep.exp.spec.factors
    by_path = {f.paths[0]: n for n, f in factors.items() if not f.is_mix and len(f.paths) == 1}
    if all(p in by_path for p in SURFACE):
        return by_path[SURFACE[0]], by_path[SURFACE[1]]
    levers = [n for n, role in scalar_factors(sweep).items() if role == "lever"]
    return (levers[0], levers[1]) if len(levers) >= 2 else None


def sweep_figures(sweep: Sweep) -> dict[str, Path]:
    folder = sweep.out / "plots"
    folder.mkdir(exist_ok=True)
    runs = sweep.runs.merge(sweep.plan.drop(columns=["point", "replication", "key"]), on="run_id")
    if not (runs["status"] == "ok").any():
        return {}
    kpis = list(sweep.exp.spec.kpis)
    scalars = scalar_factors(sweep)
    out: dict[str, Path] = {}
    if scalars:
        for kpi in kpis[:2]:
            out[f"{kpi} by factor level"] = plots.lever_boxes(runs, scalars, kpi, folder / f"boxes_{kpi}.png")
    pair = surface_pair(sweep)
    if pair:
        kpi = kpis[0]
        out[f"Response surface: {pair[0]} x {pair[1]}"] = plots.response_surface(
            runs, pair[0], pair[1], kpi, folder / "response_surface.png"
        )
    levers = [n for n, role in scalars.items() if role == "lever"]
    by = levers[0] if levers else None
    out["Daily conversions"] = plots.fan_chart(sweep.daily, runs, by, folder / "fan_conversions.png")
    return out


def write_sweep(sweep: Sweep, sobol: SobolResult | None = None) -> Path:
    """Figures and report.html; with a Sobol result also its tables and figures."""
    figs = sweep_figures(sweep)
    extra = thin_blocks(cell_warnings(sweep))
    if sobol is not None:
        figs = {**sobol_figures(sweep.out, sobol), **figs}
        extra += sobol_blocks(sobol.indices, sobol.variance, sobol.warnings)
    ok = sweep.runs[sweep.runs["status"] == "ok"]
    summary = kpi_table(ok)
    summary = summary[summary["kpi"].isin(sweep.exp.spec.kpis)]
    spec = sweep.exp.spec
    return sweep_page(
        sweep.out,
        spec.name,
        spec.description,
        sweep.manifest,
        summary,
        sweep.failures,
        figs,
        extra,
        currency=str(sweep.exp.base.get("currency", "")),
    )


def write_sobol_tables(out: Path, result: SobolResult) -> None:
    write_table(out, "sensitivity", result.indices)
    write_table(out, "convergence", result.convergence)
    write_table(out, "variance", result.variance)
    if not result.s2.empty:
        write_table(out, "sensitivity_s2", result.s2)
    write_json(out / "warnings.json", result.warnings)


def sobol_figures(out: Path, result: SobolResult) -> dict[str, Path]:
    folder = out / "plots"
    folder.mkdir(exist_ok=True)
    if result.indices.empty:
        return {}
    figs = {
        "Sobol indices (S1, ST) with confidence intervals": plots.sensitivity_bars(
            result.indices, folder / "sensitivity.png"
        )
    }
    for kpi in dict.fromkeys(result.indices["kpi"]):
        figs[f"Convergence: {kpi}"] = plots.convergence(
            result.convergence, kpi, folder / f"convergence_{kpi}.png"
        )
        if not result.s2.empty:
            figs[f"S2: {kpi}"] = plots.s2_heatmap(result.s2, kpi, folder / f"s2_{kpi}.png")
    return figs


def write_comparison(out: Path, cmp: Comparison, manifest: dict[str, Any], kpis: list[str]) -> Path:
    """Tables (runs, options, paired, best, risk, targets), figures and report.html."""
    write_table(out, "runs", cmp.runs)
    write_table(out, "options", cmp.kpis)
    if len(cmp.paired):
        write_table(out, "comparison", cmp.paired)
    write_table(out, "best", cmp.best)
    write_table(out, "risk", cmp.risk)
    if len(cmp.targets):
        write_table(out, "targets", cmp.targets)
    write_table(out, "daily", cmp.daily, csv=False)
    write_json(out / "manifest.json", {**manifest, "verdict": cmp.verdict, "warnings": cmp.warnings})
    folder = out / "plots"
    folder.mkdir(exist_ok=True)
    figs = {
        "Distributions and paired differences against the first option": plots.compare_distributions(
            cmp.runs, kpis, folder / "compare.png", cmp.currency
        )
    }
    daily = cmp.daily.assign(run_id=cmp.daily["option"] + "|" + cmp.daily["replication"].astype(str))
    runs = daily.drop_duplicates("run_id")[["run_id", "option"]]
    figs["Daily conversions per option"] = plots.fan_chart(
        daily, runs, "option", folder / "fan_conversions.png"
    )
    return compare_page(out, " vs ".join(cmp.options), cmp, manifest, kpis, figs)
