"""The run report's figures, each a function from tidy frames to a saved PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import pandas as pd

from sim.report import format as fmt
from sim.report.stats import bands
from sim.scenario import STAGES

KPI_PLOTS = (
    "conversions",
    "incremental_conversions",
    "incremental_new_money",
    "net_value",
    "incremental_net_value",
    "roi",
    "incremental_roi",
    "viral_coefficient",
    "complaints_per_10k",
)


def save_png(fig: plt.Figure, path: Path, dpi: int = 110) -> Path:
    """Lay out, write and close a figure (closing keeps long sweeps from leaking memory)."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def funnel(daily: pd.DataFrame, path: Path) -> Path:
    """Customers per journey stage over time: median line, 5-95% band."""
    fig, ax = plt.subplots(figsize=(9, 4.8))
    for stage in STAGES:
        if stage == "unaware":
            continue
        b = bands(daily, stage)
        line = ax.plot(b.index, b["p50"], label=stage)[0]
        ax.fill_between(b.index, b["p05"], b["p95"], color=line.get_color(), alpha=0.2)
    ax.set(xlabel="day", ylabel="customers", title="Journey stages (median, 5-95% band)")
    ax.legend(ncols=3, fontsize=8)
    return save_png(fig, path)


def kpi_histograms(summary: pd.DataFrame, currency: str, path: Path) -> Path:
    fig, axes = plt.subplots(3, 3, figsize=(11, 8))
    for ax, kpi in zip(axes.flat, KPI_PLOTS, strict=True):
        x = summary[kpi].dropna()
        ax.hist(x, bins=min(30, max(5, len(x) // 2)), color="#4C72B0")
        if len(x):
            ax.axvline(x.median(), color="k", lw=1)
        unit = fmt.unit_of(kpi)
        fmt.format_axis(ax, x=unit, y="count")
        ax.set_title(fmt.axis_label(kpi, unit, currency), fontsize=9)
        ax.set_ylabel("replications", fontsize=8)
    fig.suptitle("KPI distributions across replications (line: median)")
    return save_png(fig, path)


def spend_vs_conversions(daily: pd.DataFrame, currency: str, path: Path) -> Path:
    """Cumulative marketing spend against cumulative conversions, one line a replication."""
    fig, ax = plt.subplots(figsize=(7, 4.8))
    for _, g in daily.groupby("replication"):
        ax.plot(g["marketing_spend"].cumsum(), g["new_conversions"].cumsum(), color="#4C72B0", alpha=0.3)
    ax.set(xlabel=f"cumulative marketing spend ({currency})", ylabel="cumulative conversions")
    ax.set_title("Spend against conversions")
    return save_png(fig, path)


def invitations(daily: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for col in ("invitations_sent", "invitations_accepted", "invited_conversions"):
        b = bands(daily, col)
        line = ax.plot(b.index, b["p50"], label=col)[0]
        ax.fill_between(b.index, b["p05"], b["p95"], color=line.get_color(), alpha=0.2)
    ax.set(xlabel="day", ylabel="per day", title="Invitations (median, 5-95% band)")
    ax.legend(fontsize=8)
    return save_png(fig, path)


def all_plots(daily: pd.DataFrame, summary: pd.DataFrame, currency: str, folder: Path) -> dict[str, Path]:
    return {
        "Journey funnel over time": funnel(daily, folder / "funnel.png"),
        "KPI distributions": kpi_histograms(summary, currency, folder / "kpi_histograms.png"),
        "Spend against conversions": spend_vs_conversions(
            daily, currency, folder / "spend_vs_conversions.png"
        ),
        "Daily invitations": invitations(daily, folder / "invitations.png"),
    }
