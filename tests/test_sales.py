"""Sales bookkeeping (sim.sales): each unit sold is also credited to the day of its
buyer's last paid contact (``purchases_by_contact_day``), the way a call log books a
subscription on its call's date."""

from __future__ import annotations

import numpy as np

from sim.loading import load_scenario
from sim.runner import run_model
from tests.conftest import ROOT
from tests.reference import run_reference
from tests.test_replay_targeting import DAYS, bank


def test_sales_are_credited_to_the_day_of_the_last_call() -> None:
    # calls on days 0-2 only; a slow decision spreads the subscriptions over later days
    calls = [200.0, 200.0, 200.0] + [0.0] * (DAYS - 3)
    sc = bank({"contacts": {"telemarketing": calls}}, ("behaviour.decision_rate=0.2",))
    daily = run_model(sc, 3).daily
    credited = daily["purchases_by_contact_day"].to_numpy()
    sold = daily["purchases"].to_numpy()
    assert sold[3:].sum() > 0.3 * sold.sum()  # most decide after the calls ended
    assert (credited[3:] == 0).all() and (credited[:3] > 0).all()
    assert credited.sum() == sold.sum()  # every buyer was called (nobody considers unasked)
    # the booking moves sales back in time, never forward
    assert (np.cumsum(credited) >= np.cumsum(sold)).all()


def test_a_second_call_moves_the_credit_to_its_day() -> None:
    # day 0 calls everyone who can be reached; day 10 calls them all again: those still
    # undecided on day 10, and repeat buyers, are credited to day 10, not day 0
    calls = [2000.0] + [0.0] * 9 + [2000.0] + [0.0] * (DAYS - 11)
    sc = bank(
        {"contacts": {"telemarketing": calls}},
        ("behaviour.decision_rate=0.05", "behaviour.drop_rate=0.0"),
    )
    daily = run_model(sc, 3).daily
    credited, sold = daily["purchases_by_contact_day"].to_numpy(), daily["purchases"].to_numpy()
    assert set(np.flatnonzero(credited)) == {0, 10}
    # a day's calls come before its decisions: day 10's buyers were all called that day
    assert credited[0] == sold[:10].sum()
    assert credited[10] == sold[10:].sum()


def test_the_per_agent_reference_does_not_track_it() -> None:
    sc = load_scenario(ROOT / "scenarios" / "deposit_sprint.toml", ["population.size=300"])
    assert np.isnan(run_reference(sc, 1).daily["purchases_by_contact_day"]).all()
