"""The validation suite's outputs: tidy table (CSV and parquet), per-run values, manifest
and one self-contained HTML page with a row per pattern."""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from sim.report import format as fmt
from sim.report.html import CSS
from sim.results import atomic_write, write_json, write_table
from sim.validation.measures import MEASURES
from sim.validation.suite import SuiteResult

PAGE_CSS = (
    CSS
    + ".pass{color:#070;font-weight:bold}.fail{color:#b00;font-weight:bold}"
    + "td{vertical-align:top;text-align:left}body{max-width:1400px}"
)


def fmt_value(v: float, unit: str) -> str:
    """A number as a planner reads it (:mod:`sim.report.format`): a relative change as a
    signed percentage, an effect size with its sign, a KPI level in the KPI's unit."""
    if unit == "change":
        return fmt.MISSING if not math.isfinite(v) else ("+" if v > 0 else "") + fmt.percent(v / 100)
    if unit == "pp":
        return fmt.MISSING if not math.isfinite(v) else f"{'+' if v > 0 else ''}{fmt.number(v, 1)} pp"
    if unit == "d":
        return fmt.MISSING if not math.isfinite(v) else f"{'+' if v > 0 else ''}{fmt.number(v, 3)}"
    if unit == "number":
        return fmt.number(v, 3)
    return fmt.value(v, unit)  # type: ignore[arg-type]


def fmt_band(low: float, high: float, unit: str) -> str:
    if math.isinf(low) and math.isinf(high):
        return "any value"
    if math.isinf(low):
        return f"≤ {fmt_value(high, unit)}"
    if math.isinf(high):
        return f"≥ {fmt_value(low, unit)}"
    return f"{fmt_value(low, unit)} to {fmt_value(high, unit)}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with band, effect and interval as text (for printing)."""
    return pd.DataFrame(
        {
            "pattern": table["pattern"],
            "band": [fmt_band(r.band_low, r.band_high, r.unit) for r in table.itertuples()],
            "effect": [fmt_value(r.estimate, r.unit) for r in table.itertuples()],
            "95% interval": [
                f"{fmt_value(r.ci_low, r.unit)} to {fmt_value(r.ci_high, r.unit)}" for r in table.itertuples()
            ],
            "result": ["pass" if r.passed else "FAIL" for r in table.itertuples()],
        }
    )


def write_outputs(out: Path, result: SuiteResult, manifest: dict) -> Path:
    write_table(out, "validation", result.table)
    write_table(out, "runs", result.runs, csv=False)
    write_json(out / "manifest.json", manifest)
    page = out / "validation.html"
    atomic_write(page, lambda p: p.write_text(render(result.table, manifest), encoding="utf-8"))
    return page


def render(table: pd.DataFrame, manifest: dict) -> str:
    rows = []
    for r in table.itertuples():
        verdict = '<span class="pass">pass</span>' if r.passed else '<span class="fail">FAIL</span>'
        cells = [
            (r.pattern, r.kind),
            (r.claim, r.source),
            (r.scenario, r.arms),
            (r.kpi, MEASURES[r.measure].text),
            (fmt_band(r.band_low, r.band_high, r.unit), f"{r.require} in band"),
            (
                fmt_value(r.estimate, r.unit),
                f"{fmt_value(r.ci_low, r.unit)} to {fmt_value(r.ci_high, r.unit)}",
            ),
        ]
        tds = "".join(
            f"<td>{html.escape(a)}<br><span class='note'>{html.escape(b)}</span></td>" for a, b in cells
        )
        rows.append(f"<tr>{tds}<td>{verdict}</td><td class='note'>{html.escape(r.reasoning)}</td></tr>")
    n_pass = int(table["passed"].sum())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>campaign-sim: model validation</title>
<style>{PAGE_CSS}</style></head><body>
<h1>Pattern-oriented validation</h1>
<p>{n_pass} of {len(table)} patterns pass. Each row is a paired experiment on a shipped scenario with common
random numbers (replication r of every arm from the same seed); the effect's 95% interval is a paired
percentile bootstrap over replications. The facts are industry anecdotes, so bands are wide; each band's
reasoning is in the last column.</p>
<p class="note">seed {manifest.get("seed")} · git {html.escape(str(manifest.get("git_revision")))} ·
{html.escape(str(manifest.get("created_utc")))}{" · fast subset" if manifest.get("fast") else ""}</p>
<table><tr><th>pattern</th><th>claim and source</th><th>scenario and arms</th><th>KPI and measure</th>
<th>band</th><th>effect (95% interval)</th><th>result</th><th>why this band</th></tr>
{"".join(rows)}</table>
<p class="note">Files: validation.csv / validation.parquet (this table), runs.parquet (per-run values of
each arm), manifest.json (patterns, seeds, versions).</p></body></html>"""
