"""Per-channel and per-day tables of a run (medians across replications), pure.

Per channel: the plan (its budget share of the marketing pool), what it spent, contacts,
conversions attributed by last touch (the last paid channel that contacted the converter),
the incremental conversions shared out in the same proportions, and the cost per incremental
conversion. Last-touch attribution is a guide, not the channel's causal effect: for that,
compare the scenario with and without the channel (``campaign-sim compare``).

Per day: the planned marketing spend (the paced plan of :func:`sim.ledger.pacing_weights`)
against the spend, incentives paid, conversions against the campaign-off baseline, with the
phase of each day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.ledger import Ledger
from sim.scenario import Scenario

CHANNEL_COLUMNS = (
    "channel",
    "plan",
    "spend",
    "spend_share_of_plan",
    "contacts",
    "conversions_attributed",
    "incremental_conversions_attributed",
    "cost_per_incremental_conversion",
)


def channel_table(channels: pd.DataFrame, summary: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """One row per channel with a plan or spend: medians across replications of the columns
    :data:`CHANNEL_COLUMNS` (cost per incremental conversion is the median of each run's ratio,
    NaN in runs with none attributed)."""
    led = Ledger.from_scenario(sc)
    per = channels.groupby(["replication", "channel"], observed=True)[
        ["spend", "contacts", "conversions"]
    ].sum()
    per = per.reset_index()
    paid = per.groupby("replication")["conversions"].transform("sum")
    inc = per["replication"].map(summary.set_index("replication")["incremental_conversions"])
    per["inc"] = np.where(paid > 0, inc * per["conversions"] / paid.where(paid > 0, 1.0), np.nan)
    per["cpic"] = np.where(per["inc"] > 0, per["spend"] / per["inc"].where(per["inc"] > 0, 1.0), np.nan)
    rows = []
    for c, name in enumerate(sc.channels):
        plan = float(led.channel_shares[c]) * led.marketing_pool
        g = per[per["channel"] == name]
        if plan <= 0 and (g.empty or g["spend"].sum() == 0):
            continue
        spend = float(g["spend"].median()) if len(g) else 0.0
        rows.append(
            {
                "channel": name,
                "plan": plan,
                "spend": spend,
                "spend_share_of_plan": spend / plan if plan > 0 else np.nan,
                "contacts": float(g["contacts"].median()) if len(g) else 0.0,
                "conversions_attributed": float(g["conversions"].median()) if len(g) else 0.0,
                "incremental_conversions_attributed": float(g["inc"].median()) if len(g) else np.nan,
                "cost_per_incremental_conversion": float(g["cpic"].median())
                if g["cpic"].notna().any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(CHANNEL_COLUMNS))


def planned_spend(sc: Scenario) -> np.ndarray:
    """Marketing spend the paced plan sets for each campaign day (money)."""
    cumulative = Ledger.from_scenario(sc).plan_cumulative
    return np.diff(cumulative, prepend=0.0)


DAY_COLUMNS = (
    "day",
    "phase",
    "planned_spend",
    "marketing_spend",
    "incentive_cost",
    "new_conversions",
    "baseline_new_conversions",
    "cumulative_conversions",
)


def day_table(daily: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """One row per campaign day: phase, planned and median actual marketing spend, median
    incentives paid, median conversions, median baseline conversions (NaN without a baseline)
    and the median cumulative conversions."""
    camp = daily[daily["day"] < sc.calendar.days].copy()
    camp["cumulative_conversions"] = camp.groupby("replication")["new_conversions"].cumsum()
    if "baseline_new_conversions" not in camp:
        camp["baseline_new_conversions"] = np.nan
    cols = [
        "marketing_spend",
        "incentive_cost",
        "new_conversions",
        "baseline_new_conversions",
        "cumulative_conversions",
    ]
    med = camp.groupby("day")[cols].median()
    phase = camp.groupby("day")["phase"].first()
    plan = planned_spend(sc)
    out = med.assign(phase=phase, planned_spend=plan[med.index.to_numpy()]).reset_index()
    return out[list(DAY_COLUMNS)]
