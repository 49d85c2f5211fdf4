"""Per-agent Mesa reference of the core dynamics, for tests and benchmarks only.

Each customer is a ``mesa.Agent`` holding its own state as Python attributes and one
``step()`` scheduled by ``model.agents.shuffle_do("step")``. It implements the same process
as :class:`sim.model.CampaignModel` (journey, channel contacts, prospect-theory choice,
anchoring, FOMO and scarcity, quota and incentive budget, invitations, retention) with the
pure equations of :mod:`sim.behaviour`, one customer at a time. Every read of another
customer or of the model uses start-of-day state (converted_day < today, snapshots), and
what is rationed (quota, incentive money) is booked first come first served in the
shuffled order, which is the engine's random permutation. Rumours, outages, regulatory
shocks, Bass diffusion and complete graphs are outside its scope.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import behaviour as bh
from sim.channels import reach_weights
from sim.kpis import DAILY_COLUMNS, channel_frame, daily_frame, summarize
from sim.ledger import Ledger
from sim.marketing import INTERESTED, OPEN
from sim.network import build_network
from sim.population import CONVERTED, build_population, creative_anchor
from sim.runner import RunResult
from sim.scenario import STAGES, Scenario
from sim.shocks import environment, realize_shocks
from sim.streams import Streams
from tests.reference_customer import ReferenceCustomer

_STATIC = ("segment", "amount", "current_rate", "risk_appetite", "digital", "loss_aversion", "curvature")
_STATIC += ("anchor_weight", "anchor_speed", "fomo", "social_proof", "value_sensitivity", "threshold")
_STATIC += ("churn_hazard",)
_STATIC += ("eligible", "new_money", "trust", "reference")


def unsupported(sc: Scenario) -> list[str]:
    """Mechanisms of ``sc`` the reference does not implement (empty when it can run ``sc``)."""
    out = [f"shock kind {s.kind!r}" for s in sc.shocks if s.kind in ("rumour", "outage", "regulatory")]
    if sc.diffusion.innovation > 0 or sc.diffusion.imitation > 0:
        out.append("Bass diffusion")
    if sc.network.kind == "complete":
        out.append("complete network")
    if sc.rules:
        out.append("playbook rules")
    if sc.behaviour.repeat_purchase > 0:
        out.append("repeat purchase")
    if sc.schedule is not None:
        out.append("campaign replay schedule")
    return out


class ReferenceModel(mesa.Model):
    """The campaign as a population of stepping agents (same inputs as ``CampaignModel``)."""

    def __init__(self, scenario: Scenario, seed: np.random.SeedSequence | int | None = None) -> None:
        if missing := unsupported(scenario):
            raise ValueError(f"the per-agent reference does not implement: {', '.join(missing)}")
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        streams = Streams(ss)  # population, graph and shocks as the engine draws them
        super().__init__(rng=streams.generator("reference"))
        self.sc = sc = scenario
        self.scale = sc.population.scale
        self.pop = pop = build_population(sc, streams.generator("population"))
        self.graph = build_network(
            sc.network.kind, pop.size, streams.generator("graph"), mean_degree=sc.network.mean_degree,
            rewire=sc.network.rewire, homophily=sc.network.homophily, groups=pop.segment,
        )  # fmt: skip
        self.shocks = realize_shocks(sc, streams.generator("shocks"))
        self.ledger = Ledger.from_scenario(sc)
        names = [s.name for s in sc.segments]
        self.weights = [reach_weights(ch, names, pop.segment, pop.digital) for ch in sc.channels.values()]
        self.rate_chasing = [s.rate_chasing for s in sc.segments]
        self.quota0 = None if sc.offer.quota is None else max(1, round(sc.offer.quota / self.scale))
        self.quota_left, self.incentives_on, self.n_adopted = self.quota0, True, 0
        self.to_considering = sc.referral.to_stage == "considering"
        self.creative_anchor = creative_anchor(sc.offer)
        self.day, self.records, self.channel_records = 0, [], []
        self.campaign_days, self.horizon = sc.calendar.days, sc.horizon  # read by the KPI layer
        cols = {name: getattr(pop, name).tolist() for name in (*_STATIC, "stage")}
        self.customers = [
            ReferenceCustomer(self, i, {k: v[i] for k, v in cols.items()}) for i in range(pop.size)
        ]
        for c in self.customers:
            lo, hi = self.graph.indptr[c.row], self.graph.indptr[c.row + 1]
            c.friends = [self.customers[j] for j in self.graph.indices[lo:hi].tolist()]

    def step(self) -> None:
        sc, d = self.sc, self.day
        self.env = environment(sc, self.shocks, d)
        self.rec = dict.fromkeys(DAILY_COLUMNS[2 + len(STAGES) :], 0.0) | {"day": d, "phase": self.env.phase}
        self.campaign = d < sc.calendar.days and (self.quota_left is None or self.quota_left > 0)
        self.n_adopted_start, self.incentives_start, self.quota_start = (
            self.n_adopted, self.incentives_on, self.quota_left,
        )  # fmt: skip
        self.money_out_today, self.outbox, self.deciders, self.costs_today = False, [], 0, []
        reach = [s.reach for s in self.shocks if s.kind == "competitor" and s.start == d]
        self.competitor_starts = reach[0] if reach else 0.0
        for c in self.customers:
            c.contacts = []
        if self.campaign:
            self._marketing()
        self.agents.shuffle_do("step")
        if self.money_out_today and self.ledger.incentive_left < float(np.median(self.costs_today)):
            self.incentives_on = False  # as the engine: the pool cannot pay a typical decider
        ref = sc.referral
        if self.incentives_on or ref.inviter_reward + ref.invitee_reward == 0:
            for sender, n, sent, accepted in self.outbox:
                sender.invites_sent += n
                self.rec["invitations_sent"] += sent * self.scale
                for f in accepted:
                    f.invite_day = d + 1
        self._record()
        self.day += 1
        self.running = self.day < sc.horizon

    def _marketing(self) -> None:
        """Each channel buys contacts as the engine does and draws them without replacement,
        proportional to reach, among customers it may still contact (successive sampling)."""
        rng, scale = self.rng, self.scale
        allowance = self.ledger.channel_allowance(self.day)
        stage = np.array([x.stage for x in self.customers])
        so_far = np.array([x.channel_contacts for x in self.customers]).reshape(len(stage), -1)
        for c, (name, ch) in enumerate(self.sc.channels.items()):
            unit, cap = ch.unit_cost * scale, ch.daily_capacity / scale
            k_float = cap if unit <= 0 else min(cap, allowance[c] / unit)
            k = int(k_float) + int(rng.random() < k_float - int(k_float))
            if unit > 0:
                k = min(k, int(allowance[c] // unit))
            cand = np.flatnonzero(OPEN[stage] & (so_far[:, c] < ch.frequency_cap) & (self.weights[c] > 0))
            k = min(k, cand.size)
            w = self.weights[c][cand].astype(float)
            w[INTERESTED[stage[cand]]] *= ch.interest_priority  # the list favours customers showing interest
            chosen = rng.choice(cand, k, replace=False, p=w / w.sum()) if k else []
            for i in chosen:
                x = self.customers[i]
                x.contacts.append((ch, float(np.exp(-ch.fatigue * x.exposures))))
                x.channel_contacts[c] += 1
                x.exposures += 1
                if rng.random() < ch.complaint_rate * (1.0 + 0.5 * (x.exposures - 1)):
                    self.rec["complaints"] += scale
            self.ledger.book_channel(c, k * unit)
            self.rec["contacts"] += k * scale
            self.rec["marketing_spend"] += k * unit
            self.channel_records.append(
                {"day": self.day, "channel": name, "contacts": k * scale, "spend": k * unit}
            )

    def urgency(self, fomo: float) -> float:
        sc = self.sc
        days_left = sc.calendar.days - 1 - self.day
        if days_left < 0:
            return 0.0
        q = self.quota_start / self.quota0 if self.quota0 is not None and sc.offer.quota_visible else 1.0
        b = sc.behaviour
        return float(bh.urgency(days_left, q, fomo, b.urgency_days, b.scarcity_weight, b.scarcity_shape))

    def misleading(self) -> bool:
        bad = set(self.sc.offer.claims) & set(self.sc.complaints.misleading_claims)
        return bool(bad - self.env.banned_claims) and not self.sc.offer.guaranteed

    def convert(self, a: ReferenceCustomer) -> None:
        """Book one conversion if quota and incentive money allow (first come, first served)."""
        o, ref, rec, scale = self.sc.offer, self.sc.referral, self.rec, self.scale
        if self.quota_start is not None and self.deciders >= self.quota_start:
            return  # the engine keeps the first quota-left deciders of its permutation
        self.deciders += 1
        if self.incentives_on:
            rewards = (ref.inviter_reward + ref.invitee_reward) * a.invited
            inc = (a.amount * o.bonus_bp / 1e4 * o.term_days / 365 + o.cashback) * scale
            self.costs_today.append(inc + rewards * scale)
            if self.money_out_today or inc + rewards * scale > self.ledger.incentive_left:
                self.money_out_today = True  # the pool pays a prefix of the deciders only
                return
            self.ledger.incentives += inc
            self.ledger.rewards += rewards * scale
            rec["incentive_cost"] += inc
            rec["reward_cost"] += rewards * scale
        if self.quota_left is not None:
            self.quota_left -= 1
        a.stage, a.converted_day = CONVERTED, self.day
        unsuitable = o.risk_level > np.round(a.risk_appetite) + 0.5
        self.n_adopted += 1
        for f in a.friends:
            f.hear_of_adoption(self.day)
        for key, v in (("new_conversions", 1), ("new_balance", a.amount), ("invited_conversions", a.invited)):
            rec[key] += v * scale
        rec["new_money"] += a.amount * a.new_money * scale
        rec["mis_selling"] += unsuitable * scale
        c = self.sc.complaints
        if self.rng.random() < c.mis_selling * unsuitable + (
            c.misleading_claim if self.misleading() else 0.0
        ):
            rec["complaints"] += scale

    def _record(self) -> None:
        counts = np.bincount([c.stage for c in self.customers], minlength=len(STAGES)) * self.scale
        self.rec.update(zip(STAGES, counts.tolist(), strict=True))
        self.rec["quota_remaining"] = np.nan if self.quota_left is None else self.quota_left * self.scale
        self.rec["budget_remaining"] = self.ledger.remaining
        self.rec["incentives_on"] = self.incentives_on
        self.records.append(self.rec)


def run_reference(scenario: Scenario, seed: np.random.SeedSequence | int | None = None) -> RunResult:
    """Run the per-agent reference to its horizon; the result has the engine's shape."""
    model = ReferenceModel(scenario, seed)
    while model.running:
        model.step()
    model.pop.stage[:] = [c.stage for c in model.customers]
    model.pop.converted_day[:] = [c.converted_day for c in model.customers]
    model.pop.invites_sent[:] = [c.invites_sent for c in model.customers]
    daily = daily_frame(model)
    return RunResult(daily, channel_frame(model), summarize(model, daily))
