"""Replayed targeting (``schedule.to_subscribers``, ``schedule.to_contacts``): whom a
channel's contacts go to each day (sim.marketing.targeted_contacts), the schema's checks,
and the calibration replay writing the series (sim.calibration.replay)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.loading import SpecError, load_scenario, scenario_from_dict
from sim.marketing import HOLDING
from sim.model import CampaignModel
from tests.conftest import ROOT

BANK = ROOT / "calibration" / "bank_telemarketing_scenario.toml"
DAYS = 40


def bank(schedule: dict, extra: tuple[str, ...] = ()) -> object:
    """The bank month at 2,000 clients (one simulated client each), 40 days, the schedule
    given, every call moving a client to consider and most of them to subscribe."""
    sc = load_scenario(
        BANK,
        [
            f"calendar.days={DAYS}",
            "population.represents=2000",
            "channels.telemarketing.consideration=1.0",
            "channels.telemarketing.frequency_cap=40",
            "behaviour.decision_rate=0.9",
            "offer.base_rate_pp=8.0",  # well above what their money earns: calls convert
            "segments.1.threshold=0.0",
            *extra,
        ],
    )
    data = sc.model_dump()
    data["schedule"] = schedule
    return scenario_from_dict(data, "bank")


def contacted_each_day(sc) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per day: the customers contacted, and whether each held the product and had been
    contacted before, at the start of that day."""
    m = CampaignModel(sc, seed=4)
    out = []
    while m.running:
        before, stage = m.pop.exposures.copy(), m.pop.stage.copy()
        m.step()
        hit = np.flatnonzero(m.pop.exposures > before)
        out.append((hit, HOLDING[stage[hit]], before[hit] > 0))
    return out


def test_targeting_shares_out_the_days_contacts() -> None:
    half = DAYS // 2
    sc = bank(
        {
            "contacts": {"telemarketing": [30.0] * DAYS},
            "to_subscribers": {"telemarketing": [0.0] * half + [0.5]},  # the last value holds
            "to_contacts": {"telemarketing": [0.0] * half + [0.3]},
        }
    )
    days = contacted_each_day(sc)
    for hit, held, before in days[:half]:  # shares of 0: every call to a client never called
        assert hit.size == 30 and not held.any() and not before.any()
    # then each call goes to an earlier subscriber w.p. 0.5, to an earlier contact w.p. 0.3
    # and to a new client w.p. 0.2; calls the few holders cannot take go to the others, so
    # every day still makes its 30 calls. Over 20 days of 30 calls: within 3 binomial sd
    calls = 30 * (DAYS - half)
    assert all(hit.size == 30 for hit, _, _ in days[half:])
    to_contacts = sum(int((b & ~h).sum()) for _, h, b in days[half:]) / calls
    to_new = sum(int((~b & ~h).sum()) for _, h, b in days[half:]) / calls
    to_holders = sum(int(h.sum()) for _, h, _ in days[half:]) / calls
    assert 0 < to_holders <= 0.5 + 0.062  # holders were there and were called
    assert to_contacts > 0.3 - 0.056 and to_new > 0.2 - 0.049
    assert to_contacts + to_new + to_holders == 1.0


def test_one_call_a_day_still_follows_the_shares() -> None:
    """A day with a single simulated call cannot be split by rounding (round(0.3) = 0):
    the split is drawn, so the shares hold on average."""
    sc = bank({"contacts": {"telemarketing": [1.0]}, "to_contacts": {"telemarketing": [0.0] * 5 + [0.3]}})
    days = contacted_each_day(sc)[5:]
    share = sum(int(b.sum()) for _, _, b in days) / sum(h.size for h, _, _ in days)
    assert abs(share - 0.3) < 3 * (0.3 * 0.7 / 35) ** 0.5


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (
            {"to_subscribers": {"telemarketing": [0.2, float("nan")]}},
            "schedule.to_subscribers.telemarketing.1",
        ),
        ({"to_contacts": {"telemarketing": [float("inf")]}}, "schedule.to_contacts.telemarketing.0"),
        ({"to_subscribers": {"telemarketing": [1.5]}}, "less than or equal to 1"),
        ({"to_contacts": {"telemarketing": [-0.1]}}, "greater than or equal to 0"),
        (
            {"to_subscribers": {"telemarketing": [0.5, 0.7]}, "to_contacts": {"telemarketing": [0.4]}},
            "on day 1 the shares to earlier subscribers (0.7) and to earlier contacts (0.4) sum to 1.1",
        ),
        ({"to_subscribers": {"telemarketeing": [0.5]}}, "did you mean 'telemarketing'?"),
        ({"to_subscriber": {"telemarketing": [0.5]}}, "did you mean 'to_subscribers'?"),
    ],
)
def test_targeting_is_validated(schedule: dict, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        bank({"contacts": {"telemarketing": [30.0]}, **schedule})
    assert expected in str(info.value)


def test_calibration_replays_the_targeting_shares(tmp_path) -> None:
    from sim.calibration.data import load_observed
    from sim.calibration.simulate import Simulator
    from sim.calibration.spec import load_calibration

    (tmp_path / "s.toml").write_text(BANK.read_text())
    (tmp_path / "d.csv").write_text("ym,n,yes,sub,con\n1,100,5,0.0,0.1\n2,50,4,0.4,0.2\n")
    spec = tmp_path / "spec.toml"
    body = (
        'name = "r"\nscenario = "s.toml"\nset = ["calendar.days=20", "calendar.observation_days=0"]\n'
        '[data]\npath = "d.csv"\ndate_column = "ym"\nfrequency = "period"\ndays_per_period = 10\n'
        '[[replay]]\ncolumn = "n"\ntarget = "contacts.telemarketing"\n'
        '[[replay]]\ncolumn = "sub"\ntarget = "to_subscribers.telemarketing"\n'
        '[[replay]]\ncolumn = "con"\ntarget = "TARGET"\n'
        '[[parameters]]\nname = "c"\nfield = "channels.telemarketing.consideration"\n'
        'prior = { dist = "uniform", low = 0.1, high = 0.9 }\n'
        '[[observe]]\ncolumn = "yes"\noutput = "purchases"\n'
    )
    spec.write_text(body.replace("TARGET", "to_contacts.telemarketing"))
    cal = load_calibration(spec)
    sim = Simulator(cal, load_observed(cal))
    assert sim.replayed["to_subscribers"]["telemarketing"] == [0.0] * 10 + [0.4] * 10
    assert sim.replayed["to_contacts"]["telemarketing"] == [0.1] * 10 + [0.2] * 10
    sc = scenario_from_dict(sim.scenario_dict({"c": 0.5}), "x")
    assert sc.schedule is not None and sc.schedule.to_subscribers["telemarketing"][15] == 0.4
    spec.write_text(body.replace("TARGET", "to_contacts.telemarketin"))
    with pytest.raises(SpecError, match=r"did you mean 'to_contacts\.telemarketing'"):
        load_calibration(spec)
