"""Planner number formatting: hand-computed cases and properties (never scientific notation)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.report import format as fmt

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
anything = st.floats(allow_nan=True, allow_infinity=True)


@pytest.mark.parametrize(
    ("v", "text"),
    [
        (0, "0 CNY"),
        (12.5, "12.50 CNY"),
        (1234, "1,234 CNY"),
        (12_345, "12.3K CNY"),
        (999_999, "1.00M CNY"),
        (4_560_000, "4.56M CNY"),
        (-4_500_000, "-4.50M CNY"),
        (2.5e9, "2.50B CNY"),
        (1.2e13, "12,000B CNY"),
        (-0.001, "0.00 CNY"),
        (math.nan, "—"),
        (math.inf, "∞ CNY"),
    ],
)
def test_money_by_hand(v: float, text: str) -> None:
    assert fmt.money(v, "CNY") == text


def test_other_units_by_hand() -> None:
    assert fmt.money(1_234_567, "CNY", exact=True) == "1,234,567 CNY"
    assert fmt.percent(0.153) == "15.3%"
    assert fmt.percent(-0.02) == "-2.0%"
    assert fmt.percent(12.5) == "1,250.0%"
    assert fmt.count(12_345) == "12,345"
    assert fmt.count(4_560_000) == "4.56M"
    assert fmt.count(0.4) == "0.4"  # expected counts of rare events keep a decimal
    assert fmt.per_10k(0.456) == "0.46 per 10k"
    assert fmt.day(26) == "day 27"
    assert fmt.percent(None) == fmt.count(math.nan) == fmt.day(math.nan) == "—"
    assert fmt.interval(1e6, 2.5e6, "money", "CNY") == "1.00M to 2.50M CNY"
    assert fmt.interval(-0.1, 0.2, "percent") == "-10.0% to 20.0%"


@pytest.mark.parametrize(
    ("kpi", "unit"),
    [
        ("roi", "percent"),
        ("incremental_roi", "percent"),
        ("conversion_rate", "percent"),
        ("referral_share", "percent"),
        ("net_value", "money"),
        ("incremental_net_value", "money"),
        ("cost_per_incremental_conversion", "money"),
        ("incremental_new_money", "money"),
        ("complaints_per_10k", "per_10k"),
        ("incentive_exhausted_day", "day"),
        ("conversions", "count"),
        ("baseline_conversions", "count"),
        ("budget_used_share", "percent"),
        ("viral_coefficient", "number"),
    ],
)
def test_units_follow_names(kpi: str, unit: str) -> None:
    assert fmt.unit_of(kpi) == unit


@given(anything, st.sampled_from(["money", "percent", "count", "per_10k", "day", "number"]))
def test_never_scientific(v: float, unit: str) -> None:
    text = fmt.value(v, unit, "CNY")
    assert "e+" not in text and "e-" not in text and "E" not in text
    for f in (fmt.compact, fmt.number, fmt.tick_formatter(unit)):
        t = f(v)
        assert "e+" not in t and "e-" not in t


@given(finite)
def test_money_round_trips_to_display_precision(v: float) -> None:
    back = fmt.parse(fmt.money(v, "CNY"))
    assert abs(back - v) <= 0.005 * abs(v) + 0.5


@given(finite)
def test_percent_and_count_round_trip(v: float) -> None:
    assert abs(fmt.parse(fmt.percent(v)) - v) <= 0.0005 + 1e-12 * abs(v)
    assert abs(fmt.parse(fmt.count(v)) - v) <= 0.005 * abs(v) + 0.5


@given(finite)
def test_negatives_keep_their_sign(v: float) -> None:
    text = fmt.money(v, "CNY")
    if fmt.parse(text) != 0:
        assert text.startswith("-") == (v < 0)
    assert not text.startswith("-0 ") and text != "-0.00 CNY"


@given(st.sampled_from([math.nan, None]))
def test_missing_is_an_em_dash(v: float | None) -> None:
    for unit in ("money", "percent", "count", "per_10k", "day", "number"):
        assert fmt.value(v, unit, "CNY") == "—"
    assert math.isnan(fmt.parse("—"))


def test_parse_rejects_words() -> None:
    with pytest.raises(ValueError, match="not a formatted number"):
        fmt.parse("ROI")


def test_axis_formatter_and_labels() -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 3e7])
    fmt.format_axis(ax, x="day", y="money")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.endswith("M") for label in labels)
    assert not any("e" in label for label in labels)
    assert ax.yaxis.get_offset_text().get_text() == ""
    plt.close(fig)
    assert fmt.axis_label("net value", "money", "CNY") == "net value (CNY)"
    assert fmt.axis_label("ROI", "percent") == "ROI (%)"
    assert fmt.axis_label("complaints", "per_10k") == "complaints (per 10k customers)"
