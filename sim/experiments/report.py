"""Self-contained HTML reports of sweeps, Sobol analyses and comparisons.

Figures are PNG files in the results folder, embedded so the report opens anywhere.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.html import CSS, embed_png
from sim.results import atomic_write


def table(df: pd.DataFrame, digits: int = 3) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:,.{digits}g}", border=0, na_rep="n/a")


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
) -> Path:
    blocks = [
        *header(manifest, description),
        *(extra or []),
        *failures_block(failures),
        "<h2>KPIs across all runs</h2>",
        table(kpi_summary),
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


def sobol_blocks(indices: pd.DataFrame, variance: pd.DataFrame, warnings: list[str]) -> list[str]:
    blocks = ["<h2>Sensitivity indices</h2>"]
    blocks += [para(w, "warn") for w in warnings]
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
    out: Path, title: str, table_df: pd.DataFrame, manifest: dict[str, Any], plots: dict[str, Path]
) -> Path:
    blocks = [
        para(
            f"A = {manifest['a']['file']}, B = {manifest['b']['file']}; {manifest['replications']} paired "
            f"replications with common random numbers (seed {manifest['seed']}) · "
            f"git {manifest['git_revision']}",
            "note",
        ),
        "<h2>Paired differences (B - A)</h2>",
        table(table_df),
        para(
            "diff_p05..diff_p95 is the 90% interval of the paired difference across replications; p_b_better "
            "uses each KPI's good direction (higher conversions and value, lower cost per acquisition and "
            "complaints); p_tie counts replications with identical results.",
            "note",
        ),
        *figures(plots),
    ]
    return write_page(out / "report.html", title, blocks)
