"""Experiment figures, each a function from tidy frames to a saved PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report import format as fmt
from sim.report.plots import save_png, subplots
from sim.report.stats import bands


def _grid(n: int, width: float = 4.0, height: float = 3.2) -> tuple[Figure, np.ndarray]:
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def levels_of(x: pd.Series, bins: int = 5) -> pd.Series:
    """The factor's own levels when it has few, else (ordered) quantile bins."""
    if x.nunique() <= 8 or not pd.api.types.is_numeric_dtype(x):
        return x
    return pd.qcut(x, bins, duplicates="drop")


def ordered_levels(lv: pd.Series) -> list[object]:
    if isinstance(lv.dtype, pd.CategoricalDtype):
        return [c for c in lv.cat.categories if (lv == c).any()]
    return sorted(lv.dropna().unique())


def lever_boxes(runs: pd.DataFrame, factors: dict[str, str], kpi: str, path: Path) -> Path:
    """Distribution of ``kpi`` per level (or quantile bin) of each factor; ``factors`` maps
    column -> role."""
    fig, axes = _grid(len(factors))
    ok = runs[runs["status"] == "ok"]
    for ax, (col, role) in zip(axes, factors.items(), strict=False):
        lv = levels_of(ok[col])
        groups = [
            (_short(k), g[kpi].dropna().to_numpy()) for k, g in ok.groupby(lv, sort=True, observed=True)
        ]
        ax.boxplot([g for _, g in groups], tick_labels=[k for k, _ in groups], showfliers=False)
        ax.set_title(f"{col} ({role})", fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.set_ylabel(kpi)
    return save_png(fig, path, dpi=100)


def response_surface(runs: pd.DataFrame, x: str, y: str, kpi: str, path: Path) -> Path:
    """Median ``kpi`` and P(ROI < 0) per (x, y) cell."""
    ok = runs[runs["status"] == "ok"].assign(_x=lambda d: levels_of(d[x]), _y=lambda d: levels_of(d[y]))
    cells = ok.groupby(["_y", "_x"], observed=True)
    median = cells[kpi].median().unstack("_x")
    p_loss = cells["roi"].apply(lambda r: float((r.dropna() < 0).mean())).unstack("_x")
    fig, axes = subplots(1, 2, figsize=(11, 4.4))
    for ax, table, title, cmap in (
        (axes[0], median, f"median {kpi}", "viridis"),
        (axes[1], p_loss, "P(ROI < 0)", "Reds"),
    ):
        im = ax.imshow(table.to_numpy(float), origin="lower", aspect="auto", cmap=cmap)
        ax.set_xticks(range(table.shape[1]), [_short(v) for v in table.columns], rotation=30, fontsize=7)
        ax.set_yticks(range(table.shape[0]), [_short(v) for v in table.index], fontsize=7)
        ax.set(xlabel=x, ylabel=y, title=title)
        for (i, j), v in np.ndenumerate(table.to_numpy(float)):
            ax.text(
                j,
                i,
                f"{v:.2g}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if cmap == "viridis" else "black",
            )
        fig.colorbar(im, ax=ax)
    return save_png(fig, path, dpi=100)


def fan_chart(
    daily: pd.DataFrame, runs: pd.DataFrame, by: str | None, path: Path, column: str = "new_conversions"
) -> Path:
    """Daily ``column``: median and 5-95% band across runs, one fan per level of ``by``."""
    fig, ax = subplots(figsize=(9, 4.5))
    if by is None:
        groups = [("all runs", daily)]
    else:
        lv = levels_of(runs.set_index("run_id")[by], bins=3)
        groups = [(f"{by} = {_short(k)}", daily[daily["run_id"].map(lv) == k]) for k in ordered_levels(lv)]
    for label, d in groups:
        b = bands(d, column)
        line = ax.plot(b.index, b["p50"], label=label)[0]
        ax.fill_between(b.index, b["p05"], b["p95"], color=line.get_color(), alpha=0.18)
    ax.set(xlabel="day", ylabel=column, title=f"Daily {column} (median, 5-95% band)")
    ax.legend(fontsize=8)
    return save_png(fig, path, dpi=100)


def sensitivity_bars(indices: pd.DataFrame, path: Path) -> Path:
    """S1 and ST with confidence intervals, one panel per KPI."""
    kpis = list(dict.fromkeys(indices["kpi"]))
    fig, axes = _grid(len(kpis), width=5.0, height=3.6)
    for ax, kpi in zip(axes, kpis, strict=False):
        d = indices[indices["kpi"] == kpi].sort_values("ST")
        pos = np.arange(len(d))
        ax.barh(pos - 0.2, d["S1"], 0.4, xerr=d["S1_conf"], label="S1", capsize=2)
        ax.barh(pos + 0.2, d["ST"], 0.4, xerr=d["ST_conf"], label="ST", capsize=2)
        ax.set_yticks(pos, d["factor"], fontsize=8)
        ax.set_title(kpi, fontsize=10)
        ax.axvline(0, color="grey", lw=0.5)
    axes[0].legend(fontsize=8)
    return save_png(fig, path, dpi=100)


def s2_heatmap(s2: pd.DataFrame, kpi: str, path: Path) -> Path:
    d = s2[s2["kpi"] == kpi]
    names = list(dict.fromkeys([*d["factor_a"], *d["factor_b"]]))
    m = np.full((len(names), len(names)), np.nan)
    for r in d.itertuples():
        m[names.index(r.factor_a), names.index(r.factor_b)] = r.S2
    fig, ax = subplots(figsize=(6, 5))
    im = ax.imshow(m, cmap="magma")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_title(f"second-order indices S2: {kpi}")
    fig.colorbar(im, ax=ax)
    return save_png(fig, path, dpi=100)


def convergence(conv: pd.DataFrame, kpi: str, path: Path) -> Path:
    """ST (with interval) and interval width against N, per factor."""
    d = conv[conv["kpi"] == kpi]
    fig, (a1, a2) = subplots(1, 2, figsize=(11, 4))
    for factor, g in d.groupby("factor", sort=False):
        line = a1.plot(g["n"], g["ST"], marker="o", ms=3, label=factor)[0]
        a1.fill_between(
            g["n"], g["ST"] - g["ST_conf"], g["ST"] + g["ST_conf"], color=line.get_color(), alpha=0.12
        )
        a2.plot(g["n"], 2 * g["ST_conf"], marker="o", ms=3, color=line.get_color())
    for ax in (a1, a2):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base samples N")
    a1.set(ylabel="ST", title=f"{kpi}: total-order index vs N")
    a2.set(ylabel="width of ST interval", title="interval width vs N")
    a1.legend(fontsize=7, ncols=2)
    return save_png(fig, path, dpi=100)


def compare_distributions(runs: pd.DataFrame, kpis: list[str], path: Path, currency: str = "") -> Path:
    """Per KPI: each option's distribution (top) and its paired difference against the first
    option (bottom), as box plots (box 25-75%, whiskers 5-95%)."""
    names = list(dict.fromkeys(runs["option"]))
    fig, axes = subplots(2, len(kpis), figsize=(3.4 * len(kpis), 6.4), squeeze=False)
    ref = runs[runs["option"] == names[0]].set_index("replication")
    for j, kpi in enumerate(kpis):
        unit = fmt.unit_of(kpi)
        data = [runs.loc[runs["option"] == n, kpi].dropna().to_numpy(float) for n in names]
        axes[0, j].boxplot(data, tick_labels=names, whis=(5, 95), showfliers=False)
        axes[0, j].set_title(kpi.replace("_", " "), fontsize=9)
        axes[0, j].set_ylabel(fmt.axis_label(kpi.replace("_", " "), unit, currency), fontsize=8)
        diffs = []
        for n in names[1:]:
            other = runs[runs["option"] == n].set_index("replication")[kpi]
            diffs.append((other - ref[kpi]).dropna().to_numpy(float))
        if diffs:
            axes[1, j].boxplot(diffs, tick_labels=names[1:], whis=(5, 95), showfliers=False)
        axes[1, j].axhline(0, color="red", lw=0.8)
        axes[1, j].set_title(f"{kpi.replace('_', ' ')}: minus {names[0]}", fontsize=9)
        for ax in axes[:, j]:
            fmt.format_axis(ax, y=unit)
            ax.tick_params(axis="x", labelrotation=20, labelsize=7)
    return save_png(fig, path, dpi=100)


def _short(v: object) -> str:
    if isinstance(v, pd.Interval):
        return f"{v.left:.3g}–{v.right:.3g}"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)
