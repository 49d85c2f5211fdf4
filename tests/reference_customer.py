"""``ReferenceCustomer``: one customer of the per-agent reference (:mod:`sim.reference`).

It holds its own state as Python attributes and steps itself through the day in the
engine's order: invitation, contacts and word of mouth, consideration, decision,
invitations sent, retention, anchoring. Whatever it reads of friends or of the model is
start-of-day state, so the result does not depend on the shuffled order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import behaviour as bh
from sim.model import RETENTION_DAYS
from sim.population import AWARE, CHURNED, CONSIDERING, CONVERTED, DROPPED, RETAINED, UNAWARE, offer_rate

if TYPE_CHECKING:
    from tests.reference import ReferenceModel


class ReferenceCustomer(mesa.Agent):
    """One customer; ``row`` is its row in the population drawn at build time."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, row: int, attrs: dict) -> None:
        super().__init__(model)
        self.row = row
        self.__dict__.update(attrs)  # drawn columns (stage, trust, reference, ...) as floats
        self.converted_day = self.invite_day = -1
        self.invited = self.saw_competitor = False
        self.invites_sent = self.exposures = 0
        self.channel_contacts = [0] * len(model.weights)  # contacts so far, by channel
        self.contacts: list[tuple] = []  # (channel, fatigue) of today's contacts
        self.friends: list[ReferenceCustomer] = []
        # friends converted before ``news_day`` and on it (news is heard at once but used
        # from the next day, as every read of others is start-of-day state)
        self.adopted_friends, self.adopted_news, self.news_day = 0, 0, -1

    def share(self) -> float:
        """Share of friends who had converted before today."""
        if not self.friends:
            return 0.0
        known = self.adopted_friends + (self.adopted_news if self.news_day < self.model.day else 0)
        return known / len(self.friends)

    def hear_of_adoption(self, day: int) -> None:
        """A friend converted on ``day``."""
        if self.news_day != day:
            self.adopted_friends += self.adopted_news
            self.adopted_news, self.news_day = 0, day
        self.adopted_news += 1

    def step(self) -> None:
        m, rng, b = self.model, self.model.rng, self.model.sc.behaviour
        start, day = self.stage, m.day
        if self.invite_day == day and (start in (UNAWARE, DROPPED) or (start == AWARE and m.to_considering)):
            self.stage = CONSIDERING if m.to_considering else AWARE
            self.invited = True
            self.trust = min(self.trust + m.sc.referral.trust_boost, 1.0)
        for ch, fat in self.contacts:
            if start in (UNAWARE, DROPPED):
                p = ch.awareness * fat * (b.reengage if start == DROPPED else 1.0)
                if rng.random() < p and self.stage != CONSIDERING:
                    self.stage = AWARE
        wom = start == UNAWARE and b.word_of_mouth > 0 and m.n_adopted_start > 0
        if wom and rng.random() < b.word_of_mouth * self.share() and self.stage != CONSIDERING:
            self.stage = AWARE
        if m.campaign:
            for ch, fat in self.contacts:
                ready = start == AWARE or (ch.conversation and self.stage == AWARE)
                if ready and rng.random() < ch.consideration * fat:
                    self.stage = CONSIDERING
            if start == AWARE and self.stage == AWARE:
                self._consider()
            if start == CONSIDERING:
                self._decide()
            # converters of the previous active_days days invite (today's start tomorrow)
            recent = self.converted_day >= 0 and 0 < day - self.converted_day <= m.sc.referral.active_days
            if recent and start != CHURNED:
                self._invite()
        elif start == CONSIDERING:
            self.stage = DROPPED  # the offer has closed
        if start == CONVERTED:
            self._retain()
        if m.competitor_starts and rng.random() < m.competitor_starts:
            self.saw_competitor = True
        env = m.env
        own = (
            self.current_rate
            + env.market_shift_pp
            + m.sc.behaviour.inflation_reference_pass * env.inflation_pp
        )
        anchor = m.creative_anchor
        if env.competitor_rate is not None and self.saw_competitor:
            anchor = env.competitor_rate
        target = float(bh.anchor_target(own, anchor, self.anchor_weight))
        self.reference = float(bh.anchored_reference(self.reference, target, self.anchor_speed))

    def _consider(self) -> None:
        b = self.model.sc.behaviour
        social = bh.social_proof(self.share(), self.social_proof)
        rate = b.consider_rate * self.trust * (1.0 + self.model.urgency(self.fomo) + social)
        p = float(bh.hazard_probability(rate))
        u = self.model.rng.random()
        if u < p:
            self.stage = CONSIDERING
        elif u < p + b.drop_rate:
            self.stage = DROPPED

    def _decide(self) -> None:
        m = self.model
        p_conv = self.conversion_probability()
        saw = self.saw_competitor if m.env.competitor_rate is not None else False
        p_drop = float(bh.combine_probabilities(m.sc.behaviour.drop_rate, m.env.competitor_pull * saw))
        u = m.rng.random()
        if u < p_conv:
            m.convert(self)
        elif u < p_conv + (1 - p_conv) * p_drop:
            self.stage = DROPPED

    def _invite(self) -> None:
        m, ref = self.model, self.model.sc.referral
        if ref.invite_rate <= 0 or m.sc.network.kind == "none":
            return
        n = min(int(m.rng.poisson(ref.invite_rate)), max(ref.max_invites - self.invites_sent, 0))
        to = [self.friends[int(m.rng.random() * len(self.friends))] for _ in range(n) if self.friends]
        m.outbox.append((self, n, len(to), [f for f in to if m.rng.random() < ref.accept_probability]))

    def _retain(self) -> None:
        m = self.model
        bonus = m.sc.offer.bonus_bp / 100
        p = bh.churn_probability(self.churn_hazard, bonus, m.rate_chasing[self.segment])
        if m.rng.random() < p:
            self.stage = CHURNED
            m.rec["churned_balance"] += self.amount * self.new_money * m.scale
        elif m.day - self.converted_day >= RETENTION_DAYS:
            self.stage = RETAINED

    def conversion_probability(self) -> float:
        """The engine's conversion probability for this customer, from the same equations."""
        a, m = self, self.model
        sc, env, on = m.sc, m.env, m.incentives_start
        o, b = sc.offer, sc.behaviour
        extras = (o.cashback + o.perk_value) / max(a.amount, 1.0) * 100 / (o.term_days / 365) if on else 0.0
        costs = o.fee_pp + b.lockup_cost_pp * o.lockup_days / 365
        costs += o.early_withdrawal_penalty_pp * b.early_withdrawal_weight
        beta = bh.market_exposure(o.risk_level, o.guaranteed, b.market_beta)
        p_loss, loss = bh.felt_downside(
            o.loss_probability, o.loss_size_pp, env.market_drop, beta, b.drop_salience
        )
        p_loss = float(p_loss) * ((1.0 - b.misleading_risk_hidden) if m.misleading() else 1.0)
        bonus = o.bonus_bp / 100 if on else 0.0
        rate = offer_rate(o, env.market_shift_pp)
        good, bad = bh.offer_outcomes(rate, bonus, extras, costs, float(loss), a.reference)
        value = bh.cpt_value(good, bad, min(p_loss, 1.0), a.curvature, a.loss_aversion)
        tilt = bh.frame_tilt(o.risk_level, o.guaranteed, b.frame_pivot, b.frame_span)
        shift = bh.framing_shift(o.frame == "loss", tilt, b.frame_strength)
        shift = shift + bh.flight_to_safety(env.market_drop, o.guaranteed, b.flight_to_safety)
        appetite = a.risk_appetite - b.inflation_appetite_shift * env.inflation_pp
        appetite -= b.market_drop_appetite_shift * env.market_drop
        trust = b.trust_weight * (a.trust - 0.5) - b.risk_penalty * max(o.risk_level - appetite, 0.0) + shift
        social = bh.social_proof(a.share(), a.social_proof)
        u, th = m.urgency(a.fomo), a.threshold
        decide = bh.decision_pace(b.decision_rate, u, b.urgency_pace)
        p = float(bh.conversion_probability(value, a.value_sensitivity, u, social, trust, th, decide))
        ok = a.eligible and (not o.suitability_check or o.risk_level <= np.round(appetite) + 0.5)
        return p if ok else 0.0
