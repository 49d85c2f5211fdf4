"""The engine's daily record: the flows a day adds up and the columns of a daily row.

The model writes these (:mod:`sim.model`) and the KPI layer reads them (:mod:`sim.kpis`,
which re-exports them); they live here so the engine does not import the layer above it.
"""

from __future__ import annotations

from sim.scenario import STAGES

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
    "complaints_expected",  # sum of complaint probabilities: resolves rare events at small sizes
    "mis_selling",
    "misleading_sales",  # sales made while the offer carried a misleading claim
    "repeat_purchases",  # units bought again by holders (behaviour.repeat_purchase); not in new_conversions
    "repeat_balance",  # their amounts (also in new_balance and, as new money, in new_money)
)

DAILY_COLUMNS = (
    "day",
    "phase",
    *STAGES,
    *DAILY_COUNTERS,
    "quota_remaining",
    "budget_remaining",
    "incentives_on",
    "purchases",  # new_conversions + repeat_purchases: every unit sold that day
    # the units whose buyer's last paid contact was that day, whenever they bought (a call
    # log's booking); filled in after the run (sim.kpis.daily_frame), NaN where not tracked
    "purchases_by_contact_day",
)
