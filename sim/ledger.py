"""Money: the budget, its pacing over the calendar, and every cost booked against it.

All amounts are in the scenario's currency for the *real* customer base. The spendable
budget is total - risk reserve - fixed costs, split into a marketing pool (paced per
channel) and an incentive pool (bonus interest, cashback, perks, referral rewards).
Nothing is booked that the pool cannot pay, so spend never exceeds the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.scenario import Scenario


def pacing_weights(sc: Scenario) -> np.ndarray:
    """Share of the marketing pool planned for each campaign day (sums to 1).

    even: flat; front_loaded: linearly falling from 2x to ~0; phases: each day weighted
    by the spend_weight of its phase (days outside any phase weigh 1).
    """
    days = sc.calendar.days
    if sc.budget.pacing == "even":
        w = np.ones(days)
    elif sc.budget.pacing == "front_loaded":
        w = np.linspace(2.0, 0.0, days + 1)[:-1] + 1e-9
    else:
        w = np.ones(days)
        for p in sc.calendar.phases:
            w[p.start : p.end + 1] = p.spend_weight
        if w.sum() == 0:
            w = np.ones(days)
    return w / w.sum()


@dataclass
class Ledger:
    total: float
    fixed: float
    reserve: float
    marketing_pool: float
    incentive_pool: float
    channel_shares: np.ndarray
    plan_cumulative: np.ndarray  # planned marketing spend to end of each day
    channel_spent: np.ndarray = field(init=False)
    incentives: float = 0.0
    rewards: float = 0.0

    def __post_init__(self) -> None:
        self.channel_spent = np.zeros(len(self.channel_shares))

    @classmethod
    def from_scenario(cls, sc: Scenario) -> Ledger:
        b = sc.budget
        reserve = b.total * b.risk_reserve_share
        spendable = b.total - reserve - b.fixed_costs
        marketing = spendable * b.marketing_share
        shares = np.array([c.budget_share for c in sc.channels.values()], dtype=float)
        return cls(
            total=b.total,
            fixed=b.fixed_costs,
            reserve=reserve,
            marketing_pool=marketing,
            incentive_pool=spendable - marketing,
            channel_shares=shares,
            plan_cumulative=np.cumsum(pacing_weights(sc)) * marketing,
        )

    def channel_allowance(self, day: int) -> np.ndarray:
        """Money each channel may spend today: its share of the plan to date, less what it
        spent (unspent money rolls forward), never more than the pool has left."""
        if day >= self.plan_cumulative.size:
            return np.zeros_like(self.channel_spent)
        planned = self.plan_cumulative[day] * self.channel_shares
        allowance = np.maximum(planned - self.channel_spent, 0.0)
        left = max(self.marketing_pool - self.marketing_spent, 0.0)
        if allowance.sum() > left:
            allowance *= left / allowance.sum()
        return allowance

    def book_channel(self, channel: int, amount: float) -> None:
        self.channel_spent[channel] += amount

    @property
    def marketing_spent(self) -> float:
        return float(self.channel_spent.sum())

    @property
    def incentive_left(self) -> float:
        return self.incentive_pool - self.incentives - self.rewards

    def affordable_prefix(self, costs: np.ndarray) -> int:
        """How many of these incentive commitments, in order, the incentive pool can pay."""
        return int(np.searchsorted(np.cumsum(costs), self.incentive_left, side="right"))

    @property
    def used(self) -> float:
        return self.fixed + self.marketing_spent + self.incentives + self.rewards

    @property
    def remaining(self) -> float:
        return self.total - self.used
