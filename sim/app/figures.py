"""The page's figures: matplotlib figures from a plan's frames, made without pyplot
(they never touch matplotlib's backend and nothing global keeps them alive)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.app.views import DISTRIBUTIONS, Outcome
from sim.report import format as fmt
from sim.report.plots import subplots
from sim.runner import Replications

STAGE_COLOURS = {
    "unaware": "#c7c7c7",
    "aware": "#9ecae1",
    "considering": "#fdae6b",
    "converted": "#31a354",
    "retained": "#006d2c",
    "churned": "#d62728",
    "dropped": "#7f7f7f",
}
TITLES = {"net_value": "net value", "conversions": "conversions", "roi": "ROI"}


def distributions(o: Outcome, reference: Replications | None = None, ref_name: str = "A") -> Figure:
    """Histograms of net value, conversions and ROI across replications; the reference
    plan's in grey behind them."""
    fig, axes = subplots(1, len(DISTRIBUTIONS), figsize=(11, 2.8))
    for ax, kpi in zip(axes, DISTRIBUTIONS, strict=True):
        unit = fmt.unit_of(kpi)
        series = [] if reference is None else [(reference.summary[kpi], f"plan {ref_name}", "#bbbbbb")]
        if o.frames is not None:
            series.append((o.frames.summary[kpi], "this plan", "#1f77b4"))
        values = [s.to_numpy(float) for s, _, _ in series]
        finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.empty(0)
        bins = np.histogram_bin_edges(finite, bins=12) if finite.size > 1 else 12
        for v, (_, label, colour) in zip(values, series, strict=True):
            ax.hist(v[np.isfinite(v)], bins=bins, color=colour, alpha=0.75, label=label)
        ax.set_title(TITLES[kpi])
        ax.set_xlabel(fmt.axis_label(TITLES[kpi], unit, o.currency))
        fmt.format_axis(ax, x=unit)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_yticks([])
    if reference is not None:
        axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def fan(o: Outcome) -> Figure:
    """The daily funnel: customers per stage, median line and 5-95% band across replications."""
    fig, ax = subplots(figsize=(6.5, 3.2))
    for stage, b in o.fan.items():
        colour = STAGE_COLOURS[stage]
        ax.fill_between(b.index + 1, b["p05"], b["p95"], color=colour, alpha=0.25, lw=0)
        ax.plot(b.index + 1, b["p50"], color=colour, label=stage)
    ax.set_xlabel("day")
    ax.set_ylabel("customers")
    fmt.format_axis(ax, y="count")
    if o.fan:
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def channels(o: Outcome) -> Figure:
    """Median spend and median attributed conversions per channel."""
    fig, (a, b) = subplots(1, 2, figsize=(6.5, 3.2), sharey=True)
    t = o.channels if o.channels is not None else pd.DataFrame(columns=["channel", "spend", "conversions"])
    y = np.arange(len(t))
    a.barh(y, t["spend"], color="#6baed6")
    a.set_yticks(y, t["channel"])
    a.set_xlabel(fmt.axis_label("spend", "money", o.currency))
    fmt.format_axis(a, x="money")
    b.barh(y, t["conversions"], color="#31a354")
    b.set_xlabel("conversions (attributed)")
    fmt.format_axis(b, x="count")
    a.invert_yaxis()
    fig.tight_layout()
    return fig


def network(pos: np.ndarray, edges: np.ndarray, stages: list[str]) -> Figure:
    """Sampled customers on the social graph, coloured by journey stage."""
    fig, ax = subplots(figsize=(6.5, 4.2))
    if edges.size:
        seg = np.stack([pos[edges[:, 0]], pos[edges[:, 1]]], axis=1)
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection(seg, colors="#dddddd", linewidths=0.5, zorder=1))
    colours = [STAGE_COLOURS[s] for s in stages]
    ax.scatter(pos[:, 0], pos[:, 1], c=colours, s=18, zorder=2, edgecolors="white", linewidths=0.3)
    for stage, colour in STAGE_COLOURS.items():
        n = stages.count(stage)
        if n:
            ax.scatter([], [], c=colour, s=18, label=f"{stage} ({n})")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_axis_off()
    fig.tight_layout()
    return fig
