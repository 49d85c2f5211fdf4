"""What-if comparison of any number of options with common random numbers.

Replication ``r`` of every option runs from the same seed (child ``r`` of
``SeedSequence(seed)``), so the paired difference option - reference (the first option)
removes most of the seed noise that independent samples would carry, and "which option is
best in replication r" compares options under the same customers and shocks.

Per option and KPI: median and 90% interval (5th-95th percentile across replications);
P(best) = share of replications in which the option has the best value of the KPI (ties
share the credit), with its Wilson interval; paired differences against the first option
(median, 90% interval, P(better)); P(ROI < 0) and P(incremental ROI < 0) with Wilson
intervals; a verdict sentence; warnings where a probability rests on too few replications.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.execute import Backend, parallel_backend
from sim.experiments.probability import is_thin, share, thin_note, wilson
from sim.kpis import SUMMARY_KPIS
from sim.report import format as fmt
from sim.runner import run_replications
from sim.scenario import Scenario

HIGHER_IS_BETTER = frozenset(
    {
        "participants",
        "conversions",
        "conversion_rate",
        "incremental_balance",
        "net_value",
        "roi",
        "retention_30d",
        "referral_share",
        "viral_coefficient",
        "incremental_conversions",
        "incremental_new_money",
        "incremental_net_value",
        "incremental_roi",
    }
)
LOWER_IS_BETTER = frozenset(
    {
        "cost_per_acquisition",
        "cost_per_incremental_conversion",
        "complaints",
        "complaints_per_10k",
        "mis_selling",
    }
)
# Spend and load KPIs have no "better" direction on their own: only P(B higher) is given.


def paired_differences(
    a: pd.DataFrame, b: pd.DataFrame, kpis: tuple[str, ...] = SUMMARY_KPIS
) -> pd.DataFrame:
    """Long table of B - A per replication, joined on ``replication``."""
    merged = a.merge(b, on="replication", suffixes=("_a", "_b"), validate="one_to_one")
    frames = [
        pd.DataFrame(
            {
                "replication": merged["replication"],
                "kpi": k,
                "a": merged[f"{k}_a"].astype(float),
                "b": merged[f"{k}_b"].astype(float),
            }
        )
        for k in kpis
    ]
    paired = pd.concat(frames, ignore_index=True)
    paired["diff"] = paired["b"] - paired["a"]
    return paired


def summarize_pairs(paired: pd.DataFrame) -> pd.DataFrame:
    """Per KPI: medians of A and B, median and 90% interval of B - A, P(B higher),
    P(tie) and P(B better) in the KPI's good direction (NaN where none is defined).
    Replications where either side is not finite (e.g. ROI with no cost) are left out."""
    rows = []
    for kpi, g in paired.groupby("kpi", sort=False):
        g = g[np.isfinite(g["a"]) & np.isfinite(g["b"])]
        d = g["diff"].to_numpy(float)
        higher = float((d > 0).mean()) if d.size else np.nan
        lower = float((d < 0).mean()) if d.size else np.nan
        better = higher if kpi in HIGHER_IS_BETTER else lower if kpi in LOWER_IS_BETTER else np.nan
        q = np.percentile(d, [5, 50, 95]) if d.size else [np.nan] * 3
        rows.append(
            {
                "kpi": kpi,
                "pairs": int(d.size),
                "a_median": g["a"].median(),
                "b_median": g["b"].median(),
                "diff_median": q[1],
                "diff_p05": q[0],
                "diff_p95": q[2],
                "diff_mean": float(d.mean()) if d.size else np.nan,
                "p_b_higher": higher,
                "p_tie": float((d == 0).mean()) if d.size else np.nan,
                "p_b_better": better,
                "direction": "higher"
                if kpi in HIGHER_IS_BETTER
                else "lower"
                if kpi in LOWER_IS_BETTER
                else "",
            }
        )
    return pd.DataFrame(rows)


#: KPIs the verdict reads, in order of preference (the first with finite values is used).
HEADLINE = ("incremental_net_value", "net_value")
#: (measure, KPI, threshold): the loss probabilities reported per option.
RISKS = (("P(ROI < 0)", "roi", 0.0), ("P(incremental ROI < 0)", "incremental_roi", 0.0))


def direction(kpi: str) -> str:
    """``higher``, ``lower`` or ``""`` (no good direction: spend and load KPIs)."""
    return "higher" if kpi in HIGHER_IS_BETTER else "lower" if kpi in LOWER_IS_BETTER else ""


@dataclass
class Comparison:
    """Tidy tables of an N-option comparison (every frame keyed by ``option`` and ``kpi``)."""

    options: list[str]  # names, the first is the reference
    runs: pd.DataFrame  # option, replication, every summary KPI
    kpis: pd.DataFrame  # option, kpi, median, p05, p95, mean
    paired: pd.DataFrame  # option, kpi, pairs, reference/option medians, diff summary, P(better)
    best: pd.DataFrame  # option, kpi, p_best, lower, upper, replications
    risk: pd.DataFrame  # option, measure, kpi, p, lower, upper, n, thin
    targets: pd.DataFrame  # option, kpi, target, hits, replications, p_hit, p_low, p_high
    daily: pd.DataFrame  # option, replication, day, new_conversions, new_balance
    verdict: str
    warnings: list[str]
    currency: str = ""

    @property
    def headline(self) -> str:
        return headline_kpi(self.runs)


def headline_kpi(runs: pd.DataFrame) -> str:
    for kpi in HEADLINE:
        if kpi in runs and np.isfinite(runs[kpi].to_numpy(float)).any():
            return kpi
    return HEADLINE[-1]


def option_names(names: list[str]) -> list[str]:
    """Unique option labels: repeated names get ``#2``, ``#3``..."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out


def kpi_summary(runs: pd.DataFrame, kpis: tuple[str, ...] = SUMMARY_KPIS) -> pd.DataFrame:
    """Per option and KPI: median, 5th and 95th percentile, mean over finite replications."""
    rows = []
    for option, g in runs.groupby("option", sort=False):
        for kpi in kpis:
            x = g[kpi].to_numpy(float)
            x = x[np.isfinite(x)]
            q = np.percentile(x, [5, 50, 95]) if x.size else [np.nan] * 3
            mean = float(x.mean()) if x.size else np.nan
            rows.append(
                {"option": option, "kpi": kpi, "median": q[1], "p05": q[0], "p95": q[2], "mean": mean}
            )
    return pd.DataFrame(rows)


def p_best(runs: pd.DataFrame, kpis: tuple[str, ...] = SUMMARY_KPIS) -> pd.DataFrame:
    """Per KPI with a good direction: the share of replications in which each option is
    best (ties split the credit; replications where any option is not finite are left out)."""
    rows = []
    for kpi in kpis:
        sign = {"higher": 1.0, "lower": -1.0}.get(direction(kpi))
        if sign is None:
            continue
        wide = runs.pivot(index="replication", columns="option", values=kpi)
        wide = wide[list(dict.fromkeys(runs["option"]))]
        x = sign * wide.to_numpy(float)
        x = x[np.isfinite(x).all(axis=1)]
        n = len(x)
        winners = (x == x.max(axis=1, keepdims=True)) if n else np.zeros((0, wide.shape[1]), bool)
        credit = (winners / winners.sum(axis=1, keepdims=True)).sum(axis=0) if n else np.zeros(wide.shape[1])
        for option, c in zip(wide.columns, credit, strict=True):
            lo, hi = wilson(float(c), n)
            rows.append(
                {
                    "option": option,
                    "kpi": kpi,
                    "p_best": c / n if n else np.nan,
                    "lower": lo,
                    "upper": hi,
                    "replications": n,
                }
            )
    return pd.DataFrame(rows)


def paired_table(runs: pd.DataFrame, kpis: tuple[str, ...] = SUMMARY_KPIS) -> pd.DataFrame:
    """Every option after the first against the first (``summarize_pairs`` per option)."""
    names = list(dict.fromkeys(runs["option"]))
    ref = runs[runs["option"] == names[0]]
    frames = []
    for name in names[1:]:
        t = summarize_pairs(paired_differences(ref, runs[runs["option"] == name], kpis))
        t = t.rename(columns={"a_median": "reference_median", "b_median": "option_median"})
        t = t.rename(columns={"p_b_higher": "p_higher", "p_b_better": "p_better"})
        frames.append(t.assign(option=name, reference=names[0]))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["option", "reference", *[c for c in out.columns if c not in ("option", "reference")]]]


def risk_table(runs: pd.DataFrame) -> pd.DataFrame:
    """P(ROI < 0) and P(incremental ROI < 0) per option, with Wilson intervals."""
    rows = []
    for option, g in runs.groupby("option", sort=False):
        for measure, kpi, threshold in RISKS:
            x = g[kpi].to_numpy(float)
            x = x[np.isfinite(x)]
            s = share(x < threshold)
            rows.append(
                {
                    "option": option,
                    "measure": measure,
                    "kpi": kpi,
                    **s,
                    "thin": is_thin(s["lower"], s["upper"]),
                }
            )
    return pd.DataFrame(rows)


def target_table(runs: pd.DataFrame, targets: Mapping[str, object], currency: str = "") -> pd.DataFrame:
    """P(hit) per option and target (empty without targets); see :mod:`sim.targets`."""
    if not targets:
        return pd.DataFrame(columns=["option", "kpi", "target", "p_hit", "p_low", "p_high"])
    from sim.targets import evaluate

    frames = [evaluate(g, targets, currency).assign(option=o) for o, g in runs.groupby("option", sort=False)]
    out = pd.concat(frames, ignore_index=True)
    return out[["option", *[c for c in out.columns if c != "option"]]]


def thin_warnings(best: pd.DataFrame, risk: pd.DataFrame, targets: pd.DataFrame, kpi: str) -> list[str]:
    """Warnings for probabilities whose interval is wider than the stated width."""
    out = []
    for r in best[best["kpi"] == kpi].itertuples():
        if is_thin(r.lower, r.upper):
            out.append(thin_note(f"P(best {kpi}) of {r.option}", r.lower, r.upper, r.replications))
    for r in risk[risk["thin"]].itertuples():
        out.append(thin_note(f"{r.measure} of {r.option}", r.lower, r.upper, r.n))
    if len(targets):
        for r in targets.itertuples():
            if is_thin(r.p_low, r.p_high):
                out.append(thin_note(f"P(hit {r.kpi}) of {r.option}", r.p_low, r.p_high, r.replications))
    return out


def verdict(cmp: Comparison) -> str:
    """One sentence: which option leads on the headline KPI, how sure, and its loss risk."""
    kpi = cmp.headline
    label, cur = kpi.replace("_", " "), cmp.currency
    k = cmp.kpis[cmp.kpis["kpi"] == kpi].set_index("option")
    best = cmp.best[cmp.best["kpi"] == kpi].set_index("option")
    risk = cmp.risk[cmp.risk["kpi"] == "roi"].set_index("option")
    if k["median"].isna().all():
        return f"No option produced a finite {label}."
    lead = str(k["median"].idxmax())
    ref = cmp.options[0]
    text = (
        f"{lead} has the highest median {label} ({fmt.kpi(kpi, k.loc[lead, 'median'], cur)}, 90% of outcomes "
        f"{fmt.interval(k.loc[lead, 'p05'], k.loc[lead, 'p95'], fmt.unit_of(kpi), cur)}) and is best in "
        f"{fmt.percent(best.loc[lead, 'p_best'], 0)} of replications"
    )
    if lead != ref and len(cmp.paired):
        pr = cmp.paired[(cmp.paired["option"] == lead) & (cmp.paired["kpi"] == kpi)].iloc[0]
        text += (
            f"; against {ref} it adds {fmt.kpi(kpi, pr['diff_median'], cur)} (median paired difference) "
            f"and beats it in {fmt.percent(pr['p_better'], 0)} of paired replications"
        )
    elif lead == ref and len(cmp.options) > 1:
        text += "; no alternative beats the first option on it"
    text += f"; its P(ROI < 0) is {fmt.percent(risk.loc[lead, 'p'], 0)}"
    text += f" ({fmt.percent(risk.loc[lead, 'lower'], 0)} to {fmt.percent(risk.loc[lead, 'upper'], 0)})."
    risky = [o for o in cmp.options if risk.loc[o, "p"] > 0.10]
    if risky:
        text += f" Risk above 10% P(ROI < 0): {', '.join(risky)}."
    return text


def compare(
    options: Mapping[str, Scenario] | list[Scenario],
    n: int,
    seed: int = 0,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
    targets: Mapping[str, object] | None = None,
) -> Comparison:
    """Run every option ``n`` times with the same seeds and compare them (the first option
    is the reference). ``targets`` default to the first option's ``[targets]``, if any."""
    if not isinstance(options, Mapping):
        options = dict(zip(option_names([sc.name for sc in options]), options, strict=True))
    names = list(options)
    first = options[names[0]]
    if targets is None:
        targets = getattr(first, "targets", None) or {}
    with parallel_backend(backend, jobs, scheduler) as workers:
        reps = {
            name: run_replications(sc, n, seed=seed, jobs=workers, on_done=on_done)
            for name, sc in options.items()
        }
    runs = pd.concat([r.summary.assign(option=name) for name, r in reps.items()], ignore_index=True)
    runs = runs[["option", "replication", *SUMMARY_KPIS]]
    keep = ["replication", "day", "new_conversions", "new_balance"]
    daily = pd.concat([r.daily[keep].assign(option=name) for name, r in reps.items()], ignore_index=True)
    return analyse(names, runs, daily[["option", *keep]], targets, first.currency)


def analyse(
    names: list[str],
    runs: pd.DataFrame,
    daily: pd.DataFrame,
    targets: Mapping[str, object] | None = None,
    currency: str = "",
) -> Comparison:
    """The comparison tables, verdict and warnings from per-replication KPIs (the summary
    KPIs present in ``runs``)."""
    kpis = tuple(k for k in SUMMARY_KPIS if k in runs)
    best, risk = p_best(runs, kpis), risk_table(runs)
    tgt = target_table(runs, targets or {}, currency)
    summary, paired = kpi_summary(runs, kpis), paired_table(runs, kpis)
    cmp = Comparison(names, runs, summary, paired, best, risk, tgt, daily, "", [], currency)
    cmp.warnings = thin_warnings(best, risk, tgt, cmp.headline)
    cmp.verdict = verdict(cmp)
    return cmp
