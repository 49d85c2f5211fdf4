"""A self-contained ``report.html`` a planner can open in a browser."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from sim.report import format as fmt
from sim.report.plots import all_plots
from sim.report.stats import kpi_table, probability_roi_negative
from sim.results import atomic_write
from sim.scenario import Scenario
from sim.targets import evaluate as evaluate_targets

CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}.warn{color:#b00;font-weight:bold}img{max-width:100%}
.note{color:#555;font-size:90%}
"""


def _fmt(kpi: str, v: float, currency: str) -> str:
    return fmt.kpi(kpi, v, currency)


def target_section(summary: pd.DataFrame, scenario: Scenario) -> str:
    """The scenario's targets with P(hit) and its 90% Wilson interval ("" without targets)."""
    table = evaluate_targets(summary, scenario.targets, scenario.currency)
    if table.empty:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(t.target)}</td><td>{fmt.percent(t.p_hit, 0)}</td>"
        f"<td>{fmt.percent(t.p_low, 0)} to {fmt.percent(t.p_high, 0)}</td>"
        f"<td>{t.hits} of {t.replications}</td></tr>"
        for t in table.itertuples()
    )
    return (
        "<h2>Targets</h2><table><tr><th>target</th><th>P(hit)</th><th>90% interval of P(hit)</th>"
        f'<th>runs that hit</th></tr>{rows}</table><p class="note">P(hit) is the share of replications '
        "meeting the target (a missing value counts as a miss); its interval is the Wilson score "
        "interval for that share given the number of replications.</p>"
    )


def embed_png(path: Path) -> str:
    """An <img> carrying the PNG itself, so a report is one self-contained file."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def write_report(
    folder: Path, scenario: Scenario, daily: pd.DataFrame, summary: pd.DataFrame, manifest: dict
) -> Path:
    """Plots (PNG files beside the report) and ``report.html`` embedding them."""
    cur = scenario.currency
    table = kpi_table(summary)
    p_neg = probability_roi_negative(summary)
    plots = all_plots(daily, summary, cur, folder)
    rows = "".join(
        f"<tr><td>{r.kpi}</td><td>{_fmt(r.kpi, r.median, cur)}</td>"
        f"<td>{_fmt(r.kpi, r.p05, cur)} – {_fmt(r.kpi, r.p95, cur)}</td></tr>"
        for r in table.itertuples()
    )
    warn = ' class="warn"' if p_neg > 0.1 else ""
    targets = target_section(summary, scenario)
    figures = "".join(f"<h2>{html.escape(t)}</h2>{embed_png(p)}" for t, p in plots.items())
    n = len(summary)
    doc = f"""<!doctype html><html><head><meta charset="utf-8">
<title>campaign-sim: {html.escape(scenario.name)}</title><style>{CSS}</style></head><body>
<h1>{html.escape(scenario.name)}</h1><p>{html.escape(scenario.description)}</p>
<p class="note">{n} replications · {scenario.population.size:,} simulated customers standing for
{scenario.population.represents or scenario.population.size:,.0f} · {scenario.calendar.days} campaign days +
{scenario.calendar.observation_days} observation days · money in {cur} · git {manifest["git_revision"]}</p>
<p{warn}>P(ROI &lt; 0) = {p_neg:.0%}</p>
<table><tr><th>KPI</th><th>median</th><th>90% interval</th></tr>{rows}</table>
<p class="note">Intervals are the 5th-95th percentiles across replications: they show what the campaign
may deliver given the scenario's uncertainty (customer draws, shocks), not estimation error.</p>
{targets}
{figures}
<h2>Files</h2><p class="note">daily.parquet (one row per replication and day), channels.parquet
(spend and contacts per channel and day), summary.csv / summary.parquet (one row per replication),
kpis.csv (this table), manifest.json (resolved scenario, seeds, versions).</p>
</body></html>"""
    path = folder / "report.html"
    atomic_write(path, lambda p: p.write_text(doc, encoding="utf-8"))
    return path
