"""The run report's verdict, glossary, per-channel and per-day tables (pure parts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.kpis import SUMMARY_KPIS
from sim.limits import LIMIT_SUMMARY, limits_overview
from sim.report.glossary import GLOSSARY, GROSS, budget_split
from sim.report.html import revision_note
from sim.report.tables import channel_table, day_table, planned_spend
from sim.report.verdict import headline, verdict
from sim.runner import run_replications
from tests.conftest import DEPOSIT, small


@pytest.fixture(scope="module")
def reps():
    sc = small(DEPOSIT, 1000)
    return sc, run_replications(sc, 3, seed=2)


def test_every_kpi_has_a_glossary_entry_and_gross_ones_say_so() -> None:
    assert set(SUMMARY_KPIS) | set(LIMIT_SUMMARY) <= set(GLOSSARY)
    for kpi, entry in GLOSSARY.items():
        assert entry.definition.endswith("."), kpi
        if entry.group == GROSS and kpi not in ("retention_30d", "peak_daily_load"):
            assert "gross" in entry.label, kpi


def test_budget_split_adds_up() -> None:
    sc = small(DEPOSIT)
    parts = dict((p, m) for p, m, _ in budget_split(sc))
    rest = parts["risk reserve"] + parts["fixed costs"] + parts["marketing pool"] + parts["incentive pool"]
    assert rest == pytest.approx(parts["total budget"])


def test_headline_thresholds() -> None:
    assert headline(0.95) == "Pays off" and headline(0.05) == "Does not pay off"
    assert headline(0.5) == "A coin toss" and headline(np.nan).startswith("No verdict")


def test_verdict_by_hand() -> None:
    sc = small(DEPOSIT, overrides=["targets.conversions.at_least=15"])
    summary = pd.DataFrame(
        {
            "incremental_net_value": [-1e6, 2e6, 3e6, 4e6],
            "net_value": [1.0, 2, 3, 4],
            "incremental_roi": [-0.1, 0.2, 0.3, 0.4],
            "roi": [0.1, 0.2, 0.3, 0.4],
            "incremental_conversions": [10.0, 20, 30, 40],
            "incremental_new_money": [1e8, 2e8, 3e8, 4e8],
            "baseline_conversions": [5.0, 5, 5, 5],
            "conversions": [15.0, 25, 35, 45],
        }
    )
    v = verdict(summary, limits_overview(pd.DataFrame(columns=["limit", "channel", "binds"]), 4), sc)
    assert v["headline"] == "Likely pays off"
    assert "In 3 of 4 runs: P(incremental net value > 0) = 75%" in v["pays"]
    assert "2.50M CNY" in v["pays"]  # the median, with its currency
    assert "5 conversions that would have come" in v["buys"]
    assert "P(incremental ROI < 0) = 25%" in v["risk"] and "gross ROI < 0 in 0%" in v["risk"]
    assert v["limits"].startswith("Limits: none bound")
    assert "conversions ≥ 15: P(hit) 100%" in v["targets"]
    for text in v.values():
        assert "e+" not in text and "nan" not in text.lower()
    free = summary.assign(total_cost=0.0, incremental_roi=np.nan)
    v = verdict(free, limits_overview(pd.DataFrame(columns=["limit", "channel", "binds"]), 4), sc)
    assert v["headline"].startswith("No campaign money") and "not defined" in v["risk"]


def test_verdict_without_baseline_uses_gross_and_says_so(reps) -> None:
    sc, r = reps
    summary = r.summary.assign(
        **{k: np.nan for k in r.summary if k.startswith(("incremental_", "baseline_"))}
    )
    v = verdict(summary, limits_overview(r.limits, 3), sc)
    assert "gross" in v["pays"] and "gross" in v["buys"]


def test_limits_sentence_names_the_policy(reps) -> None:
    sc, r = reps
    ov = limits_overview(r.limits, 3)
    v = verdict(r.summary, ov, sc)
    if "incentive_pool_exhausted" in set(ov["limit"]):
        assert "went on without incentives" in v["limits"]
    assert v["limits"].startswith("Limits")


def test_revision_note() -> None:
    assert revision_note("abc123-dirty").startswith("Code modified")
    assert revision_note("abc123") == "Code: clean revision abc123."
    assert "unknown" in revision_note("unknown")


def test_channel_and_day_tables(reps) -> None:
    sc, r = reps
    t = channel_table(r.channels, r.summary, sc)
    assert set(t["channel"]) <= set(sc.channels) and len(t) > 0
    assert (t["spend"] <= t["plan"] * 1.0001).all()
    total = r.channels.groupby("replication")["conversions"].sum()
    assert (total <= r.summary.set_index("replication")["conversions"] + 1e-6).all()
    d = day_table(r.daily, sc)
    assert list(d["day"]) == list(range(sc.calendar.days))
    assert d["planned_spend"].sum() == pytest.approx(planned_spend(sc).sum())
    assert d["cumulative_conversions"].is_monotonic_increasing
