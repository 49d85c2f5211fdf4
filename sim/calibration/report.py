"""A self-contained calibration ``report.html``: parameters, fit, forecast, figures."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from sim.report.html import embed_png
from sim.results import atomic_write

CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}img{max-width:100%}.note{color:#555;font-size:90%}
"""


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0)


def final_state(abc: dict) -> str:
    """How the last generation's tolerance reads: a distance's epsilon, or the likelihood's
    temperature and whether it reached the posterior (1) or stopped tempered above it."""
    if abc.get("acceptance") != "likelihood":
        return f"final epsilon {abc['epsilon']:.4g}"
    t = abc["epsilon"]
    if t <= 1 + 1e-9:
        return "final temperature 1 (the posterior under the observation model)"
    return f"final temperature {t:.3g} (stopped tempered: wider than the posterior; raise the budget)"


def moves_state(abc: dict) -> str | None:
    """What the resample-move step did, or None without moves."""
    moves = abc.get("moves")
    if not moves:
        return None
    rates = moves["acceptance"]
    return (
        f"then {moves['steps']} Metropolis-Hastings moves of every particle at temperature "
        f"{moves['temperature']:.3g} ({moves['simulations']:,} simulations; acceptance {np.mean(rates):.0%}, "
        f"{min(rates):.0%}-{max(rates):.0%} per move): {moves['distinct']} distinct particles of "
        f"{abc['particles']}, equally weighted"
    )


def write_report(
    folder: Path,
    manifest: dict,
    parameters: pd.DataFrame,
    coverage: pd.DataFrame,
    plots: dict[str, Path],
    correlations: pd.DataFrame | None = None,
    warnings: list[str] | None = None,
) -> Path:
    spec = manifest["spec"]
    level = spec["predictive"]["level"]
    abc = manifest["abc"]
    parts = [
        f"<html><head><meta charset='utf-8'><title>{html.escape(spec['name'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Calibration: {html.escape(spec['name'])}</h1>",
        f"<p>{html.escape(spec['description'])}</p>",
        f"<p class='note'>scenario {html.escape(str(manifest['scenario_file']))}; data "
        f"{html.escape(str(manifest['data_file']))}; ABC-SMC (pyabc) with {abc['generations']} generations, "
        f"{abc['simulations']:,} simulations, {html.escape(final_state(abc))}; "
        + (f"{html.escape(moved)}; " if (moved := moves_state(abc)) else "")
        + f"seed {spec['seed']}; "
        f"git {html.escape(manifest['git_revision'])}</p>",
        f"<h2>Posterior parameters (median, {level:.0%} credible interval)</h2>",
        _table(parameters),
        "<h2>Identifiability</h2>",
        "<p class='note'>width_ratio: the credible interval's width over the prior's at the same level "
        "(log scale for log priors); at 0.9 or more the data barely inform the parameter (weak). "
        "Correlations of the posterior (log scale for log priors); |r| of 0.7 or more is a ridge: the "
        "data trade the two parameters against each other.</p>",
        "<ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in warnings or []) + "</ul>"
        if warnings
        else "<p>Every parameter is narrower than its prior and no two form a ridge.</p>",
        _table(correlations) if correlations is not None and len(correlations) else "",
        "<h2>Posterior pairs</h2>",
        embed_png(plots["posterior_pairs"]),
        f"<h2>Posterior predictive ({level:.0%} band) and holdout forecast</h2>",
        embed_png(plots["predictive"]),
        "<p class='note'>coverage: share of observed periods inside the band; the held-out periods "
        f"were not fitted, so their coverage near {level:.0%} means an honest forecast.</p>",
        _table(coverage),
        "<h2>ABC tolerance by generation</h2>"
        if abc.get("acceptance") != "likelihood"
        else "<h2>Likelihood temperature by generation</h2>",
        embed_png(plots["epsilons"]),
        "<p class='note'>files: posterior.parquet (weighted sample, or moved particles), parameters.csv, "
        "correlations.csv, predictive.parquet, "
        "bands.csv, coverage.csv, calibrated_scenario.toml, abc.db (pyabc history; resumable), "
        "manifest.json.</p>",
        "</body></html>",
    ]
    path = folder / "report.html"
    atomic_write(path, lambda p: p.write_text("\n".join(parts), encoding="utf-8"))
    return path
