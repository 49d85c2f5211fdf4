"""KPIs: the tidy daily table and the one-row summary of a finished run.

Counts and money are for the real customer base (simulated counts times
``population.represents / population.size``); money is in the scenario's currency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.scenario import STAGES

if TYPE_CHECKING:
    from sim.model import CampaignModel

#: Flows the model adds up during a day (the rest of a daily row is state at day end).
DAILY_COUNTERS = (
    "new_conversions",
    "new_balance",
    "new_money",
    "churned_balance",
    "contacts",
    "marketing_spend",
    "incentive_cost",
    "reward_cost",
    "invitations_sent",
    "invitations_accepted",
    "invited_conversions",
    "complaints",
    "mis_selling",
)

DAILY_COLUMNS = (
    "day",
    "phase",
    *STAGES,
    *DAILY_COUNTERS,
    "quota_remaining",
    "budget_remaining",
    "incentives_on",
)

SUMMARY_KPIS = (
    "participants",
    "conversions",
    "conversion_rate",
    "cost_per_acquisition",
    "incremental_balance",
    "net_value",
    "roi",
    "retention_30d",
    "viral_k",
    "complaints",
    "complaints_per_10k",
    "mis_selling",
    "marketing_spend",
    "incentive_cost",
    "reward_cost",
    "fixed_cost",
    "total_cost",
    "budget_used",
    "budget_used_share",
    "peak_daily_load",
)


def daily_frame(model: CampaignModel) -> pd.DataFrame:
    # numpy columns, not from_records + loc or lists: a fraction of the time, which counts
    # in sweeps (the arrays get the dtypes pandas would infer from the lists)
    recs = model.records
    return pd.DataFrame(
        {c: [r[c] for r in recs] if c == "phase" else np.array([r[c] for r in recs]) for c in DAILY_COLUMNS}
    )


def channel_frame(model: CampaignModel) -> pd.DataFrame:
    recs = model.channel_records
    return pd.DataFrame(
        {
            "day": np.array([r["day"] for r in recs], dtype=np.int64),
            "channel": pd.array([r["channel"] for r in recs], dtype="string"),
            "contacts": np.array([r["contacts"] for r in recs], dtype=np.float64),
            "spend": np.array([r["spend"] for r in recs], dtype=np.float64),
        }
    )


def summarize(model: CampaignModel, daily: pd.DataFrame) -> dict[str, float]:
    """One run's KPIs.

    net value = margin_bp/1e4 * (incremental balance) * term/365 - incentives - rewards
    - marketing - fixed costs; ROI = net value / total cost; retention_30d = share of
    customers converted at least 30 days before the horizon still holding the product;
    viral K = conversions that came through invitations / all conversions.
    """
    sc, pop, scale, led = model.sc, model.pop, model.scale, model.ledger
    conversions = float(daily["new_conversions"].sum())
    participants = float(np.count_nonzero(pop.stage != 0) * scale)
    incremental = float(daily["new_money"].sum() - daily["churned_balance"].sum())
    margin = sc.offer.margin_bp / 1e4 * incremental * sc.offer.term_days / 365
    total_cost = led.fixed + led.marketing_spent + led.incentives + led.rewards
    net = margin - total_cost
    horizon = sc.horizon
    mature = (pop.converted_day >= 0) & (pop.converted_day + 30 <= horizon - 1)
    kept = mature & (pop.stage == STAGES.index("retained"))
    complaints = float(daily["complaints"].sum())
    real_n = pop.size * scale
    return {
        "participants": participants,
        "conversions": conversions,
        "conversion_rate": conversions / real_n,
        "cost_per_acquisition": total_cost / conversions if conversions else np.nan,
        "incremental_balance": incremental,
        "net_value": net,
        "roi": net / total_cost if total_cost > 0 else np.nan,
        "retention_30d": float(kept.sum() / mature.sum()) if mature.any() else np.nan,
        "viral_k": float(daily["invited_conversions"].sum()) / conversions if conversions else 0.0,
        "complaints": complaints,
        "complaints_per_10k": complaints / real_n * 1e4,
        "mis_selling": float(daily["mis_selling"].sum()),
        "marketing_spend": led.marketing_spent,
        "incentive_cost": led.incentives,
        "reward_cost": led.rewards,
        "fixed_cost": led.fixed,
        "total_cost": total_cost,
        "budget_used": led.used,
        "budget_used_share": led.used / led.total if led.total > 0 else np.nan,
        "peak_daily_load": float(daily["new_conversions"].max()) if len(daily) else 0.0,
    }
