"""The verdict at the top of the run report: one plain sentence per question a planner asks.

1. Does it pay off? P(incremental net value > 0) with its Wilson interval, the median
   incremental net value and its 90% interval (5th-95th percentile across replications).
2. What does it buy? Median incremental conversions and incremental new money (90% intervals),
   beside the conversions that would have come anyway.
3. What is the main risk? P(incremental ROI < 0) (gross ROI beside it, labelled gross) and the
   worst decile (10th percentile) of incremental net value.
4. Which limits bound, and when? Each limit that bound in any run: in how many runs and the
   median day it first bound (:func:`sim.limits.limits_overview`).
5. Targets, when the scenario declares them: P(hit) of each.

Without a baseline (``baseline = false``) the sentences use the gross figures and say so.
Everything is pure: frames in, text out (HTML-free; the report escapes it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.report import format as fmt
from sim.scenario import Scenario
from sim.targets import evaluate as evaluate_targets
from sim.targets import wilson_interval

LIMIT_WORDS = {
    "incentive_pool_exhausted": "the incentive money ran out",
    "marketing_pool_exhausted": "the marketing money ran out",
    "quota_sold_out": "the quota sold out",
    "channel_capacity_saturated": "capacity bound",
    "frequency_cap_binding": "the frequency cap bound",
    "channel_budget_unspent": "budget was left unspent",
}
POLICY_WORDS = {
    "continue_without_bonus": "the offer went on without incentives",
    "stop_offer": "the offer closed while booked media ran on",
    "end_campaign": "the campaign ended",
}


def _finite(x: pd.Series) -> np.ndarray:
    a = x.to_numpy(dtype=float)
    return a[np.isfinite(a)]


def _spread(x: np.ndarray, kpi: str, currency: str) -> str:
    """ "median M (90% interval: lo to hi)"."""
    if x.size == 0:
        return "not available"
    lo, med, hi = np.percentile(x, [5, 50, 95])
    return f"{fmt.kpi(kpi, med, currency)} (90% interval {fmt.interval(lo, hi, fmt.unit_of(kpi), currency)})"


def _probability(hits: int, n: int) -> str:
    if n == 0:
        return "not defined (no run had a cost to relate it to)"
    lo, hi = wilson_interval(hits, n)
    return (
        f"{fmt.percent(hits / n if n else np.nan, 0)} (interval {fmt.percent(lo, 0)} to {fmt.percent(hi, 0)})"
    )


def headline(p_pays: float) -> str:
    """One word on the whole: from P(incremental net value > 0)."""
    if not np.isfinite(p_pays):
        return "No verdict: no replication gave a net value"
    if p_pays >= 0.9:
        return "Pays off"
    if p_pays >= 0.6:
        return "Likely pays off"
    if p_pays > 0.4:
        return "A coin toss"
    if p_pays > 0.1:
        return "Unlikely to pay off"
    return "Does not pay off"


def verdict(summary: pd.DataFrame, limits: pd.DataFrame, scenario: Scenario) -> dict[str, str]:
    """The verdict: ``headline`` and one sentence per question (keys ``pays``, ``buys``,
    ``risk``, ``limits`` and, with targets, ``targets``). ``limits`` is the overview of
    :func:`sim.limits.limits_overview`."""
    cur = scenario.currency
    n = len(summary)
    paired = bool(_finite(summary["incremental_net_value"]).size)
    value_kpi = "incremental_net_value" if paired else "net_value"
    roi_kpi = "incremental_roi" if paired else "roi"
    nv = _finite(summary[value_kpi])
    pays = int((nv > 0).sum())
    p_pays = pays / nv.size if nv.size else np.nan
    what = "incremental net value" if paired else "net value (gross: no campaign-off baseline was run)"
    out = {"headline": headline(p_pays)}
    if "total_cost" in summary and not (summary["total_cost"].fillna(0) > 0).any():
        out["headline"] = "No campaign money was spent: there is nothing to pay off"
    out["pays"] = (
        f"Does it pay off? In {pays} of {nv.size} runs: P({what} > 0) = {_probability(pays, nv.size)}; "
        f"{what.split(' (')[0]} {_spread(nv, value_kpi, cur)}."
    )
    if paired:
        base = _finite(summary["baseline_conversions"])
        conv, money = (
            _spread(_finite(summary[k]), k, cur) for k in ("incremental_conversions", "incremental_new_money")
        )
        out["buys"] = (
            f"What it buys: {conv} incremental conversions and {money} incremental new money, over a "
            f"median {fmt.count(np.median(base))} conversions that would have come without the campaign."
        )
    else:
        conv, money = (_spread(_finite(summary[k]), k, cur) for k in ("conversions", "incremental_balance"))
        out["buys"] = f"What it buys (gross, no baseline run): {conv} conversions and {money} net new money."
    roi = _finite(summary[roi_kpi])
    gross = _finite(summary["roi"])
    neg = int((roi < 0).sum())
    worst = np.percentile(nv, 10) if nv.size else np.nan
    gross_note = (
        f" (gross ROI < 0 in {fmt.percent((gross < 0).mean(), 0)} of runs)" if paired and gross.size else ""
    )
    out["risk"] = (
        f"Main risk: P({'incremental ' if paired else ''}ROI < 0) = {_probability(neg, roi.size)}"
        f"{gross_note}; "
        f"in the worst decile of runs {what.split(' (')[0]} is {fmt.kpi(value_kpi, worst, cur)} or less."
    )
    out["limits"] = limit_sentence(limits, n, scenario)
    targets = evaluate_targets(summary, scenario.targets, cur)
    if len(targets):
        parts = [
            f"{t.target}: P(hit) {fmt.percent(t.p_hit, 0)} ({t.hits} of {t.replications} runs)"
            for t in targets.itertuples()
        ]
        out["targets"] = "Targets: " + "; ".join(parts) + "."
    return out


def limit_sentence(overview: pd.DataFrame, replications: int, scenario: Scenario) -> str:
    """Which limits bound and when, in one sentence (campaign-wide limits first)."""
    if overview.empty:
        return (
            "Limits: none bound in any run (incentive and marketing money, quota, channel capacity "
            "and frequency caps all had room)."
        )
    parts = []
    days, cur = scenario.calendar.days, scenario.currency
    for r in overview.itertuples():
        when = f"in {r.runs} of {replications} runs, median {fmt.day(r.first_day_median)} of {days}"
        if r.limit == "incentive_pool_exhausted":
            then = POLICY_WORDS[scenario.offer.on_incentive_exhausted]
            parts.append(f"the incentive money ran out {when} (then {then})")
        elif r.limit == "channel_budget_unspent":
            parts.append(f"{r.channel} left budget unspent {when} (median {fmt.money(r.amount_median, cur)})")
        elif r.channel:
            parts.append(f"{r.channel}: {LIMIT_WORDS[r.limit]} {when}")
        else:
            parts.append(f"{LIMIT_WORDS[r.limit]} {when}")
    text = "; ".join(parts)
    return f"Limits that bound: {text}."
