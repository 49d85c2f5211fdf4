"""Money: the budget, its pacing over the calendar, and every cost booked against it.

All amounts are in the scenario's currency for the *real* customer base. The spendable
budget is total - risk reserve - fixed costs, split into a marketing pool (paced per
channel) and an incentive pool (bonus interest, cashback, perks, referral rewards).
Nothing is booked that the pool cannot pay, so spend never exceeds the budget: rules may
move money between channels and from the risk reserve into the incentive pool, never more
than the reserve holds, so ``used <= total`` always.
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
    incentives_on: bool = True  # paying incentives; off once the pool cannot pay a typical customer
    incentive_start: float = field(init=False)

    def __post_init__(self) -> None:
        self.channel_spent = np.zeros(len(self.channel_shares))
        self.incentive_start = self.incentive_pool

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

    def pay_incentives(
        self, incentive: np.ndarray, rewards: np.ndarray, scale: float
    ) -> tuple[int, float, float]:
        """Pay customers in order while the pool lasts: each gets ``incentive`` (and the
        referral ``rewards``) per simulated customer, ``scale`` real ones each. Returns how
        many were paid and the incentive and reward money booked.

        Those the pool cannot pay are not converted today. Once it cannot pay a typical
        (median) customer the money has run out and incentives stop (switching off on the
        first unaffordable customer would end bonuses early at small sizes, where one
        simulated customer stands for hundreds)."""
        cost = (incentive + rewards) * scale
        n_ok = self.affordable_prefix(cost)
        if n_ok < cost.size:
            left = self.incentive_left - float(cost[:n_ok].sum())
            if left < float(np.median(cost)):
                self.incentives_on = False
        inc = float(incentive[:n_ok].sum()) * scale
        rew = float(rewards[:n_ok].sum()) * scale
        self.incentives += inc
        self.rewards += rew
        return n_ok, inc, rew

    def top_up(self, amount: float) -> float:
        """Move up to ``amount`` from the risk reserve into the incentive pool (never more
        than the reserve holds, so the budget is never exceeded); incentives are paid again
        while money is left. Returns the amount moved."""
        moved = min(max(amount, 0.0), self.reserve)
        self.reserve -= moved
        self.incentive_pool += moved
        if moved > 0 and self.incentive_left > 0:
            self.incentives_on = True
        return moved

    def move_share(self, source: int, target: int, share: float) -> float:
        """Move ``share`` of the marketing budget (at most what ``source`` has) from one
        channel to another; unspent planned money follows the new shares."""
        moved = min(share, float(self.channel_shares[source]))
        self.channel_shares[source] -= moved
        self.channel_shares[target] += moved
        return moved

    def repace(self, day: int, days: int) -> None:
        """A new campaign length ``days`` from ``day``: the plan to yesterday stays; what it
        had not planned yet is spread evenly over the days left."""
        done = float(self.plan_cumulative[min(day, self.plan_cumulative.size) - 1]) if day > 0 else 0.0
        rest = max(days - day, 0)
        tail = done + np.arange(1, rest + 1) * ((self.marketing_pool - done) / max(rest, 1))
        self.plan_cumulative = np.concatenate([self.plan_cumulative[: min(day, days)], tail])

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
