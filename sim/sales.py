"""Sales: booking conversions and repeat purchases, and what each sale brings in.

Functions of the model (its columns, ledger, quota and keyed random streams), called from
:meth:`sim.model.CampaignModel.step` in the fixed daily order. Every sale goes through
:func:`book` (random order, quota, what the incentive pool can pay), so first sales and
repeat purchases obey the same money invariant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as bh
from sim import graphops
from sim.marketing import HOLDING
from sim.population import CONVERTED

if TYPE_CHECKING:
    from sim.channels import Contacts
    from sim.model import CampaignModel
    from sim.shocks import Environment


def convert(m: CampaignModel, idx: np.ndarray, env: Environment, rec: dict) -> None:
    """Book conversions in random order until quota or incentive money runs out."""
    if idx.size == 0:
        return
    sc, pop, scale = m.sc, m.pop, m.scale
    o, ref, terms = sc.offer, sc.referral, m.terms
    # those the pool cannot pay stay considering (see Ledger.pay_incentives)
    idx, amount, unsuitable = book(m, idx, ref.inviter_reward + ref.invitee_reward, rec)
    if idx.size == 0:
        return
    if terms.bonus_bp != o.bonus_bp:  # rate chasing follows the bonus they were sold
        m._churn_probability[idx] = bh.churn_probability(
            pop.churn_hazard[idx], terms.bonus_bp / 100, m._rate_chasing[pop.segment[idx]]
        )
    pop.stage[idx] = CONVERTED
    pop.converted_day[idx] = m.day
    pop.held[idx] = 1
    pop.unsuitable[idx] = unsuitable
    adopt(m, idx)
    m._today.append(idx)
    rec["new_conversions"] += idx.size * scale
    m.touch_conversions[m.day] += np.bincount(m.last_touch[idx] + 1, minlength=len(sc.channels) + 1) * scale
    record_sales(m, idx, amount, unsuitable, env, rec)
    rec["invited_conversions"] += float(pop.invited[idx].sum()) * scale


def repeat_purchases(
    m: CampaignModel, env: Environment, start: np.ndarray, contacts: Contacts | None, rec: dict
) -> None:
    """Holders reached by today's contacts buy another unit with probability
    :func:`sim.behaviour.repeat_purchase_probability` (``behaviour.repeat_purchase``,
    the units they hold, the contact's fatigue); each contact is one chance."""
    r = m.sc.behaviour.repeat_purchase
    if r <= 0 or contacts is None:
        return
    holder = HOLDING[start[contacts.idx]]
    if not holder.any():
        return
    idx = contacts.idx[holder]
    u = m._contact_uniforms("repeat", contacts)[holder]
    p = bh.repeat_purchase_probability(r, m.pop.held[idx], contacts.fatigue[holder])
    buyers = np.unique(idx[u < p])  # two channels' contacts that day: still one unit
    sell_again(m, buyers, env, rec)


def sell_again(m: CampaignModel, idx: np.ndarray, env: Environment, rec: dict) -> None:
    """Book repeat purchases by holders ``idx`` like conversions (random order, quota,
    the offer's incentives; no referral rewards: those came with the first unit); each
    adds one unit to what the customer holds and stays in its stage."""
    if idx.size == 0:
        return
    idx, amount, unsuitable = book(m, idx, 0.0, rec)
    if idx.size == 0:
        return
    m.pop.held[idx] += 1
    m.pop.unsuitable[idx] |= unsuitable
    rec["repeat_purchases"] += idx.size * m.scale
    rec["repeat_balance"] += float(amount.sum()) * m.scale
    record_sales(m, idx, amount, unsuitable, env, rec)


def book(
    m: CampaignModel, idx: np.ndarray, reward: float, rec: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put sales in a random order, cut them at the quota and at what the incentive pool
    can pay (the offer's incentives and ``reward`` for each invited customer); returns
    the sold customers, their amounts and whether each sale is unsuitable."""
    sc, pop, scale, terms = m.sc, m.pop, m.scale, m.terms
    idx = idx[np.argsort(m._u["order"](m.day, idx), kind="stable")]  # a random order
    if m.quota_left is not None:
        idx = idx[: m.quota_left]
    amount = pop.amount[idx]
    if m.ledger.incentives_on:
        n_ok, inc, rew = m.ledger.pay_incentives(
            amount * terms.cost_per_amount + terms.cashback,
            reward * pop.invited[idx],
            scale,
        )
        if not m.ledger.incentives_on:  # the money ran out with this booking
            m._incentives_exhausted()
        idx, amount = idx[:n_ok], amount[:n_ok]
        rec["incentive_cost"] += inc
        rec["reward_cost"] += rew
    if m.quota_left is not None:
        m.quota_left -= idx.size
    return idx, amount, ~bh.suitable(sc.offer.risk_level, pop.risk_appetite[idx])


def record_sales(
    m: CampaignModel, idx: np.ndarray, amount: np.ndarray, unsuitable: np.ndarray, env: Environment, rec: dict
) -> None:
    """Money in and the conduct side of sales ``idx``: balance, new money, mis-selling and
    the complaints they draw; each unit is also credited to the day of its buyer's last
    paid contact (``purchases_by_contact_day``: a call log books a sale on its call's date)."""
    sc, pop, scale = m.sc, m.pop, m.scale
    touched = m.last_touch_day[idx]
    touched = touched[touched >= 0]
    if touched.size:
        m.contact_day_purchases += np.bincount(touched, minlength=m.contact_day_purchases.size) * scale
    rec["new_balance"] += float(amount.sum()) * scale
    rec["new_money"] += float((amount * pop.new_money[idx]).sum()) * scale
    rec["mis_selling"] += float(unsuitable.sum()) * scale
    c = sc.complaints
    misleading = misleading_claim(m, env)
    p = c.mis_selling * unsuitable + (c.misleading_claim if misleading else 0.0)
    rec["complaints"] += float((m._u["sale_complaints"](m.day, idx) < p).sum()) * scale
    rec["complaints_expected"] += float(p.sum()) * scale
    rec["misleading_sales"] += idx.size * scale if misleading else 0.0


def misleading_claim(m: CampaignModel, env: Environment) -> bool:
    """Whether today's offer makes a claim the scenario counts as misleading."""
    bad = set(m.terms.claims) & set(m.sc.complaints.misleading_claims)
    return bool(bad - env.banned_claims) and not m.sc.offer.guaranteed


def adopt(m: CampaignModel, idx: np.ndarray) -> None:
    """Mark ``idx`` as adopters (for word of mouth and social proof among neighbours)."""
    new = idx[~m.adopted[idx]]
    m.adopted[new] = True
    m.n_adopted += new.size
    graphops.add_adopters(m.graph, m.adopter_nb, new)
