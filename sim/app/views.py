"""What the page shows, computed from a plan's replications (pure, browser-free).

Numbers are summaries across the replications finished so far: medians and 90% intervals
(5th-95th percentiles) as in the run report (:func:`sim.report.stats.kpi_table`), the
probability of a loss, P(better than the pinned plan) under common random numbers, per-
channel spend and attributed conversions, and the daily funnel's bands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.app.runs import ATTRIBUTED, ORGANIC, Batch
from sim.limits import limits_overview
from sim.report import format as fmt
from sim.report.stats import bands, kpi_table, probability_roi_negative
from sim.report.verdict import verdict as report_verdict
from sim.runner import Replications
from sim.scenario import Scenario
from sim.targets import evaluate

#: KPIs in the page's headline, in order.
HEADLINE = (
    "net_value",
    "conversions",
    "roi",
    "incremental_conversions",
    "incremental_net_value",
    "cost_per_acquisition",
)
DISTRIBUTIONS = ("net_value", "conversions", "roi")
FAN_STAGES = ("aware", "considering", "converted", "retained", "dropped")


@dataclass
class Outcome:
    """The current plan's state for display. ``headline``: median by KPI; ``intervals``:
    (p05, p95) by KPI; ``p_better``: P(net value above the reference plan), paired by
    replication; ``targets``: (target, P(hit)) by KPI where the scenario sets targets."""

    done: int
    total: int
    finished: bool
    errors: list[str]
    currency: str
    frames: Replications | None = None
    headline: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    p_loss: float = float("nan")
    reference: str | None = None
    p_better: float | None = None
    paired: int = 0
    targets: dict[str, tuple[str, float]] = field(default_factory=dict)
    verdict: dict[str, str] = field(default_factory=dict)
    channels: pd.DataFrame | None = None
    fan: dict[str, pd.DataFrame] = field(default_factory=dict)

    def text(self, kpi: str) -> str:
        """A headline number as the page prints it."""
        return fmt.kpi(kpi, self.headline.get(kpi), self.currency)


def outcome(
    scenario: Scenario, batch: Batch, reference: str | None = None, ref_frames: Replications | None = None
) -> Outcome:
    """Summaries of ``batch`` so far (and against the reference plan's, when given)."""
    frames = batch.frames()
    out = Outcome(batch.done, batch.replications, batch.finished, list(batch.errors), scenario.currency)
    out.reference = reference
    if frames is None:
        return out
    out.frames = frames
    table = kpi_table(frames.summary).set_index("kpi")
    for kpi in HEADLINE:
        out.headline[kpi] = float(table.loc[kpi, "median"])
        out.intervals[kpi] = (float(table.loc[kpi, "p05"]), float(table.loc[kpi, "p95"]))
    out.p_loss = probability_roi_negative(frames.summary)
    if ref_frames is not None:
        out.p_better, out.paired = p_better(frames.summary, ref_frames.summary)
    out.targets = target_probabilities(scenario, frames.summary)
    out.verdict = verdict(scenario, out)
    out.channels = channel_table(frames, scenario)
    out.fan = {s: bands(frames.daily, s) for s in FAN_STAGES if s in frames.daily}
    return out


def p_better(summary: pd.DataFrame, reference: pd.DataFrame, kpi: str = "net_value") -> tuple[float, int]:
    """Share of replications (matched by index: common random numbers) in which ``kpi`` is
    higher than in the reference plan, and how many pairs it rests on; ties count half."""
    a = summary.set_index("replication")[kpi]
    b = reference.set_index("replication")[kpi]
    common = a.index.intersection(b.index)
    if common.empty:
        return float("nan"), 0
    d = a.loc[common].to_numpy(float) - b.loc[common].to_numpy(float)
    return float(np.mean((d > 0) + 0.5 * (d == 0))), int(common.size)


def target_probabilities(scenario: Scenario, summary: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """Per target KPI of the scenario's ``[targets]``: (the target as a planner reads it, P(hit)),
    scored by :func:`sim.targets.evaluate` as in the run report; empty without targets."""
    if not scenario.targets:
        return {}
    table = evaluate(summary, scenario.targets, scenario.currency)
    return {r.kpi: (r.target, float(r.p_hit)) for r in table.itertuples()}


def verdict(scenario: Scenario, o: Outcome) -> dict[str, str]:
    """The run report's verdict (:func:`sim.report.verdict.verdict`: ``headline`` and the
    sentences ``pays``, ``buys``, ``risk``, ``limits``, ``targets``) on the replications so far."""
    if o.frames is None:
        return {}
    overview = limits_overview(o.frames.limits, len(o.frames.summary))
    return report_verdict(o.frames.summary, overview, scenario)


def channel_table(frames: Replications, scenario: Scenario) -> pd.DataFrame:
    """Per channel: median spend and median attributed conversions across replications
    (plus the organic row), and cost per attributed conversion."""
    spend = frames.channels.groupby(["replication", "channel"])["spend"].sum().unstack("channel")
    rows = []
    for name in [*scenario.channels, ORGANIC]:
        col = f"{ATTRIBUTED}{name}"
        conv = float(frames.summary[col].median()) if col in frames.summary else float("nan")
        s = float(spend[name].median()) if name in spend else 0.0
        cpc = s / conv if conv > 0 else float("nan")
        rows.append({"channel": name, "spend": s, "conversions": conv, "cost_per_conversion": cpc})
    return pd.DataFrame(rows)


def comparison(plans: list[tuple[str, Scenario, Batch]]) -> pd.DataFrame:
    """One row per plan: replications done, median and 90% interval of the headline KPIs,
    P(loss), and P(net value above plan A) for the plans after the first."""
    rows = []
    first = None
    for name, sc, batch in plans:
        frames = batch.frames()
        row: dict = {"plan": name, "replications": batch.done, "currency": sc.currency}
        if frames is not None:
            table = kpi_table(frames.summary).set_index("kpi")
            for kpi in ("net_value", "conversions", "roi"):
                row[kpi] = float(table.loc[kpi, "median"])
                row[f"{kpi}_p05"] = float(table.loc[kpi, "p05"])
                row[f"{kpi}_p95"] = float(table.loc[kpi, "p95"])
            row["p_loss"] = probability_roi_negative(frames.summary)
            if first is None:
                first = (name, frames.summary)
            else:
                row[f"p_better_than_{first[0]}"] = p_better(frames.summary, first[1])[0]
        rows.append(row)
    return pd.DataFrame(rows)
