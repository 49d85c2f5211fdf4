"""The social side of a day: invitations, Bass diffusion and rumours over the graph.

Functions of the model (its population columns, graph and keyed random streams), called
from :meth:`sim.model.CampaignModel.step` in the fixed daily order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as bh
from sim import graphops, kernels, sales
from sim.population import AWARE, CHURNED, CONSIDERING, DROPPED, UNAWARE

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.shocks import Environment


def invitations_arrive(m: CampaignModel, start: np.ndarray, rec: dict) -> None:
    """Yesterday's accepted invitations act today (so order never matters)."""
    idx = m.pending_invites
    m.pending_invites = np.empty(0, dtype=np.int64)
    if idx.size == 0:
        return
    ref = m.sc.referral
    target = CONSIDERING if ref.to_stage == "considering" else AWARE
    s = start[idx]
    ok = (s == UNAWARE) | (s == DROPPED) | ((s == AWARE) & (target == CONSIDERING))
    idx = idx[ok]
    m.pop.stage[idx] = target
    m.pop.invited[idx] = True
    m.pop.trust[idx] = np.minimum(m.pop.trust[idx] + ref.trust_boost, 1.0)


def send_invitations(m: CampaignModel, rec: dict) -> None:
    """Recent converters send invitations to random neighbours; accepted ones act tomorrow."""
    ref, pop = m.sc.referral, m.pop
    if ref.invite_rate <= 0 or ref.active_days == 0 or m.sc.network.kind == "none":
        return
    if not m.recent_converters:
        return  # day 0: nobody has converted yet
    if not m.incentives_on and (ref.inviter_reward + ref.invitee_reward) > 0:
        return  # the referral programme stops with the incentive money
    inviters = np.concatenate(list(m.recent_converters))
    inviters = inviters[pop.stage[inviters] != CHURNED]
    room = np.maximum(ref.max_invites - pop.invites_sent[inviters], 0)
    n = np.minimum(m._invites_per_day(m._u["invites"](m.day, inviters)), room)
    pop.invites_sent[inviters] += n.astype(pop.invites_sent.dtype)
    # each invitation's uniforms are keyed by (sender, its number today)
    senders = np.repeat(inviters, n)
    nth = np.arange(senders.size) - np.repeat(np.cumsum(n) - n, n)
    key = (senders << 20) | np.minimum(nth, (1 << 20) - 1)
    to = graphops.random_neighbour(m.graph, senders, m._u["invite_to"](m.day, key))
    sent = to >= 0
    to, key = to[sent], key[sent]
    rec["invitations_sent"] += to.size * m.scale
    u = m._u["invite_accept"](m.day, key)
    p = ref.accept_probability
    accepted = kernels.accepted_invitations(to, u, p, pop.stage, UNAWARE, AWARE, DROPPED)
    rec["invitations_accepted"] += accepted.size * m.scale
    m.pending_invites = np.unique(accepted)


def diffuse(m: CampaignModel, env: Environment, start: np.ndarray, rec: dict, campaign: bool) -> None:
    """Bass (1969) adoption (:func:`sim.behaviour.bass_probability`, hazard p + q * share
    of adopted neighbours): to aware, or straight to converted when ``bypass_journey`` is
    set (the pure Bass model)."""
    dif, pop = m.sc.diffusion, m.pop
    if dif.innovation <= 0 and dif.imitation <= 0:
        return
    if dif.bypass_journey:
        if not campaign:
            return
        cand = np.flatnonzero(~m.adopted & (start != CHURNED))
    else:
        cand = np.flatnonzero(start == UNAWARE)
    adopt = bh.bass_probability(dif.innovation, dif.imitation, m.adopter_share(cand))
    hit = cand[m._u["diffusion"](m.day, cand) < adopt]
    if dif.bypass_journey:
        sales.convert(m, hit, env, rec)
    else:
        pop.stage[hit] = np.where(pop.stage[hit] == UNAWARE, AWARE, pop.stage[hit])


def spread_rumours(m: CampaignModel, env: Environment) -> None:
    """A rumour starts at its seeds and spreads as an independent cascade; each
    customer it reaches loses ``trust_drop`` of trust once."""
    pop = m.pop
    rng = m._daily_rng["rumours"].on(m.day)
    new_parts = []
    for s in env.rumours:
        if m.day == s.start:
            new_parts.append(rng.integers(0, pop.size, min(s.seeds, pop.size)))
        new_parts.append(graphops.spread(m.graph, m.rumour_frontier, s.spread, rng))
    if not new_parts:
        m.rumour_frontier = np.empty(0, dtype=np.int64)
        return
    new = np.unique(np.concatenate(new_parts))
    new = new[~m.rumour_reached[new]]
    m.rumour_reached[new] = True
    drop = max(r.trust_drop for r in env.rumours)
    pop.trust[new] = np.maximum(pop.trust[new] - drop, 0.0)
    m.rumour_frontier = new
