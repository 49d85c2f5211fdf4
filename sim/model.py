"""``CampaignModel``: the Mesa model that owns the customer columns and steps a day.

One vectorized ``step()`` advances every customer through the fixed daily order of
``shared/design.md``: environment, marketing, awareness, consideration, decision,
invitations, retention, complaints, anchors, record. Transitions read the stage at the
start of the day, so the result never depends on customer order.
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from sim import behaviour as bh
from sim import graphops, journey, kernels, sales, social
from sim.agents import CustomerAgent
from sim.channels import Contacts, OpenRule, reach_weights
from sim.columns import DAILY_COUNTERS
from sim.ledger import Ledger
from sim.marketing import buy_contacts, contact_uniforms, open_stages
from sim.network import build_network
from sim.population import (
    AWARE,
    CHURNED,
    CONSIDERING,
    CONVERTED,
    DROPPED,
    RETAINED,
    UNAWARE,
    build_population,
    creative_anchor,
    offer_rate,
)
from sim.replay import apply_schedule
from sim.rules import RuleBook
from sim.scenario import STAGES, Scenario
from sim.shocks import Environment, environment, realize_shocks
from sim.streams import Streams, poisson_quantile, stream_key
from sim.terms import LiveOffer, OfferTerms, offer_terms
from sim.today import Today, today

bh.load_engine_forms()
RETENTION_DAYS = 30
# Per-customer uniforms, one stream per kind of daily draw (see sim.streams).
_KEYED = (
    "awareness", "contact_consideration", "contact_complaints", "word_of_mouth", "consideration",
    "decision", "order", "sale_complaints", "diffusion", "churn", "competitor_seen", "invites",
    "invite_to", "invite_accept", "repeat",
)  # fmt: skip


class CampaignModel(mesa.Model):
    """A campaign run. ``seed`` is a ``SeedSequence`` (or int); ``agents`` overrides
    ``population.agents`` (agent objects are views and never change the dynamics);
    ``horizon`` overrides the days simulated (the baseline arm runs as long as its campaign,
    whose rules may have extended or ended it)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: np.random.SeedSequence | int | None = None,
        agents: bool | None = None,
        horizon: int | None = None,
    ) -> None:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.streams = streams = Streams(ss)
        super().__init__(rng=streams.generator("mesa"))
        self.seed_sequence = ss
        self.sc = sc = scenario
        self.scale = sc.population.scale
        self.segment_names = [s.name for s in sc.segments]
        self.channel_names = list(sc.channels)
        self.pop = pop = build_population(sc, streams.generator("population"))
        self.graph = build_network(
            sc.network.kind,
            pop.size,
            streams.generator("graph"),
            mean_degree=sc.network.mean_degree,
            rewire=sc.network.rewire,
            homophily=sc.network.homophily,
            groups=pop.segment,
        )
        self.shocks = realize_shocks(sc, streams.generator("shocks"))
        self._channel_rng = [streams.daily(f"channel:{name}") for name in sc.channels]
        self._channel_salt = [stream_key(name) for name in sc.channels]
        self._u = {name: streams.keyed(name) for name in _KEYED}
        self._daily_rng = {name: streams.daily(name) for name in ("outage", "rumours")}
        # inverse CDF of the invitations a converter sends a day (Poisson)
        self._invites_per_day = poisson_quantile(sc.referral.invite_rate)
        self.ledger = Ledger.from_scenario(sc)
        self.weights = [
            reach_weights(ch, self.segment_names, pop.segment, pop.digital) for ch in sc.channels.values()
        ]
        self.w_max = [float(w.max()) if w.size else 0.0 for w in self.weights]
        self.w_mean = [float(w.mean()) if w.size else 0.0 for w in self.weights]
        taken = np.zeros(pop.size, dtype=bool)  # scratch for sample_targets
        open_stage = open_stages(sc)
        self._open_rules = [
            OpenRule(pop.stage, open_stage, pop.channel_contacts[c], ch.frequency_cap, taken)
            for c, ch in enumerate(sc.channels.values())
        ]  # who each channel may contact; `stage` is set to the start of each day
        self._stage_counts = np.zeros(len(STAGES), dtype=np.int64)
        self.adopted = np.zeros(pop.size, dtype=bool)  # ever converted
        self.adopter_nb = np.zeros(pop.size, dtype=np.int32)
        self.n_adopted = 0
        self.quota_left = None if sc.offer.quota is None else max(1, round(sc.offer.quota / self.scale))
        self.offer_withdrawn = False  # closed because the incentive money ran out
        self.campaign_days = sc.calendar.days  # rules may extend or end the campaign
        self.horizon = sc.horizon if horizon is None else horizon
        self._fixed_horizon = horizon is not None
        self.live = LiveOffer.from_offer(sc.offer)  # terms rules may change
        self.paused: set[str] = set()  # channels paused by rules
        self.rulebook = RuleBook(sc.rules)
        # last paid contact of each customer (-1: none) and, per day, conversions by it
        # (column 0: no paid contact): last-touch attribution for the per-channel report
        self.last_touch = np.full(pop.size, -1, dtype=np.int8 if len(sc.channels) < 127 else np.int16)
        extension = sc.playbook.max_extension_days if sc.rules else 0  # rules may extend the run
        self.touch_conversions = np.zeros((max(self.horizon, sc.horizon) + extension, len(sc.channels) + 1))
        # day of each customer's last paid contact (-1: none) and units sold credited to it:
        # a call log books a sale on its call's date, not on the day the client decides
        self.last_touch_day = np.full(pop.size, -1, dtype=np.int32)
        self.contact_day_purchases = np.zeros(self.touch_conversions.shape[0])
        self.pending_invites = np.empty(0, dtype=np.int64)
        # converters of each of the last `active_days` days (one entry per day, maybe empty)
        self.recent_converters: deque[np.ndarray] = deque(maxlen=max(sc.referral.active_days, 1))
        self._today: list[np.ndarray] = []
        self.rumour_reached = np.zeros(pop.size, dtype=bool)
        self.rumour_frontier = np.empty(0, dtype=np.int64)
        self.day = 0
        self.records: list[dict] = []
        self.channel_records: list[dict] = []
        self.peak_load = 0.0
        use_agents = sc.population.agents if agents is None else agents
        if use_agents:
            CustomerAgent.create_rows(self, pop.size)
        self.creative_anchor = creative_anchor(sc.offer)  # NaN: the creative shows no anchor
        self.terms: OfferTerms = offer_terms(sc.offer, self.live, True)
        self._rate_chasing = np.array([s.rate_chasing for s in sc.segments], dtype=np.float32)
        # daily churn probability of a converted customer: by segment and the bonus at conversion
        self._churn_probability = bh.churn_probability(
            pop.churn_hazard, sc.offer.bonus_bp / 100, self._rate_chasing[pop.segment]
        )
        # float32 like the fatigue they multiply, as `ch.awareness * fat` would give
        self._awareness_coef = np.array([ch.awareness for ch in sc.channels.values()], dtype=np.float32)
        self._consideration_coef = np.array(
            [ch.consideration for ch in sc.channels.values()], dtype=np.float32
        )
        self._conversation = np.array([ch.conversation for ch in sc.channels.values()], dtype=np.bool_)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        sc, pop, d = self.sc, self.pop, self.day
        env = environment(sc, self.shocks, d, self.campaign_days)
        apply_schedule(sc, d, env)  # campaign replay: the log's inputs for today, seen by rules too
        if self.rulebook.rules and self.rulebook.evaluate(self, env):
            env = environment(sc, self.shocks, d, self.campaign_days)  # the campaign may have ended
            apply_schedule(sc, d, env)
        for name in self.paused:
            env.channel_open[name] = False
        self.terms = offer_terms(sc.offer, self.live, self.ledger.incentives_on)
        self.today = self.journey_day(env)
        start = pop.stage.copy()
        rec = dict.fromkeys(DAILY_COUNTERS, 0.0)
        rec["day"], rec["phase"] = d, env.phase
        live = d < self.campaign_days
        campaign = live and self._offer_open()
        # with `stop_offer` the media already booked runs on after the offer closes
        media = campaign or (
            live and self.offer_withdrawn and sc.offer.on_incentive_exhausted == "stop_offer"
        )
        social.invitations_arrive(self, start, rec)
        contacts = buy_contacts(self, env, start, rec) if media else None
        self._awareness(start, contacts)
        if campaign:
            self._consideration(start, contacts)
            self._decision(env, start, rec)
            sales.repeat_purchases(self, env, start, contacts, rec)
            social.send_invitations(self, rec)
        else:
            # the offer has closed: open journeys end
            pop.stage[start == CONSIDERING] = DROPPED
        social.diffuse(self, env, start, rec, campaign)
        self._retention(start, rec)
        social.spread_rumours(self, env)
        self._anchors(env)
        self.recent_converters.append(
            np.concatenate(self._today) if self._today else np.empty(0, dtype=np.int64)
        )
        self._today = []
        self._record(rec)
        self.day += 1
        if self.day >= self.horizon:
            self.running = False

    def run(self) -> None:
        while self.running:
            self.step()

    @property
    def incentives_on(self) -> bool:
        """Whether incentives are being paid (the ledger decides)."""
        return self.ledger.incentives_on

    def set_campaign_days(self, days: int) -> None:
        """Extend or end the campaign (rules); the observation window follows."""
        self.ledger.repace(self.day, days)
        if not self._fixed_horizon:
            self.horizon += days - self.campaign_days
        self.campaign_days = days

    # ------------------------------------------------------------------ stages
    def _offer_open(self) -> bool:
        return not self.offer_withdrawn and (self.quota_left is None or self.quota_left > 0)

    def _incentives_exhausted(self) -> None:
        """The incentive pool has run out: no more incentives, and with ``stop_offer`` or
        ``end_campaign`` (``offer.on_incentive_exhausted``) the offer closes from tomorrow
        (the ledger has stopped paying incentives)."""
        self.offer_withdrawn = self.sc.offer.on_incentive_exhausted != "continue_without_bonus"

    def _contact_uniforms(self, name: str, contacts: Contacts) -> np.ndarray:
        return contact_uniforms(self._u[name], self.day, contacts)

    def _awareness(self, start: np.ndarray, contacts: Contacts | None) -> None:
        stage, d = self.pop.stage, self.day
        if contacts is not None:
            c = contacts
            u = self._contact_uniforms("awareness", c)
            reengage = self.sc.behaviour.reengage
            kernels.aware_from_contacts(
                c.idx, c.awareness, c.fatigue, u, start, stage, reengage, UNAWARE, DROPPED, CONSIDERING, AWARE
            )
        wom = self.sc.behaviour.word_of_mouth
        if wom > 0 and self.n_adopted > 0:
            cand = np.flatnonzero(start == UNAWARE)
            u = self._u["word_of_mouth"](d, cand)
            if not self.graph.complete:
                nb, indptr = self.adopter_nb, self.graph.indptr
                kernels.aware_from_neighbours(cand, u, nb, indptr, np.float32(wom), stage, CONSIDERING, AWARE)
                return
            share = graphops.adopter_share(self.graph, self.adopter_nb, self.adopted, self.n_adopted, cand)
            hit = cand[u < wom * share]
            stage[hit[stage[hit] != CONSIDERING]] = AWARE

    def _consideration(self, start: np.ndarray, contacts: Contacts | None) -> None:
        pop = self.pop
        if contacts is not None:
            c = contacts
            u = self._contact_uniforms("contact_consideration", c)
            kernels.consider_from_contacts(
                c.idx, c.consideration, c.fatigue, u, start, pop.stage, c.conversation, AWARE, CONSIDERING
            )
        cand = np.flatnonzero((start == AWARE) & (pop.stage == AWARE))
        if cand.size == 0:
            return
        u = self._u["consideration"](self.day, cand)
        journey.consider(pop, cand, u, self.adopter_share(cand), self.today)

    def _decision(self, env: Environment, start: np.ndarray, rec: dict) -> None:
        sc, pop = self.sc, self.pop
        cand = np.flatnonzero(start == CONSIDERING)
        if cand.size == 0:
            return
        drop, pull = sc.behaviour.drop_rate, env.competitor_pull
        if env.competitor_rate is not None:  # those who saw the rival's rate may leave for it
            p_drop = bh.combine_probabilities(drop, pull * pop.saw_competitor[cand])
        else:
            p_drop = drop
        p_conv, drop_below = journey.conversion_odds(pop, cand, self.adopter_share(cand), p_drop, self.today)
        u = self._u["decision"](self.day, cand)
        # u < p_conv: decides; p_conv <= u < p_conv + (1 - p_conv) p_drop: dropped
        deciders = kernels.settle(cand, u, p_conv, drop_below, pop.stage, DROPPED)
        if env.app_down:
            deciders = self._outage(cand, deciders, env, rec)
        sales.convert(self, deciders, env, rec)

    def _outage(self, cand: np.ndarray, deciders: np.ndarray, env: Environment, rec: dict) -> np.ndarray:
        """The app is down: a considering customer tries to act with probability equal to
        digital affinity; those who tried complain (blocked buyers more,
        :func:`sim.behaviour.outage_complaint_probability`) and blocked buyers may abandon.
        Returns the deciders who got through."""
        pop, c = self.pop, self.sc.complaints
        rng = self._daily_rng["outage"].on(self.day)
        tried = rng.random(cand.size) < pop.digital[cand]
        blocked = tried & np.isin(cand, deciders, assume_unique=True)
        p = bh.outage_complaint_probability(tried, blocked, c.outage, c.outage_blocked_factor)
        rec["complaints"] += float((rng.random(cand.size) < p).sum()) * self.scale
        rec["complaints_expected"] += float(p.sum()) * self.scale
        hit = cand[blocked]
        self.pop.stage[hit[rng.random(hit.size) < env.outage_abandon]] = DROPPED
        return deciders[~np.isin(deciders, hit, assume_unique=True)]

    def journey_day(self, env: Environment) -> Today:
        """What the journey needs to know about today (:func:`sim.today.today`)."""
        sc, q_left = self.sc, 1.0
        if self.quota_left is not None and sc.offer.quota_visible:
            q_left = self.quota_left / max(round(sc.offer.quota / self.scale), 1)
        days_left = self.campaign_days - 1 - self.day
        rate = offer_rate(sc.offer, env.market_shift_pp)
        return today(
            sc, env, self.terms, days_left=days_left, quota_left_share=q_left, offer_rate=rate,
            creative_anchor=self.creative_anchor, misleading=sales.misleading_claim(self, env),
        )  # fmt: skip

    def adopter_share(self, idx: np.ndarray) -> np.ndarray:
        """Share of each customer's neighbours who have adopted."""
        return graphops.adopter_share(self.graph, self.adopter_nb, self.adopted, self.n_adopted, idx)

    def _retention(self, start: np.ndarray, rec: dict) -> None:
        """Converted customers churn at a daily hazard, or are retained after 30 days."""
        pop = self.pop
        idx = np.flatnonzero(start == CONVERTED)
        if idx.size == 0:
            return
        churn = idx[self._u["churn"](self.day, idx) < self._churn_probability[idx]]
        pop.stage[churn] = CHURNED
        money = pop.amount[churn] * pop.new_money[churn] * pop.held[churn]  # every unit they held
        rec["churned_balance"] += float(money.sum()) * self.scale
        # the others are retained once they have held the product for RETENTION_DAYS
        kernels.retain(idx, pop.stage, pop.converted_day, self.day, CONVERTED, RETAINED, RETENTION_DAYS)

    def _anchors(self, env: Environment) -> None:
        """References drift toward the customer's own rate moved by the market, or toward a
        rival's higher rate for those who saw it; adjustment is partial (anchoring)."""
        pop = self.pop
        for position, reach in env.competitor_launches:  # rivals launching today
            u = self._u["competitor_seen"](self.day, np.arange(pop.size), position)
            pop.saw_competitor |= u < reach
        journey.anchor(pop, self.today)

    def _record(self, rec: dict) -> None:
        stage = self.pop.stage
        if stage.size < 100_000:  # few customers: one compiled pass beats seven
            kernels.count_codes(stage, self._stage_counts)
            counts = self._stage_counts.tolist()
        else:  # many: seven (vectorized) byte compares are faster still
            counts = [np.count_nonzero(stage == code) for code in range(len(STAGES))]
        for name, v in zip(STAGES, counts, strict=True):
            rec[name] = float(v * self.scale)
        rec["quota_remaining"] = np.nan if self.quota_left is None else float(self.quota_left) * self.scale
        rec["budget_remaining"] = self.ledger.remaining
        rec["incentives_on"] = self.incentives_on
        rec["purchases"] = rec["new_conversions"] + rec["repeat_purchases"]
        self.peak_load = max(self.peak_load, rec["new_conversions"])
        self.records.append(rec)
