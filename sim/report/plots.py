"""The run report's figures, each a function from tidy frames to a saved PNG.

Every axis names its quantity and unit, tick labels come from :mod:`sim.report.format` (money
compact with the currency in the label, percentages, counts: never scientific notation), and
figures are sized to be read in a 1,400 px wide browser window.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.report import format as fmt
from sim.report.glossary import GLOSSARY
from sim.report.stats import bands
from sim.report.tables import planned_spend
from sim.scenario import STAGES, Scenario

KPI_PLOTS = (
    "incremental_net_value",
    "incremental_roi",
    "incremental_conversions",
    "incremental_new_money",
    "net_value",
    "roi",
    "conversions",
    "viral_coefficient",
    "complaints_per_10k",
)
DAY = "campaign day"
_SHOCK_COLOURS = {
    "competitor": "#C44E52",
    "macro": "#8172B2",
    "outage": "#CCB974",
    "rumour": "#64B5CD",
    "regulatory": "#555555",
}


def subplots(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kw: object
) -> tuple[Figure, object]:
    """``pyplot.subplots`` without pyplot: a figure that draws to files only. It never
    selects or changes matplotlib's backend and is never shown in a notebook, and nothing
    global keeps it alive (long sweeps do not leak memory)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kw)


def save_png(fig: Figure, path: Path, dpi: int = 110) -> Path:
    """Lay out and write a figure; one that pyplot made (e.g. pyabc's) is closed after."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    return path


def funnel(daily: pd.DataFrame, path: Path) -> Path:
    """Customers per journey stage over time: median line, 5-95% band."""
    fig, ax = subplots(figsize=(11, 4.8))
    for stage in STAGES:
        if stage == "unaware":
            continue
        b = bands(daily, stage)
        line = ax.plot(b.index + 1, b["p50"], label=stage)[0]
        ax.fill_between(b.index + 1, b["p05"], b["p95"], color=line.get_color(), alpha=0.2)
    ax.set(xlabel=DAY, ylabel="customers (real customer base)", title="Journey stages (median, 5-95% band)")
    fmt.format_axis(ax, x="day", y="count")
    ax.legend(ncols=3, fontsize=8)
    return save_png(fig, path)


def kpi_histograms(summary: pd.DataFrame, currency: str, path: Path) -> Path:
    fig, axes = subplots(3, 3, figsize=(12, 8.5))
    for ax, kpi in zip(axes.flat, KPI_PLOTS, strict=True):
        x = summary[kpi].dropna()
        ax.hist(x, bins=min(30, max(5, len(x) // 2)), color="#4C72B0")
        if len(x):
            ax.axvline(x.median(), color="k", lw=1)
        unit = fmt.unit_of(kpi)
        fmt.format_axis(ax, x=unit, y="count")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(fmt.axis_label(GLOSSARY[kpi].label, unit, currency), fontsize=9)
        ax.set_ylabel("replications", fontsize=8)
    fig.suptitle("KPI distributions across replications (line: median)")
    return save_png(fig, path)


def spend_vs_conversions(daily: pd.DataFrame, currency: str, path: Path) -> Path:
    """Cumulative marketing spend against cumulative conversions, one line a replication."""
    fig, ax = subplots(figsize=(8, 4.8))
    for _, g in daily.groupby("replication"):
        ax.plot(g["marketing_spend"].cumsum(), g["new_conversions"].cumsum(), color="#4C72B0", alpha=0.3)
    ax.set(
        xlabel=fmt.axis_label("cumulative marketing spend", "money", currency),
        ylabel="cumulative conversions (customers)",
        title="Spend against conversions (one line a replication)",
    )
    fmt.format_axis(ax, x="money", y="count")
    return save_png(fig, path)


def invitations(daily: pd.DataFrame, path: Path) -> Path:
    fig, ax = subplots(figsize=(8, 4.2))
    for col in ("invitations_sent", "invitations_accepted", "invited_conversions"):
        b = bands(daily, col)
        line = ax.plot(b.index + 1, b["p50"], label=col.replace("_", " "))[0]
        ax.fill_between(b.index + 1, b["p05"], b["p95"], color=line.get_color(), alpha=0.2)
    ax.set(xlabel=DAY, ylabel="per day (customers)", title="Invitations (median, 5-95% band)")
    fmt.format_axis(ax, x="day", y="count")
    ax.legend(fontsize=8)
    return save_png(fig, path)


def mark_calendar(ax: Axes, sc: Scenario, labels: bool) -> None:
    """Shade the phases (named on top when ``labels``) and mark the shocks: a line on a fixed
    start day, a hatched span over a random start's range (days shown 1-based)."""
    for i, p in enumerate(sc.calendar.phases):
        ax.axvspan(p.start + 0.5, p.end + 1.5, color="#999999", alpha=0.08 if i % 2 else 0.16, lw=0)
        if labels:
            ax.text((p.start + p.end) / 2 + 1, 0.97, p.name, transform=ax.get_xaxis_transform(),
                    ha="center", va="top", fontsize=9, color="#444444")  # fmt: skip
    for s in sc.shocks:
        colour = _SHOCK_COLOURS.get(s.kind, "#333333")
        chance = "" if s.probability >= 1 else f", chance {fmt.percent(s.probability, 0)}"
        lo, hi = getattr(s.start, "low", None), getattr(s.start, "high", None)
        if isinstance(s.start, int | float):
            when, span = f"day {round(s.start) + 1}", None
        elif lo is not None and hi is not None:
            when, span = f"starts day {round(lo) + 1} to {round(hi) + 1}", (lo + 1, hi + 1)
        else:
            when, span = f"starts around day {round(s.start.median()) + 1}", None
        label = f"{s.kind} shock, {when}{chance}" if labels else None
        if span is None:
            start = s.start if isinstance(s.start, int | float) else s.start.median()
            ax.axvline(float(start) + 1, color=colour, ls="--", lw=1.2, label=label)
        else:
            ax.axvspan(*span, facecolor="none", edgecolor=colour, hatch="//", lw=0.5, alpha=0.35, label=label)


def daily_against_plan(daily: pd.DataFrame, sc: Scenario, path: Path) -> Path:
    """Per campaign day: marketing spend against the paced plan (and incentives paid), and
    conversions against the campaign-off baseline; phases shaded, shocks marked."""
    days = sc.calendar.days
    camp = daily[daily["day"] < days]
    x = list(range(1, days + 1))
    fig, (top, bottom) = subplots(2, 1, figsize=(12.5, 7.5), sharex=True)
    top.step(x, planned_spend(sc), where="mid", color="k", lw=1.5, label="planned marketing spend")
    for col, colour, label in (
        ("marketing_spend", "#4C72B0", "marketing spend"),
        ("incentive_cost", "#DD8452", "incentives paid"),
    ):
        b = bands(camp, col)
        top.plot(b.index + 1, b["p50"], color=colour, label=f"{label} (median)")
        top.fill_between(b.index + 1, b["p05"], b["p95"], color=colour, alpha=0.2)
    top.set(
        ylabel=fmt.axis_label("money a day", "money", sc.currency),
        title="Spend against plan (median, 5-95% band)",
    )
    fmt.format_axis(top, y="money")
    b = bands(camp, "new_conversions")
    bottom.plot(b.index + 1, b["p50"], color="#55A868", label="conversions (median)")
    bottom.fill_between(b.index + 1, b["p05"], b["p95"], color="#55A868", alpha=0.2)
    if "baseline_new_conversions" in camp:
        base = bands(camp, "baseline_new_conversions")
        bottom.plot(
            base.index + 1, base["p50"], color="#777777", ls=":", label="without the campaign (median)"
        )
    bottom.set(
        xlabel=DAY,
        ylabel="conversions a day (customers)",
        title="Conversions against the campaign-off baseline",
    )
    fmt.format_axis(bottom, x="day", y="count")
    for ax in (top, bottom):
        mark_calendar(ax, sc, labels=ax is top)
        ax.set_xlim(0.5, days + 0.5)
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_png(fig, path)


def all_plots(daily: pd.DataFrame, summary: pd.DataFrame, sc: Scenario, folder: Path) -> dict[str, Path]:
    currency = sc.currency
    return {
        "Per day: spend and conversions against plan": daily_against_plan(
            daily, sc, folder / "daily_plan.png"
        ),
        "KPI distributions": kpi_histograms(summary, currency, folder / "kpi_histograms.png"),
        "Journey funnel over time": funnel(daily, folder / "funnel.png"),
        "Spend against conversions": spend_vs_conversions(
            daily, currency, folder / "spend_vs_conversions.png"
        ),
        "Daily invitations": invitations(daily, folder / "invitations.png"),
    }
