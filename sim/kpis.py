"""KPIs: the tidy daily table and the one-row summary of a finished run.

Counts and money are for the real customer base (simulated counts times
``population.represents / population.size``); money is in the scenario's currency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.columns import DAILY_COLUMNS, DAILY_COUNTERS  # noqa: F401 - DAILY_COUNTERS re-exported
from sim.scenario import STAGES
from sim.value import clv_multiple, compliance_costs, renewal_from_hazard, terms_in_horizon

if TYPE_CHECKING:
    import pandas as pd

    from sim.model import CampaignModel

# The daily record's columns are the engine's (sim.columns); re-exported here for the KPI users.
#: Campaign against its campaign-off counterfactual (:mod:`sim.baseline`); NaN when the
#: scenario opts out with ``baseline = false``.
INCREMENTAL_KPIS = (
    "baseline_conversions",
    "incremental_conversions",
    "incremental_new_money",
    "incremental_net_value",
    "incremental_roi",
    "cost_per_incremental_conversion",
    "incremental_referral_share",
)

#: Daily counters of the counterfactual kept beside the campaign's, as ``baseline_<name>``.
BASELINE_DAILY = ("new_conversions", "new_money", "churned_balance", "complaints")
PAIRED_DAILY_COLUMNS = tuple(f"baseline_{c}" for c in BASELINE_DAILY)

SUMMARY_KPIS = (
    "participants",
    "conversions",
    "conversion_rate",
    "cost_per_acquisition",
    "incremental_balance",
    "margin_value",
    "net_value",
    "roi",
    "retention_30d",
    "referral_share",
    "invitations_per_converter",
    "conversion_per_invitation",
    "viral_coefficient",
    "complaints",
    "complaints_expected",
    "complaints_per_10k",
    "mis_selling",
    "marketing_spend",
    "incentive_cost",
    "reward_cost",
    "fixed_cost",
    "total_cost",
    "complaint_handling_cost",
    "remediation_cost",
    "expected_fine",
    "compliance_cost",
    "budget_used",
    "budget_used_share",
    "peak_daily_load",
    *INCREMENTAL_KPIS,
    "repeat_purchases",
    "purchases",
)


def daily_frame(model: CampaignModel) -> pd.DataFrame:
    import pandas as pd  # here, not at import: `campaign-sim validate` reads the KPI names only

    # numpy columns, not from_records + loc or lists: a fraction of the time, which counts
    # in sweeps (the arrays get the dtypes pandas would infer from the lists)
    recs = model.records
    frame = {
        c: [r[c] for r in recs] if c == "phase" else np.array([r[c] for r in recs])
        for c in DAILY_COLUMNS
        if c != "purchases_by_contact_day"
    }
    # known only once later sales are in: a sale is credited back to its contact's day
    credited = getattr(model, "contact_day_purchases", None)
    days = np.array([r["day"] for r in recs], dtype=np.int64)
    frame["purchases_by_contact_day"] = credited[days] if credited is not None else np.full(days.size, np.nan)
    return pd.DataFrame(frame)


def channel_frame(model: CampaignModel) -> pd.DataFrame:
    """One row per channel and campaign day the channel was run: contacts, spend, the money
    the paced plan allowed (``allowance``, with unspent money rolled forward), whether the
    channel was open, whether its capacity or frequency cap bound (:mod:`sim.limits`), and the
    conversions whose last paid contact was this channel (last-touch attribution; conversions
    on days the channel did not run are not in its rows)."""
    import pandas as pd

    recs = model.channel_records
    touch = getattr(model, "touch_conversions", None)
    index = {name: c + 1 for c, name in enumerate(model.sc.channels)}
    return pd.DataFrame(
        {
            "day": np.array([r["day"] for r in recs], dtype=np.int64),
            "channel": pd.array([r["channel"] for r in recs], dtype="string"),
            "contacts": np.array([r["contacts"] for r in recs], dtype=np.float64),
            "spend": np.array([r["spend"] for r in recs], dtype=np.float64),
            **{
                col: np.array([r.get(col, default) for r in recs], dtype=dtype)
                for col, default, dtype in CHANNEL_LIMIT_COLUMNS
            },
            # conversions whose last paid contact was this channel (last-touch attribution)
            "conversions": np.array(
                [touch[r["day"], index[r["channel"]]] if touch is not None else np.nan for r in recs],
                dtype=np.float64,
            ),
        }
    )


#: Channel-day columns beyond contacts and spend, with the value a model that does not record
#: them (the per-agent reference) gets.
CHANNEL_LIMIT_COLUMNS = (
    ("allowance", np.nan, np.float64),
    ("open", True, bool),
    ("capacity_bound", False, bool),
    ("frequency_capped", False, bool),
)


def summarize(model: CampaignModel, daily: pd.DataFrame) -> dict[str, float]:
    """One run's gross KPIs (the campaign arm alone; :func:`incremental` subtracts the baseline).

    margin value = lifetime margin (:mod:`sim.value`) of the net new money still held at the
    horizon, mis-sold money excluded; net value = margin value - total cost (marketing,
    incentives, rewards, fixed) - compliance cost (complaint handling, mis-selling redress,
    expected fine); ROI = net value / total cost; complaints_per_10k uses the expected count
    (sum of complaint probabilities), which resolves rare events at small simulated
    populations where one simulated complaint stands for many; retention_30d = share of
    customers converted at least 30 days before the horizon still holding the product.
    Referral: referral_share = invited conversions / conversions; invitations_per_converter =
    invitations sent per converter whose whole referral window (``referral.active_days``) fell
    inside the campaign (converters near the end could not finish inviting);
    conversion_per_invitation = invited conversions / invitations sent; viral_coefficient =
    the product of the two: new converters one converter brings per referral cycle (a
    generation), below 1 a referral chain dies out (Mollison 1977 branching process).
    """
    sc, pop, scale, led = model.sc, model.pop, model.scale, model.ledger
    conversions = float(daily["new_conversions"].sum())  # customers: a repeat purchase is not one
    repeats = float(daily["repeat_purchases"].sum())
    participants = float(np.count_nonzero(pop.stage != 0) * scale)
    incremental = float(daily["new_money"].sum() - daily["churned_balance"].sum())
    margin = margin_value(model)
    total_cost = led.fixed + led.marketing_spent + led.incentives + led.rewards
    compliance = compliance_costs(
        float(daily["complaints_expected"].sum()),
        float(daily["mis_selling"].sum()),
        float(daily["misleading_sales"].sum()),
        sc.compliance,
    )
    compliance_cost = sum(compliance.values())
    net = margin - total_cost - compliance_cost
    horizon = model.horizon  # rules may have extended or ended the campaign
    mature = (pop.converted_day >= 0) & (pop.converted_day + 30 <= horizon - 1)
    kept = mature & (pop.stage == STAGES.index("retained"))
    complaints = float(daily["complaints_expected"].sum())
    real_n = pop.size * scale
    return {
        "participants": participants,
        "conversions": conversions,
        "conversion_rate": conversions / real_n,
        "cost_per_acquisition": total_cost / conversions if conversions else np.nan,
        "incremental_balance": incremental,
        "margin_value": margin,
        "net_value": net,
        "roi": net / total_cost if total_cost > 0 else np.nan,
        "retention_30d": float(kept.sum() / mature.sum()) if mature.any() else np.nan,
        **referral_kpis(model, daily, conversions),
        "complaints": float(daily["complaints"].sum()),
        "complaints_expected": complaints,
        "complaints_per_10k": complaints / real_n * 1e4,
        "mis_selling": float(daily["mis_selling"].sum()),
        "marketing_spend": led.marketing_spent,
        "incentive_cost": led.incentives,
        "reward_cost": led.rewards,
        "fixed_cost": led.fixed,
        "total_cost": total_cost,
        **compliance,
        "compliance_cost": compliance_cost,
        "budget_used": led.used,
        "budget_used_share": led.used / led.total if led.total > 0 else np.nan,
        "peak_daily_load": float(daily["new_conversions"].max()) if len(daily) else 0.0,
        "repeat_purchases": repeats,
        "purchases": conversions + repeats,
    }


def referral_kpis(model: CampaignModel, daily: pd.DataFrame, conversions: float) -> dict[str, float]:
    """Referral share, invitations per converter, conversion per invitation and the
    per-generation viral coefficient (see :func:`summarize`)."""
    pop, sc = model.pop, model.sc
    invited = float(daily["invited_conversions"].sum())
    sent = float(daily["invitations_sent"].sum())
    converted = pop.converted_day >= 0
    full_cycle = converted & (pop.converted_day + sc.referral.active_days <= model.campaign_days - 1)
    cohort = full_cycle if full_cycle.any() else converted
    per_converter = float(pop.invites_sent[cohort].mean()) if cohort.any() else 0.0
    per_invitation = invited / sent if sent > 0 else 0.0
    return {
        "referral_share": invited / conversions if conversions else 0.0,
        "invitations_per_converter": per_converter,
        "conversion_per_invitation": per_invitation,
        "viral_coefficient": per_converter * per_invitation,
    }


def incremental(gross: dict[str, float], base: dict[str, float] | None) -> dict[str, float]:
    """Incremental KPIs of a campaign run against its counterfactual run (same seed, campaign
    off); all NaN without a baseline.

    incremental X = X(campaign) - X(baseline) for conversions, new money (net of churn, the
    gross ``incremental_balance``) and net value; incremental ROI = incremental net value /
    incremental cost; cost per incremental conversion = campaign cost / incremental
    conversions (NaN unless some are incremental); incremental referral share = invited
    conversions above the baseline's / incremental conversions.
    """
    if base is None:
        return dict.fromkeys(INCREMENTAL_KPIS, np.nan)
    conv = gross["conversions"] - base["conversions"]
    value = gross["net_value"] - base["net_value"]
    cost = gross["total_cost"] - base["total_cost"]
    invited = gross["referral_share"] * gross["conversions"] - base["referral_share"] * base["conversions"]
    return {
        "baseline_conversions": base["conversions"],
        "incremental_conversions": conv,
        "incremental_new_money": gross["incremental_balance"] - base["incremental_balance"],
        "incremental_net_value": value,
        "incremental_roi": value / cost if cost > 0 else np.nan,
        "cost_per_incremental_conversion": gross["total_cost"] / conv if conv > 0 else np.nan,
        "incremental_referral_share": invited / conv if conv > 0 else np.nan,
    }


def margin_value(model: CampaignModel) -> float:
    """Lifetime margin (:func:`sim.value.clv_multiple`) on the net new money held at the
    horizon by customers sold suitably (a mis-sold product is unwound: no margin)."""
    sc, pop = model.sc, model.pop
    o, v = sc.offer, sc.value
    held = np.isin(pop.stage, (STAGES.index("converted"), STAGES.index("retained"))) & ~pop.unsuitable
    money = pop.amount[held] * pop.new_money[held] * model.scale * np.maximum(pop.held[held], 1)  # units held
    renewal = v.renewal if v.renewal is not None else renewal_from_hazard(pop.churn_hazard[held], o.term_days)
    terms = terms_in_horizon(o.term_days, v.horizon_years)
    multiple = clv_multiple(renewal, v.discount_rate, o.term_days, terms)
    return float((o.margin_bp / 1e4 * o.term_days / 365 * money * multiple).sum())
