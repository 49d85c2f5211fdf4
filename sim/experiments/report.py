"""Self-contained HTML reports of sweeps, Sobol analyses and comparisons.

Figures are PNG files in the results folder, embedded so the report opens anywhere.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.kpis import SUMMARY_KPIS
from sim.report import format as fmt
from sim.report.html import CSS, embed_png
from sim.results import atomic_write

#: Columns holding a KPI's value (their unit comes from the row's ``kpi``).
VALUE_COLUMNS = frozenset(
    {"median", "p05", "p95", "mean", "reference_median", "option_median", "a_median", "b_median"}
    | {"diff_median", "diff_p05", "diff_p95", "diff_mean", "value", "lower_value", "upper_value"}
)
#: Columns holding a probability or share.
PROBABILITY_COLUMNS = frozenset({"p", "lower", "upper", "p_best", "p_hit", "p_low", "p_high", "noise_share"})


def cell(column: str, v: object, kpi: str | None, currency: str) -> str:
    """One table cell as a planner reads it (:mod:`sim.report.format`; never scientific)."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        return html.escape(fmt.MISSING if v is None else str(v))
    if column in PROBABILITY_COLUMNS or column.startswith(("p_", "prob")):
        return fmt.percent(float(v), 1)
    if kpi is not None and column in VALUE_COLUMNS:
        return fmt.kpi(kpi, float(v), currency)
    if column in SUMMARY_KPIS:
        return fmt.kpi(column, float(v), currency)
    if isinstance(v, int | np.integer):
        return fmt.count(float(v))
    return fmt.number(float(v), 3)


def table(df: pd.DataFrame, currency: str = "") -> str:
    """An HTML table with every number formatted for planners (see :func:`cell`)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.to_dict(orient="records"):
        kpi = rec.get("kpi") if isinstance(rec.get("kpi"), str) else None
        rows.append(
            "<tr>" + "".join(f"<td>{cell(str(c), v, kpi, currency)}</td>" for c, v in rec.items()) + "</tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def para(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def write_page(path: Path, title: str, blocks: list[str]) -> Path:
    doc = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>campaign-sim: {html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>{''.join(blocks)}</body></html>"
    )
    atomic_write(path, lambda p: p.write_text(doc, encoding="utf-8"))
    return path


def header(manifest: dict[str, Any], description: str) -> list[str]:
    runs = manifest.get("runs", {})
    ex = manifest.get("execution", {})
    facts = (
        f"{manifest['design']['kind']} design · {manifest['design']['points']} points · "
        f"{manifest['design']['runs']} runs ({runs.get('ok')} ok, {runs.get('failed')} failed) · "
        f"{runs.get('executed_now')} run now in {runs.get('wall_seconds')} s on {ex.get('backend')} "
        f"x{ex.get('jobs')} · git {manifest.get('git_revision')}"
    )
    return [para(description), para(facts, "note")]


def failures_block(failures: pd.DataFrame) -> list[str]:
    if failures.empty:
        return []
    shown = failures.head(50)
    return [
        "<h2>Failed runs</h2>",
        para(
            f"{len(failures)} runs raised an error; they are recorded in failures.csv and excluded.", "warn"
        ),
        table(shown),
    ]


def figures(plots: dict[str, Path]) -> list[str]:
    return [f"<h2>{html.escape(t)}</h2>{embed_png(p)}" for t, p in plots.items()]


def sweep_page(
    out: Path,
    title: str,
    description: str,
    manifest: dict[str, Any],
    kpi_summary: pd.DataFrame,
    failures: pd.DataFrame,
    plots: dict[str, Path],
    extra: list[str] | None = None,
    currency: str = "",
) -> Path:
    blocks = [
        *header(manifest, description),
        *(extra or []),
        *failures_block(failures),
        "<h2>KPIs across all runs</h2>",
        table(kpi_summary, currency),
        *figures(plots),
        "<h2>Files</h2>",
        para(
            "design.parquet (one row per run: run_id, point, replication, run key, seed, factor values), "
            "runs.parquet (per-run status, error and every KPI), daily.parquet, failures.csv, "
            "sensitivity/convergence/variance tables for Sobol designs, base_scenario.toml, manifest.json "
            "(experiment, resolved base scenario, seeds, versions, git revision), "
            "store.sqlite (the resumable store).",
            "note",
        ),
    ]
    return write_page(out / "report.html", title, blocks)


def thin_blocks(warnings: list[str]) -> list[str]:
    """Thin-statistics warnings of a sweep, with what they mean."""
    if not warnings:
        return []
    return [
        "<h2>Thin statistics</h2>",
        *[para(w, "warn") for w in warnings],
        para(
            "A probability per design point (such as P(ROI < 0) in the loss map) is the share of that "
            "point's replications with a loss. With few replications the share is coarse (steps of 1/R) and "
            "its 90% Wilson interval is wide: 0 losses in 4 runs is compatible with a true risk of 40%.",
            "note",
        ),
    ]


def sobol_blocks(indices: pd.DataFrame, variance: pd.DataFrame, warnings: list[str]) -> list[str]:
    blocks = ["<h2>Sensitivity indices</h2>"]
    blocks += [para(w, "warn") for w in warnings]
    if warnings:
        blocks.append(
            para(
                "Why these warnings matter: Sobol indices split the variance of the point means between "
                "factors. When seed noise makes up most of that variance, the split is mostly noise. S1 is a "
                "share of variance and cannot be negative; an estimate below zero beyond its interval shows "
                "the estimator has not settled at this N. Both are fixed by more replications (which shrink "
                "the noise in each point mean) or a larger design.n (more base samples).",
                "note",
            )
        )
    blocks.append(table(indices.drop(columns=[c for c in ("base_samples", "dropped") if c in indices])))
    blocks.append(
        para(
            "S1: share of the output variance explained by the factor alone; ST: including all its "
            "interactions. ± values are bootstrap confidence half-widths. Outputs are means over "
            "replications run with common random numbers.",
            "note",
        )
    )
    blocks += [
        "<h2>Seed noise</h2>",
        table(variance),
        para(
            "noise_share: within-point (seed) variance over the variance of single runs; "
            "noise_share_of_means: the part of the analysed point means' variance that is still seed noise. "
            "A large value means more replications are needed before the indices mean much.",
            "note",
        ),
    ]
    return blocks


def compare_page(
    out: Path, title: str, cmp: Any, manifest: dict[str, Any], kpis: list[str], plots: dict[str, Path]
) -> Path:
    """The N-option comparison report: verdict, warnings, per-option KPIs, P(best), paired
    differences against the first option, loss risk, targets, figures."""
    cur = cmp.currency
    files = ", ".join(f"{o['name']} = {o['source']}" for o in manifest["options"])
    keep = lambda df: df[df["kpi"].isin(kpis)] if len(df) else df  # noqa: E731
    wide = keep(cmp.kpis).assign(
        interval=lambda d: [
            fmt.interval(a, b, fmt.unit_of(k), cur) for a, b, k in zip(d.p05, d.p95, d.kpi, strict=True)
        ]
    )[["option", "kpi", "median", "interval"]]
    blocks = [
        para(
            f"{len(cmp.options)} options ({files}); {manifest['replications']} replications each with common "
            f"random numbers (seed {manifest['seed']}) · git {manifest['git_revision']}",
            "note",
        ),
        f"<p><b>{html.escape(cmp.verdict)}</b></p>",
        *[para(w, "warn") for w in cmp.warnings],
        "<h2>KPIs per option (median and 90% interval of outcomes)</h2>",
        table(wide, cur),
        "<h2>P(best): share of replications in which each option is best</h2>",
        table(keep(cmp.best), cur),
        "<h2>Loss risk</h2>",
        table(cmp.risk.drop(columns=["thin"]), cur),
    ]
    if len(cmp.paired):
        cols = [
            "option",
            "reference",
            "kpi",
            "pairs",
            "diff_median",
            "diff_p05",
            "diff_p95",
            "p_better",
            "p_tie",
        ]
        blocks += [
            f"<h2>Paired differences against {html.escape(cmp.options[0])}</h2>",
            table(keep(cmp.paired)[cols], cur),
        ]
    if len(cmp.targets):
        cols = ["option", "target", "hits", "replications", "p_hit", "p_low", "p_high"]
        blocks += ["<h2>Targets: P(hit)</h2>", table(cmp.targets[cols], cur)]
    blocks += [
        para(
            "Intervals of outcomes are the 5th-95th percentiles across replications. Probabilities "
            "carry a 90% Wilson interval (lower, upper): how well the replications pin them down. "
            "diff_p05..diff_p95 is the 90% interval of the paired difference (option minus the first "
            "option, same seed); p_better "
            "uses each KPI's good direction (higher conversions and value, lower costs per result and "
            "complaints); p_tie counts replications with identical results.",
            "note",
        ),
        *figures(plots),
    ]
    return write_page(out / "report.html", title, blocks)
