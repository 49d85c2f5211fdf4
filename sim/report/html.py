"""A self-contained ``report.html`` that answers the planner's question.

Order: the verdict (one sentence per question: does it pay off, what it buys, the main risk,
which limits bound and when, targets), the run's provenance (including whether the code was
modified), targets, the KPIs grouped with gross ones labelled gross, per channel, per day,
limits, figures, and a glossary defining every KPI and the budget split. Every number goes
through :mod:`sim.report.format`: no scientific notation anywhere.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from sim.limits import limits_overview
from sim.report import format as fmt
from sim.report.glossary import GLOSSARY, GROUPS, TERMS, budget_split
from sim.report.plots import all_plots
from sim.report.rules import rules_section
from sim.report.stats import kpi_table
from sim.report.tables import channel_table, day_table
from sim.report.verdict import LIMIT_WORDS, verdict
from sim.results import atomic_write
from sim.scenario import Scenario
from sim.targets import evaluate as evaluate_targets

CSS = """
body{font-family:system-ui,sans-serif;max-width:1280px;margin:2em auto;padding:0 1em;color:#222}
body{line-height:1.45}
table{border-collapse:collapse;margin:1em 0}
td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}td+td{white-space:nowrap}
th:first-child,td:first-child{text-align:left}.warn{color:#b00;font-weight:bold}img{max-width:100%}
.note{color:#555;font-size:90%}
.verdict{border:2px solid #4C72B0;border-radius:6px;padding:0.6em 1.2em;background:#f5f8fc}
.verdict li{margin:0.3em 0}.group td{background:#f2f2f2;font-weight:bold;text-align:left}
dt{font-weight:bold;margin-top:0.5em}dd{margin-left:1.5em}
"""


def _esc(text: str) -> str:
    return html.escape(str(text))


def _uncertainty_note(scenario: Scenario) -> str:
    """A calibrated scenario says whether its intervals carry parameter uncertainty."""
    from sim.uncertainty import describe

    text = describe(scenario)
    return "" if text is None else f'<p class="note"><b>{html.escape(text[0].upper() + text[1:])}.</b></p>'


def embed_png(path: Path) -> str:
    """An <img> carrying the PNG itself, so a report is one self-contained file."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def revision_note(rev: str) -> str:
    """Whether the results come from a clean, committed revision of the code."""
    if rev.endswith("-dirty"):
        return (
            f"Code modified: these results come from uncommitted changes on top of revision "
            f"{rev.removesuffix('-dirty')[:12]}; a commit alone does not reproduce them."
        )
    if rev in ("", "unknown"):
        return "Code revision unknown (not run from a git checkout)."
    return f"Code: clean revision {rev[:12]}."


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def verdict_section(v: dict[str, str]) -> str:
    items = "".join(f"<li>{_esc(v[k])}</li>" for k in ("pays", "buys", "risk", "limits", "targets") if k in v)
    return f'<div class="verdict" id="verdict"><h2>Verdict: {_esc(v["headline"])}</h2><ul>{items}</ul></div>'


def target_section(summary: pd.DataFrame, scenario: Scenario) -> str:
    """The scenario's targets with P(hit) and its 90% Wilson interval ("" without targets)."""
    table = evaluate_targets(summary, scenario.targets, scenario.currency)
    if table.empty:
        return ""
    rows = [
        [_esc(t.target), fmt.percent(t.p_hit, 0), f"{fmt.percent(t.p_low, 0)} to {fmt.percent(t.p_high, 0)}",
         f"{t.hits} of {t.replications}"]
        for t in table.itertuples()
    ]  # fmt: skip
    return (
        "<h2>Targets</h2>"
        + _table(["target", "P(hit)", "90% interval of P(hit)", "runs that hit"], rows)
        + '<p class="note">P(hit) is the share of replications meeting the target (a missing value '
        "counts as a miss); its interval is the Wilson score interval for that share given the "
        "number of replications.</p>"
    )


def kpi_section(summary: pd.DataFrame, currency: str) -> str:
    """Every KPI with its median and 90% interval, grouped, gross ones labelled gross."""
    table = kpi_table(summary).set_index("kpi")
    rows = []
    for group in GROUPS:
        kpis = [k for k, e in GLOSSARY.items() if e.group == group and k in table.index]
        if not kpis:
            continue
        rows.append(f'<tr class="group"><td colspan="3">{_esc(group)}</td></tr>')
        for k in kpis:
            r = table.loc[k]
            unit = fmt.unit_of(k)
            rows.append(
                f'<tr><td title="{_esc(GLOSSARY[k].definition)}">{_esc(GLOSSARY[k].label)}</td>'
                f"<td>{fmt.kpi(k, r['median'], currency)}</td>"
                f"<td>{fmt.interval(r['p05'], r['p95'], unit, currency)}</td></tr>"
            )
    return (
        "<h2>KPIs</h2><table><tr><th>KPI</th><th>median</th><th>90% interval</th></tr>"
        + "".join(rows)
        + '</table><p class="note">Intervals are the 5th-95th percentiles across replications: they '
        "show what the campaign may deliver given the scenario's uncertainty (customer draws, shocks), "
        "not estimation error. Days of limits count only the runs in which the limit bound.</p>"
    )


def channel_section(channels: pd.DataFrame, summary: pd.DataFrame, sc: Scenario) -> str:
    t = channel_table(channels, summary, sc)
    money = {
        c: t[c].map(lambda v: fmt.money(v, sc.currency))
        for c in ("plan", "spend", "cost_per_incremental_conversion")
    }
    counts = {
        c: t[c].map(fmt.count)
        for c in ("contacts", "conversions_attributed", "incremental_conversions_attributed")
    }
    share = t["spend_share_of_plan"].map(lambda v: fmt.percent(v, 0))
    cols = [t["channel"].map(_esc), money["plan"], money["spend"], share, *counts.values(),
            money["cost_per_incremental_conversion"]]  # fmt: skip
    rows = [list(r) for r in zip(*cols, strict=True)]
    header = ["channel", "planned spend", "spend", "spend of plan", "contacts", "conversions (last touch)",
              "incremental conversions (share)", "cost per incremental conversion"]  # fmt: skip
    return (
        "<h2>Per channel</h2>"
        + _table(header, rows)
        + '<p class="note">Medians across replications. Conversions are credited to the last paid channel '
        "that contacted the customer; incremental conversions are shared out in the same proportions. "
        "This is a guide, not a causal per-channel effect: compare the scenario with and without a "
        "channel for that.</p>"
    )


def day_section(daily: pd.DataFrame, sc: Scenario, figure: str) -> str:
    t = day_table(daily, sc)
    money = [
        t[c].map(lambda v: fmt.money(v, sc.currency))
        for c in ("planned_spend", "marketing_spend", "incentive_cost")
    ]
    counts = [
        t[c].map(fmt.count) for c in ("new_conversions", "baseline_new_conversions", "cumulative_conversions")
    ]
    rows = [list(r) for r in zip(t["day"].map(fmt.day), t["phase"].map(_esc), *money, *counts, strict=True)]
    header = ["day", "phase", "planned marketing spend", "marketing spend", "incentives paid", "conversions",
              "conversions without the campaign", "conversions so far"]  # fmt: skip
    return (
        "<h2>Per day: spend and conversions against plan</h2>"
        + figure
        + "<details><summary>Daily table (medians across replications)</summary>"
        + _table(header, rows)
        + "</details>"
    )


def limits_section(overview: pd.DataFrame, replications: int, sc: Scenario) -> str:
    if overview.empty:
        return "<h2>Limits</h2><p>No limit bound in any run.</p>"
    rows = [
        [_esc(LIMIT_WORDS[r.limit]), _esc(r.channel or "whole campaign"), f"{r.runs} of {replications}",
         fmt.day(r.first_day_median), f"{fmt.day(r.first_day_p05)} to {fmt.day(r.first_day_p95)}",
         fmt.number(r.days_median, 0), fmt.money(r.amount_median, sc.currency)]
        for r in overview.itertuples()
    ]  # fmt: skip
    header = ["limit", "where", "runs", "first bound (median)", "first bound (90% interval)",
              "days bound (median)", "money left (median)"]  # fmt: skip
    policy = sc.offer.on_incentive_exhausted.replace("_", " ")
    return (
        "<h2>Limits</h2>"
        + _table(header, rows)
        + f'<p class="note">When the incentive money runs out this scenario chooses: {_esc(policy)} '
        "(<code>offer.on_incentive_exhausted</code>). Days are campaign days counted from 1.</p>"
    )


def glossary_section(sc: Scenario) -> str:
    split = _table(
        ["part of the budget", "money", "what it is"],
        [[_esc(p), fmt.money(m, sc.currency), _esc(d)] for p, m, d in budget_split(sc)],
    )
    kpis = "".join(
        f"<dt>{_esc(e.label)} <code>{k}</code></dt><dd>{_esc(e.definition)}</dd>" for k, e in GLOSSARY.items()
    )
    terms = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in TERMS.items())
    return (
        f'<h2 id="glossary">Glossary</h2><h3>Budget split</h3>{split}'
        f"<h3>Terms</h3><dl>{terms}</dl><h3>KPIs</h3><dl>{kpis}</dl>"
    )


def write_report(
    folder: Path,
    scenario: Scenario,
    daily: pd.DataFrame,
    summary: pd.DataFrame,
    manifest: dict,
    channels: pd.DataFrame | None = None,
    limits: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
) -> Path:
    """Plots (PNG files beside the report) and ``report.html`` embedding them; ``rules``, the
    tidy table of rule actions taken, adds the playbook section (:mod:`sim.report.rules`)."""
    sc = scenario
    n = len(summary)
    overview = (
        limits_overview(limits, n)
        if limits is not None
        else limits_overview(pd.DataFrame(columns=["limit", "channel", "binds"]), n)
    )
    plots = all_plots(daily, summary, sc, folder)
    images = {t: f"<h2>{_esc(t)}</h2>{embed_png(p)}" for t, p in plots.items()}
    day_title = next(iter(images))
    represents = sc.population.represents or sc.population.size
    body = [
        f"<h1>{_esc(sc.name)}</h1><p>{_esc(sc.description)}</p>",
        verdict_section(verdict(summary, overview, sc)),
        f'<p class="note">{n} replications · {fmt.count(sc.population.size)} simulated customers '
        f"standing for {fmt.count(represents)} · {sc.calendar.days} campaign days + "
        f"{sc.calendar.observation_days} observation days · money in {_esc(sc.currency)} · "
        f"{_esc(revision_note(str(manifest.get('git_revision', 'unknown'))))}</p>",
        _uncertainty_note(sc),
        target_section(summary, sc),
        kpi_section(summary, sc.currency),
        channel_section(channels, summary, sc) if channels is not None and "conversions" in channels else "",
        day_section(daily, sc, embed_png(plots[day_title])),
        limits_section(overview, n, sc),
        rules_section(rules, sc, n),
        *(img for t, img in images.items() if t != day_title),
        glossary_section(sc),
        '<h2>Files</h2><p class="note">daily.parquet (one row per replication and day), channels.parquet '
        "(spend, contacts, plan allowance, limits and last-touch conversions per channel and day), "
        "limits.csv / limits.parquet (each limit per replication), summary.csv / summary.parquet (one row "
        "per replication), kpis.csv (the KPI table), targets.csv (with targets), manifest.json (resolved "
        "scenario, seeds, versions, git revision).</p>",
    ]
    doc = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>campaign-sim: {_esc(sc.name)}</title><style>{CSS}</style></head><body>"
        + "\n".join(b for b in body if b)
        + "</body></html>"
    )
    path = folder / "report.html"
    atomic_write(path, lambda p: p.write_text(doc, encoding="utf-8"))
    return path
