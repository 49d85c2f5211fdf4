"""Plain-words names and definitions of every KPI, and the budget split, for the run report.

Every summary KPI (:data:`sim.kpis.SUMMARY_KPIS`) and limit column
(:data:`sim.limits.LIMIT_SUMMARY`) has an entry: a label a planner reads (gross KPIs say
"gross": they include the business that would have come without the campaign), the group it
is shown in, and a definition. A test checks nothing is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.ledger import Ledger
from sim.scenario import Scenario


@dataclass(frozen=True)
class Entry:
    label: str
    group: str
    definition: str


INCREMENTAL = "Incremental: what the campaign adds over the campaign-off baseline"
GROSS = "Gross: the campaign arm alone, including business that would have come anyway"
COSTS = "Costs"
CONDUCT = "Conduct and compliance"
REFERRAL = "Referral"
LIMITS = "Limits"
GROUPS = (INCREMENTAL, GROSS, COSTS, CONDUCT, REFERRAL, LIMITS)

GLOSSARY: dict[str, Entry] = {
    "baseline_conversions": Entry(
        "baseline conversions", INCREMENTAL,
        "Conversions in the paired campaign-off run (same customers, network, shocks and random "
        "numbers; no paid contacts, incentives, anchor, claims, quota or referral programme): "
        "business that comes anyway.",
    ),
    "incremental_conversions": Entry(
        "incremental conversions", INCREMENTAL, "Conversions minus baseline conversions."
    ),
    "incremental_new_money": Entry(
        "incremental new money", INCREMENTAL,
        "Net new money (new money in, minus money of customers who churned) minus the baseline's.",
    ),
    "incremental_net_value": Entry(
        "incremental net value", INCREMENTAL,
        "Net value minus the baseline's net value: what the campaign is worth to the bank after "
        "all its costs, over and above doing nothing.",
    ),
    "incremental_roi": Entry(
        "incremental ROI", INCREMENTAL, "Incremental net value divided by the campaign's extra cost."
    ),
    "cost_per_incremental_conversion": Entry(
        "cost per incremental conversion", INCREMENTAL,
        "Total campaign cost divided by incremental conversions: the real CPA (empty when nothing "
        "was incremental).",
    ),
    "incremental_referral_share": Entry(
        "incremental referral share", INCREMENTAL,
        "Invited conversions above the baseline's, as a share of incremental conversions.",
    ),
    "participants": Entry(
        "participants (gross)", GROSS, "Customers who became at least aware of the offer."
    ),
    "conversions": Entry("conversions (gross)", GROSS, "Customers who took the product during the campaign."),
    "conversion_rate": Entry("conversion rate (gross)", GROSS, "Conversions divided by all customers."),
    "repeat_purchases": Entry(
        "repeat purchases (gross)", GROSS,
        "Further units bought by customers who already held the product, when a contact reached "
        "them (behaviour.repeat_purchase; 0 unless set). Not in conversions, which count customers.",
    ),
    "purchases": Entry(
        "purchases (gross)", GROSS, "All units sold: conversions plus repeat purchases."
    ),
    "cost_per_acquisition": Entry(
        "cost per acquisition, CPA (gross)", GROSS,
        "Total cost divided by all conversions, including those that would have come anyway.",
    ),
    "incremental_balance": Entry(
        "net new money (gross)", GROSS,
        "New money brought in minus the new money of customers who churned by the horizon "
        "(its historical name says 'incremental', but it is gross of the baseline).",
    ),
    "margin_value": Entry(
        "margin value (gross)", GROSS,
        "Lifetime margin on the net new money still held at the horizon, over the value horizon "
        "with renewal and discounting (docs/value.md); mis-sold money earns none.",
    ),
    "net_value": Entry(
        "net value (gross)", GROSS, "Margin value minus total cost minus compliance cost."
    ),
    "roi": Entry("ROI (gross)", GROSS, "Net value divided by total cost."),
    "retention_30d": Entry(
        "30-day retention", GROSS,
        "Share of customers who converted at least 30 days before the horizon and still hold the "
        "product.",
    ),
    "peak_daily_load": Entry(
        "peak daily conversions", GROSS, "The largest number of conversions on one day (operations load)."
    ),
    "marketing_spend": Entry("marketing spend", COSTS, "Money paid to channels for contacts."),
    "incentive_cost": Entry(
        "incentive cost", COSTS, "Bonus interest, cashback and perks paid to converters."
    ),
    "reward_cost": Entry("referral rewards", COSTS, "Rewards paid to inviters and invitees."),
    "fixed_cost": Entry("fixed costs", COSTS, "Set-up costs paid whatever happens (technology, materials)."),
    "total_cost": Entry("total cost", COSTS, "Marketing + incentives + referral rewards + fixed costs."),
    "budget_used": Entry("budget used", COSTS, "Total cost booked against the budget."),
    "budget_used_share": Entry("budget used share", COSTS, "Budget used divided by the total budget."),
    "complaints": Entry(
        "complaints (sampled)", CONDUCT,
        "Complaints drawn in the simulation; at small populations one simulated complaint stands "
        "for many real ones, so read the expected count.",
    ),
    "complaints_expected": Entry(
        "complaints (expected)", CONDUCT,
        "Sum of every complaint probability: the expected count, which resolves rare events at small "
        "simulated populations.",
    ),
    "complaints_per_10k": Entry(
        "complaints per 10,000 customers", CONDUCT, "Expected complaints per 10,000 customers."
    ),
    "mis_selling": Entry(
        "mis-sold sales", CONDUCT, "Sales of a product above the customer's risk appetite."
    ),
    "complaint_handling_cost": Entry(
        "complaint handling cost", CONDUCT, "Expected complaints times the handling cost per complaint."
    ),
    "remediation_cost": Entry(
        "mis-selling redress", CONDUCT,
        "Mis-sold sales times the redress per case (their margin is also lost).",
    ),
    "expected_fine": Entry(
        "expected fine", CONDUCT,
        "Probability of a fine times the fine, once a misleading claim was used in a sale.",
    ),
    "compliance_cost": Entry(
        "compliance cost", CONDUCT, "Complaint handling + redress + expected fine; deducted in net value."
    ),
    "referral_share": Entry(
        "referral share (gross)", REFERRAL, "Conversions that came through an invitation, as a share of all."
    ),
    "invitations_per_converter": Entry(
        "invitations per converter", REFERRAL,
        "Invitations a converter sent, among converters whose whole inviting window fell in the campaign.",
    ),
    "conversion_per_invitation": Entry(
        "conversion per invitation", REFERRAL, "Invited conversions divided by invitations sent."
    ),
    "viral_coefficient": Entry(
        "viral coefficient (per generation)", REFERRAL,
        "Invitations per converter times conversion per invitation: new converters one converter "
        "brings per referral cycle; below 1 a referral chain dies out.",
    ),
    "incentive_pool_exhausted_day": Entry(
        "incentive money ran out (day)", LIMITS,
        "Day the incentive pool could no longer pay a typical customer; then the scenario's "
        "on_incentive_exhausted applies (empty if it never ran out).",
    ),
    "marketing_pool_exhausted_day": Entry(
        "marketing money ran out (day)", LIMITS,
        "Day the marketing pool was spent before the campaign's last day.",
    ),
    "quota_sold_out_day": Entry("quota sold out (day)", LIMITS, "Day the last place of the quota was taken."),
    "days_capacity_saturated": Entry(
        "channel-days at capacity", LIMITS,
        "Days, summed over channels, on which a channel's daily capacity rather than its money set "
        "its contacts.",
    ),
    "days_frequency_capped": Entry(
        "channel-days at frequency cap", LIMITS,
        "Days, summed over channels, on which a channel ran out of customers to contact because of its "
        "frequency cap.",
    ),
    "channel_budget_unspent": Entry(
        "marketing budget left unspent", LIMITS, "Money of the channels' plans that was not spent."
    ),
    "channel_budget_unspent_share": Entry(
        "share of marketing budget unspent", LIMITS, "Unspent channel money divided by the marketing pool."
    ),
}  # fmt: skip

#: Words of the report that are not KPI columns.
TERMS: dict[str, str] = {
    "incremental": "Over and above the paired campaign-off run, which sees the same customers and shocks.",
    "gross": "The campaign arm's own figure, including business that would have come without the campaign.",
    "90% interval": "5th to 95th percentile across replications: the spread of outcomes the campaign may "
    "deliver given the scenario's uncertainty (customer draws, shocks), not estimation error.",
    "P(...)": "Share of replications in which the statement held; where shown, its interval is the Wilson "
    "score interval for that share given the number of replications.",
    "worst decile": "The 10th percentile across replications: one run in ten does this badly or worse.",
    "last-touch attribution": "A conversion is credited to the last paid channel that contacted the "
    "customer; incremental conversions are shared out in the same proportions. A guide, not a causal "
    "per-channel effect (for that, compare the scenario with and without the channel).",
}


def budget_split(sc: Scenario) -> list[tuple[str, float, str]]:
    """The budget split as (part, money, what it is) rows: total, risk reserve, fixed costs,
    marketing pool, incentive pool (as :class:`sim.ledger.Ledger` splits it)."""
    led = Ledger.from_scenario(sc)
    b = sc.budget
    return [
        ("total budget", led.total, "Everything the campaign may spend."),
        (
            "risk reserve",
            led.reserve,
            f"{b.risk_reserve_share:.0%} of the total, held back and never spent by the simulation.",
        ),
        ("fixed costs", led.fixed, "Paid whatever happens (technology, materials)."),
        (
            "marketing pool",
            led.marketing_pool,
            f"{b.marketing_share:.0%} of what is left, paced over the campaign days and split between "
            "channels by their budget shares.",
        ),
        (
            "incentive pool",
            led.incentive_pool,
            "The rest: bonus interest, cashback, perks and referral rewards, paid first come, first served "
            f"while it lasts (then: {sc.offer.on_incentive_exhausted.replace('_', ' ')}).",
        ),
    ]
