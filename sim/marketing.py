"""Marketing: each open channel turns today's paced allowance into contacts.

Within its daily capacity, the money its pacing plan allows (:meth:`sim.ledger.Ledger.channel_allowance`)
and each customer's frequency cap, a channel samples targets by reach weight
(:func:`sim.channels.sample_targets`); fatigue and contact complaints are recorded and the
spend is booked. The day's contacts of all channels go on to awareness and consideration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.channels import Contacts, contacts_affordable, interest_weights, sample_targets
from sim.population import AWARE, CONSIDERING, CONVERTED, DROPPED, RETAINED, UNAWARE
from sim.scenario import STAGES, Scenario

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.shocks import Environment

OPEN = np.zeros(len(STAGES), dtype=bool)
OPEN[[UNAWARE, AWARE, CONSIDERING, DROPPED]] = True  # stages marketing may still target
HOLDING = np.zeros(len(STAGES), dtype=bool)
HOLDING[[CONVERTED, RETAINED]] = True  # customers who hold the product
INTERESTED = np.zeros(len(STAGES), dtype=bool)
INTERESTED[[AWARE, CONSIDERING]] = True  # customers showing interest (channels.interest_priority)


def open_stages(sc: Scenario) -> np.ndarray:
    """Stages marketing may target: those not yet sold to, and the holders too when a
    contact can sell them another unit (``behaviour.repeat_purchase`` > 0)."""
    return OPEN | HOLDING if sc.behaviour.repeat_purchase > 0 else OPEN.copy()


def buy_contacts(m: CampaignModel, env: Environment, start: np.ndarray, rec: dict) -> Contacts | None:
    """Each open channel buys contacts with today's paced allowance, within capacity
    and frequency caps; returns the day's contacts of all channels (or None)."""
    pop, scale, d = m.pop, m.scale, m.day
    allowance = m.ledger.channel_allowance(m.day).tolist()  # floats: cheaper arithmetic
    ids, wear, channels, sizes, salts = [], [], [], [], []
    for c, (name, ch) in enumerate(m.sc.channels.items()):
        if not env.channel_open[name]:
            m.channel_records.append(_channel_row(m.day, name, 0, 0.0, scale, allowance[c], False))
            continue
        rng = m._channel_rng[c].on(d)
        unit = ch.unit_cost * scale  # one simulated contact stands for `scale` real ones
        cap = ch.daily_capacity / scale
        planned = env.planned_contacts.get(name)
        if planned is not None:  # campaign replay: the log's contacts, not the budget's
            k_float = min(cap, planned / scale)
        else:
            k_float = contacts_affordable(allowance[c], unit, cap)
        k = int(k_float) + int(rng.random() < k_float - int(k_float))
        if unit > 0 and planned is None:
            k = min(k, int(allowance[c] // unit))
        rule = m._open_rules[c]
        rule.stage = start
        w = (m.weights[c], m.w_max[c], m.w_mean[c])
        if ch.interest_priority != 1.0:
            w = interest_weights(w[0], INTERESTED, start, ch.interest_priority)
        shares = env.targeting.get(name)
        if shares is None:
            idx = sample_targets(rng, k, w[0], w[1], rule, w[2])
        else:  # campaign replay: the log says whom the day's contacts went to
            idx = targeted_contacts(m, c, rng, k, shares, start, w)
        limits = {
            "capacity_bound": unit <= 0 or k_float < allowance[c] / unit,  # capacity, not money
            # fewer customers left to contact than bought, some of them kept out by the cap
            "frequency_capped": idx.size < k
            and bool(np.count_nonzero(rule.open_stage[start] & (rule.counts >= ch.frequency_cap))),
        }
        ids.append(idx)
        wear.append(np.empty(idx.size, dtype=np.float32))
        u = m._u["contact_complaints"](d, idx, m._channel_salt[c])
        n_complaints = kernels.record_contacts(
            idx, rule.counts, pop.exposures, np.float32(ch.fatigue), wear[-1], u, ch.complaint_rate
        )
        m.last_touch[idx] = c  # last-touch attribution (sim.kpis.channel_frame)
        m.last_touch_day[idx] = d
        cost = idx.size * unit
        m.ledger.book_channel(c, cost)
        rec["contacts"] += idx.size * scale
        rec["marketing_spend"] += cost
        rec["complaints"] += float(n_complaints) * scale
        rec["complaints_expected"] += idx.size * ch.complaint_rate * scale
        channels.append(c)
        sizes.append(idx.size)
        salts.append(m._channel_salt[c])
        m.channel_records.append(
            _channel_row(m.day, name, idx.size, cost, scale, allowance[c], True, **limits)
        )
    if sum(sizes) == 0:
        return None
    return Contacts(
        idx=np.concatenate(ids),
        fatigue=np.concatenate(wear),  # of each contact's earlier exposures
        awareness=np.repeat(m._awareness_coef[channels], sizes),
        consideration=np.repeat(m._consideration_coef[channels], sizes),
        conversation=np.repeat(m._conversation[channels], sizes),
        salts=tuple(zip(salts, sizes, strict=True)),
    )


def targeted_contacts(
    m: CampaignModel,
    c: int,
    rng: np.random.Generator,
    k: int,
    shares: tuple[float, float],
    start: np.ndarray,
    w: tuple[np.ndarray, float, float],
) -> np.ndarray:
    """Channel ``c``'s ``k`` contacts shared out as the schedule logs them: each goes to the
    earlier subscribers (customers holding the product) with probability s, to earlier
    contacts (contacted before by any channel, holding nothing) with probability e and to
    customers never contacted otherwise, with (s, e) = ``shares`` (a multinomial split, so
    shares hold on average even when a day has one simulated contact); each pool is
    sampled by reach weight within the channel's frequency cap. Contacts a pool cannot take
    (the model has fewer such customers left than the log called) go to anyone else the
    channel may contact, by reach weight: the log's volume is kept, its make-up as far as
    the model's customers allow. ``w`` is today's (weights, max, mean) of the channel."""
    s, e = shares
    k_sub, k_con, k_new = rng.multinomial(k, np.array([s, e, max(1.0 - s - e, 0.0)]) / max(s + e, 1.0))
    rule, exposures = m._open_rules[c], m.pop.exposures
    pools = ((int(k_sub), HOLDING, None), (int(k_con), OPEN, True), (int(k_new), OPEN, False))
    parts = []
    for want, stages, contacted in pools:

        def pool(idx: np.ndarray, stages: np.ndarray = stages, was: bool | None = contacted) -> np.ndarray:
            ok = stages[start[idx]] & (rule.counts[idx] < rule.limit)
            return ok if was is None else ok & ((exposures[idx] > 0) == was)

        parts.append(sample_targets(rng, want, w[0], w[1], pool, w[2]))
    chosen = np.concatenate(parts)
    if chosen.size < k:  # a pool ran short: the rest among everyone else open to the channel
        rule.taken[chosen] = True

        def others(idx: np.ndarray) -> np.ndarray:
            return rule(idx) & ~rule.taken[idx]

        more = sample_targets(rng, k - chosen.size, w[0], w[1], others, w[2])
        rule.taken[chosen] = False  # the scratch is all false between calls
        chosen = np.concatenate([chosen, more])
    return chosen


def contact_uniforms(keyed, day: int, contacts: Contacts) -> np.ndarray:
    """One keyed uniform per contact, salted by its channel (a customer contacted by two
    channels on one day gets two independent chances)."""
    parts = []
    lo = 0
    for salt, size in contacts.salts:
        parts.append(keyed(day, contacts.idx[lo : lo + size], salt))
        lo += size
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def _channel_row(
    day: int,
    name: str,
    n: int,
    cost: float,
    scale: float,
    allowance: float,
    is_open: bool,
    capacity_bound: bool = False,
    frequency_capped: bool = False,
) -> dict:
    """A channel's day: contacts and spend, the money the plan allowed it, and which limits
    bound (the one place the engine records them; :mod:`sim.limits` reads them)."""
    return {
        "day": day,
        "channel": name,
        "contacts": n * scale,
        "spend": cost,
        "allowance": allowance,
        "open": is_open,
        "capacity_bound": capacity_bound,
        "frequency_capped": frequency_capped,
    }
