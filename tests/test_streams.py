"""Independent random streams (sim.streams): named children of the run's seed, so changing
one lever or adding a shock does not re-randomise unrelated parts of a run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model import CampaignModel
from sim.runner import run_model, spawn_seeds
from sim.scenario import Scenario
from sim.shock_kinds import RumourShock
from sim.streams import DailyStream, KeyedUniforms, child_seed, poisson_quantile
from tests.conftest import DEPOSIT, SCENARIOS, small


def test_named_children_are_stable_and_distinct() -> None:
    ss = np.random.SeedSequence(7).spawn(3)[2]
    a, b = child_seed(ss, "population"), child_seed(ss, "population")
    assert a.generate_state(4).tolist() == b.generate_state(4).tolist()
    assert a.generate_state(4).tolist() != child_seed(ss, "graph").generate_state(4).tolist()
    other = child_seed(np.random.SeedSequence(7).spawn(3)[1], "population")
    assert a.generate_state(4).tolist() != other.generate_state(4).tolist()


def test_a_daily_stream_starts_each_day_at_the_same_place() -> None:
    s = DailyStream(np.random.SeedSequence(1))
    first = s.on(5).random(3)
    s.on(4).random(1000)  # whatever another day draws
    assert s.on(5).random(3).tolist() == first.tolist()
    assert s.on(6).random(3).tolist() != first.tolist()


@settings(max_examples=25, deadline=None)
@given(ids=st.lists(st.integers(0, 10**9), min_size=1, max_size=50), day=st.integers(0, 800))
def test_keyed_uniforms_depend_only_on_day_customer_and_salt(ids: list[int], day: int) -> None:
    u = KeyedUniforms(np.random.SeedSequence(3))
    arr = np.array(ids, dtype=np.int64)
    whole = u(day, arr)
    assert ((whole >= 0) & (whole < 1)).all()
    # each customer's uniform is the same alone or among others
    assert [u(day, arr[i : i + 1])[0] for i in range(arr.size)] == whole.tolist()


def test_keyed_uniforms_look_uniform_and_independent() -> None:
    u = KeyedUniforms(np.random.SeedSequence(11))
    ids = np.arange(200_000)
    a, b, c = u(0, ids), u(1, ids), u(0, ids, salt=5)
    for x in (a, b, c):
        assert stats.kstest(x, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01 and abs(np.corrcoef(a, c)[0, 1]) < 0.01
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.01  # neighbouring customers


@pytest.mark.parametrize("rate", [0.0, 0.05, 1.0, 7.5, 50.0])
def test_poisson_quantile_matches_the_distribution(rate: float) -> None:
    u = np.random.default_rng(0).random(100_000)
    n = poisson_quantile(rate)(u)
    assert n.mean() == pytest.approx(rate, abs=4 * np.sqrt(max(rate, 1e-3) / u.size) + 1e-9)
    k = np.arange(int(rate) + 3)
    np.testing.assert_allclose([np.mean(n <= j) for j in k], stats.poisson.cdf(k, rate), atol=0.01)


def _with_extra_shock(sc: Scenario) -> Scenario:
    shock = RumourShock(kind="rumour", start=3, seeds=5, spread=0.1, trust_drop=0.3)
    return sc.model_copy(update={"shocks": (*sc.shocks, shock)})


def test_adding_a_shock_leaves_population_graph_and_other_shocks_identical(deposit_small: Scenario) -> None:
    ss = np.random.SeedSequence(21)
    a, b = CampaignModel(deposit_small, ss, agents=False), CampaignModel(_with_extra_shock(deposit_small), ss)
    for name in a.pop.column_names():
        np.testing.assert_array_equal(getattr(a.pop, name), getattr(b.pop, name), err_msg=name)
    np.testing.assert_array_equal(a.graph.indptr, b.graph.indptr)
    np.testing.assert_array_equal(a.graph.indices, b.graph.indices)
    assert b.shocks[: len(a.shocks)] == a.shocks and len(b.shocks) == len(a.shocks) + 1


def test_a_new_channel_leaves_the_population_and_graph_identical(deposit_small: Scenario) -> None:
    name, ch = next(iter(deposit_small.channels.items()))
    extra = {name: ch.model_copy(update={"budget_share": ch.budget_share / 2})}
    extra["second_" + name] = extra[name]
    channels = {**deposit_small.channels, **extra}
    sc = deposit_small.model_copy(update={"channels": channels})
    ss = np.random.SeedSequence(4)
    a, b = CampaignModel(deposit_small, ss, agents=False), CampaignModel(sc, ss, agents=False)
    np.testing.assert_array_equal(a.pop.trust, b.pop.trust)
    np.testing.assert_array_equal(a.graph.indices, b.graph.indices)


def test_a_one_percent_budget_change_is_far_smaller_than_the_seed_spread() -> None:
    """Common random numbers: the paired difference of conversions between a run and the
    same run with 1% more budget varies at most a quarter as much as conversions vary
    between seeds (16 seeds). Without split streams the ratio is about 1 (the 1% run is a
    new draw)."""
    path = SCENARIOS / "account_opening_festival.toml"
    # the festival ends when its bonus money runs out, so its money, not the seed, sets the
    # conversions (little spread between seeds): selling on without the bonus keeps the test
    # about random numbers
    sell_on = ["offer.on_incentive_exhausted='continue_without_bonus'"]
    a = small(path, size=3000, overrides=sell_on)
    b = small(path, size=3000, overrides=[*sell_on, f"budget.total={a.budget.total * 1.01}"])
    seeds = spawn_seeds(99, 16)
    x = np.array([run_model(a, s).summary["conversions"] for s in seeds])
    y = np.array([run_model(b, s).summary["conversions"] for s in seeds])
    between, paired = x.std(ddof=1), (y - x).std(ddof=1)
    assert between > 0
    assert paired <= between / 4, (paired, between)


def test_frequency_caps_above_255_are_honoured() -> None:
    """Per-customer contact counters used to wrap at 256, silently ignoring such caps."""
    name = next(iter(small(DEPOSIT).channels))
    sc = small(
        DEPOSIT,
        size=100,
        overrides=[
            "calendar.days=300", "calendar.observation_days=0", "calendar.phases=[]",
            "budget.total=1e12", "offer.quota=100000000", "referral.invite_rate=0",
            f"channels.{name}.daily_capacity=1000000000", f"channels.{name}.frequency_cap=280",
            f"channels.{name}.awareness=0", "segments.0.initially_aware=0", "behaviour.word_of_mouth=0",
            "diffusion.innovation=0", "diffusion.imitation=0",
        ],
    )  # fmt: skip
    model = CampaignModel(sc, 0, agents=False)
    model.run()
    c = list(sc.channels).index(name)
    assert model.pop.channel_contacts[c].max() == 280


def test_referral_max_invites_beyond_int16_runs() -> None:
    sc = small(DEPOSIT, size=300, overrides=["referral.max_invites=100000", "referral.invite_rate=20"])
    res = run_model(sc, 1)
    assert res.summary["conversions"] > 0
