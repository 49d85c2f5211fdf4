"""Campaign replay: a per-day schedule of exogenous inputs inside one run.

Past campaign logs hold what was done each day (contacts per channel) and the market it
was done in (the rates customers could get elsewhere, a rival's rate). ``[schedule]`` in
the scenario carries them as daily series; :func:`apply_schedule` writes day ``d``'s values
into that day's :class:`~sim.shocks.Environment` before the model acts on it. Customers
keep their state from day to day (who was called, who is considering, who subscribed), so
a month follows from the months before it.

* ``contacts.<channel>``: real contacts the channel makes that day (a plan, not a budget:
  the channel contacts that many, within its daily capacity and frequency cap, and the
  spend is booked at its unit cost).
* ``market_shift_pp``: the move of the customers' alternative rates since day 0, % a year
  (added to shocks' moves): what their money earns elsewhere is ``current_rate_pp`` plus it.
* ``competitor_rate_pp``: a rival's rate shown that day (``competitor_reach_share`` of
  customers see it; NaN for none).
* ``to_subscribers.<channel>``, ``to_contacts.<channel>``: the shares of the channel's
  contacts that day made to earlier subscribers (customers holding the product) and to
  earlier contacts (contacted before by any channel, holding nothing); the rest go to
  customers never contacted before (:func:`sim.marketing.buy_contacts`). A call list that
  turns to past customers shows here (the bank data: 0.1% of 2008's calls, 31% of 2010's).

A series shorter than the horizon holds its last value.
"""

from __future__ import annotations

import math

from sim.scenario import Scenario
from sim.shocks import Environment


def _at(series: tuple[float, ...], day: int) -> float:
    return series[min(day, len(series) - 1)]


def apply_schedule(sc: Scenario, day: int, env: Environment) -> None:
    """Write the schedule's values for ``day`` into ``env`` (in place; no schedule: no-op)."""
    s = sc.schedule
    if s is None:
        return
    for name, series in s.contacts.items():
        env.planned_contacts[name] = max(_at(series, day), 0.0)
    for name in s.targeted_channels():
        sub, con = s.to_subscribers.get(name, ()), s.to_contacts.get(name, ())
        env.targeting[name] = (_at(sub, day) if sub else 0.0, _at(con, day) if con else 0.0)
    if s.market_shift_pp:
        env.market_shift_pp += _at(s.market_shift_pp, day)
    if s.competitor_rate_pp:
        rate = _at(s.competitor_rate_pp, day)
        if not math.isnan(rate):
            env.competitor_rate = max(env.competitor_rate if env.competitor_rate is not None else rate, rate)
            env.competitor_reach = max(env.competitor_reach, s.competitor_reach_share)
