"""Campaigns up to 10 years (``calendar.days`` <= 3650, for multi-year campaign replays):
the bound, and the per-channel contact counters (uint16) that depend on it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.loading import SpecError, load_scenario, scenario_from_dict
from sim.model import CampaignModel
from sim.rules_schema import Playbook
from sim.scenario import MAX_CAMPAIGN_DAYS
from tests.conftest import ROOT

BANK = ROOT / "calibration" / "bank_telemarketing_scenario.toml"


def test_ten_year_campaigns_load_and_longer_ones_are_refused() -> None:
    assert load_scenario(BANK, [f"calendar.days={MAX_CAMPAIGN_DAYS}"]).calendar.days == 3650
    with pytest.raises(SpecError, match=r"calendar\.days: .*3650"):
        load_scenario(BANK, [f"calendar.days={MAX_CAMPAIGN_DAYS + 1}"])


def test_contact_counters_cannot_wrap_within_the_bound() -> None:
    """A channel contacts a customer at most once a day, and rules add at most
    ``playbook.max_extension_days``: the longest campaign fits the uint16 counters."""
    (extension_bound,) = [
        m.le for m in Playbook.model_fields["max_extension_days"].metadata if hasattr(m, "le")
    ]
    assert MAX_CAMPAIGN_DAYS + extension_bound < np.iinfo(np.uint16).max


def test_a_ten_year_run_counts_every_daily_contact() -> None:
    """50 clients called every day for 3,650 days (nobody subscribes: the offer is below
    what their money earns): each channel counter reaches 3,650 exactly."""
    sc = load_scenario(
        BANK,
        [
            "population.size=50",
            "population.represents=50",
            f"calendar.days={MAX_CAMPAIGN_DAYS}",
            "channels.telemarketing.frequency_cap=65535",
            "channels.telemarketing.reach.cold=1.0",
            "offer.base_rate_pp=0.5",
        ],
    )
    data = sc.model_dump()
    data["schedule"] = {"contacts": {"telemarketing": [100.0]}}  # more than there are clients
    m = CampaignModel(scenario_from_dict(data, "ten years"), seed=1)
    m.run()
    assert m.pop.channel_contacts.dtype == np.uint16
    assert (m.pop.channel_contacts[0] == MAX_CAMPAIGN_DAYS).all()
    assert (m.pop.exposures == MAX_CAMPAIGN_DAYS).all()
    assert len(m.records) == MAX_CAMPAIGN_DAYS


@pytest.mark.parametrize(("days", "high"), [(30, 120), (944, 1888), (3000, MAX_CAMPAIGN_DAYS)])
def test_campaign_length_slider_follows_the_scenario_within_the_bound(days: int, high: int) -> None:
    from sim.app.levers import levers_for
    from sim.loading import resolve_bases

    raw = resolve_bases(BANK)
    raw["calendar"]["days"] = days
    (lever,) = [lv for lv in levers_for(raw) if lv.key == "calendar.days"]
    assert lever.high == high and lever.low == 1
