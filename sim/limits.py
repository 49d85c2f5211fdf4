"""Limits: when the campaign's own limits bound, read off a finished run's tidy tables.

A campaign is held back by its limits as much as by its customers; none of them may bind
silently. Per run, :func:`limits_table` gives one row per limit (and channel):

- ``incentive_pool_exhausted``: the pool for bonus interest, cashback, perks and referral
  rewards could no longer pay a typical customer (``offer.on_incentive_exhausted`` then
  applies). First day: the day it ran out; days: campaign days without incentives; amount:
  money left in the pool.
- ``marketing_pool_exhausted``: the channels' pool was spent (within 0.5%) before the
  campaign's last day. Days: campaign days from then; amount: money left.
- ``quota_sold_out``: all ``offer.quota`` places were taken. Days: campaign days closed.
- ``channel_capacity_saturated`` (per channel): the channel's ``daily_capacity``, not its
  money, set the day's contacts. Days: such days.
- ``frequency_cap_binding`` (per channel): the channel bought more contacts than it found
  customers to contact, some of them kept out by its ``frequency_cap``. Days: such days.
- ``channel_budget_unspent`` (per channel): it spent less than its share of the marketing
  pool by more than 1%. First day: the first day it spent less than the plan allowed (by
  more than one contact) or was not run; days: such days; amount: money left unspent.

Days are 0-based campaign days (reports show them 1-based). The engine records the raw facts
in one place (the channel-day rows of :func:`sim.kpis.channel_frame`: ``allowance``, ``open``,
``capacity_bound``, ``frequency_capped``; the daily ``incentives_on``, ``quota_remaining`` and
spend); everything here is pure. :func:`limit_summary` gives the summary columns
(:data:`LIMIT_SUMMARY`) and :func:`limits_overview` aggregates replications for the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.ledger import Ledger
from sim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where frames are built: `campaign-sim validate` reads LIMIT_SUMMARY only.

CAMPAIGN_LIMITS = ("incentive_pool_exhausted", "marketing_pool_exhausted", "quota_sold_out")
CHANNEL_LIMITS = ("channel_capacity_saturated", "frequency_cap_binding", "channel_budget_unspent")
LIMITS = (*CAMPAIGN_LIMITS, *CHANNEL_LIMITS)
LIMIT_COLUMNS = ("limit", "channel", "binds", "first_day", "days", "amount")

#: Summary columns (one value per replication): days are NaN when the limit never bound.
LIMIT_SUMMARY = (
    "incentive_pool_exhausted_day",
    "marketing_pool_exhausted_day",
    "quota_sold_out_day",
    "days_capacity_saturated",  # channel-days, all channels
    "days_frequency_capped",  # channel-days, all channels
    "channel_budget_unspent",
    "channel_budget_unspent_share",  # of the marketing pool
)

POOL_TOLERANCE = 0.005  # a pool within 0.5% of spent counts as exhausted
UNSPENT_TOLERANCE = 0.01  # a channel more than 1% under its plan has budget left unspent


def _row(limit: str, channel: str, days: np.ndarray, amount: float = np.nan) -> dict:
    return {
        "limit": limit,
        "channel": channel,
        "binds": bool(days.size),
        "first_day": float(days.min()) if days.size else np.nan,
        "days": int(days.size),
        "amount": amount,
    }


def limits_table(sc: Scenario, daily: pd.DataFrame, channels: pd.DataFrame) -> pd.DataFrame:
    """One run's limits (columns :data:`LIMIT_COLUMNS`): the campaign-wide ones, then three rows
    per channel."""
    import pandas as pd

    return pd.DataFrame(limit_rows(sc, daily, channels), columns=list(LIMIT_COLUMNS))


def limit_rows(sc: Scenario, daily: pd.DataFrame, channels: pd.DataFrame) -> list[dict]:
    """The rows of :func:`limits_table` as dicts (numpy throughout: it runs once per run)."""
    n_days = sc.calendar.days
    ledger = Ledger.from_scenario(sc)
    day_all = daily["day"].to_numpy()
    camp = day_all < n_days
    day = day_all[camp]

    def col(name: str) -> np.ndarray:
        return daily[name].to_numpy()[camp]

    off = day[~col("incentives_on").astype(bool)]
    paid = float(col("incentive_cost").sum() + col("reward_cost").sum())
    spent = np.cumsum(col("marketing_spend"))
    pool = ledger.marketing_pool
    gone = day[(spent >= pool * (1 - POOL_TOLERANCE)) & (day < n_days - 1)] if pool > 0 else day[:0]
    quota = col("quota_remaining").astype(float)
    rows = [
        _row("incentive_pool_exhausted", "", off, ledger.incentive_pool - paid),
        _row("marketing_pool_exhausted", "", gone, pool - float(spent[-1]) if spent.size else pool),
        _row("quota_sold_out", "", day[quota <= 0]),
    ]
    scale = sc.population.scale
    c_day = channels["day"].to_numpy()
    c_name = channels["channel"].to_numpy(dtype=object)
    c_run = c_day < n_days
    arrays = {k: channels[k].to_numpy() for k in ("spend", "allowance", "capacity_bound", "frequency_capped")}
    for c, (name, ch) in enumerate(sc.channels.items()):
        mine = c_run & (c_name == name)
        d = c_day[mine]
        rows.append(_row("channel_capacity_saturated", name, d[arrays["capacity_bound"][mine].astype(bool)]))
        rows.append(_row("frequency_cap_binding", name, d[arrays["frequency_capped"][mine].astype(bool)]))
        plan = float(ledger.channel_shares[c]) * pool
        spend = arrays["spend"][mine]
        unspent = plan - float(spend.sum())
        short_days = day[:0]
        if plan > 0 and unspent > UNSPENT_TOLERANCE * plan:
            # days it spent less than the plan allowed (by more than one contact) or was not run
            short = arrays["allowance"][mine] - spend > ch.unit_cost * scale + 1e-9 * plan
            short_days = np.union1d(d[short], np.setdiff1d(np.arange(n_days), d))
        rows.append(_row("channel_budget_unspent", name, short_days, max(unspent, 0.0)))
    return rows


def limit_summary(table: pd.DataFrame | list[dict], sc: Scenario) -> dict[str, float]:
    """The summary columns :data:`LIMIT_SUMMARY` of one run's limits (table or rows)."""
    import pandas as pd

    rows = table.to_dict("records") if isinstance(table, pd.DataFrame) else table
    first = {r["limit"]: r["first_day"] for r in rows if not r["channel"]}
    pool = Ledger.from_scenario(sc).marketing_pool

    def total(limit: str, key: str) -> float:
        return float(sum(max(r[key], 0) for r in rows if r["limit"] == limit))

    unspent = total("channel_budget_unspent", "amount")
    return {
        "incentive_pool_exhausted_day": float(first["incentive_pool_exhausted"]),
        "marketing_pool_exhausted_day": float(first["marketing_pool_exhausted"]),
        "quota_sold_out_day": float(first["quota_sold_out"]),
        "days_capacity_saturated": total("channel_capacity_saturated", "days"),
        "days_frequency_capped": total("frequency_cap_binding", "days"),
        "channel_budget_unspent": unspent,
        "channel_budget_unspent_share": unspent / pool if pool > 0 else np.nan,
    }


def limits_overview(limits: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Across replications (``limits`` with a ``replication`` column): per limit and channel,
    the runs in which it bound, their share, the median and 5th-95th percentile of the day it
    first bound, the median days it bound and the median amount. Limits that never bound in
    any run are left out."""
    import pandas as pd

    rows = []
    for (limit, channel), g in limits.groupby(["limit", "channel"], sort=False):
        b = g[g["binds"]]
        if b.empty:
            continue
        first = b["first_day"].to_numpy(dtype=float)
        rows.append(
            {
                "limit": limit,
                "channel": channel,
                "runs": len(b),
                "share": len(b) / replications if replications else np.nan,
                "first_day_median": float(np.median(first)),
                "first_day_p05": float(np.percentile(first, 5)),
                "first_day_p95": float(np.percentile(first, 95)),
                "days_median": float(b["days"].median()),
                "amount_median": float(b["amount"].median()),
            }
        )
    cols = ["limit", "channel", "runs", "share", "first_day_median", "first_day_p05", "first_day_p95"]
    return pd.DataFrame(rows, columns=[*cols, "days_median", "amount_median"])
