"""Scenario edits: wildcards, set/scale/shift on numbers and distribution tables, phase
stretching, integer rounding and the channel-mix simplex."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.edits import edited, expand, fit_phases, mix_shares, scenario_at
from sim.experiments.spec import ExperimentSpec, Factor, load_experiment
from sim.loading import resolve_bases, scenario_from_dict

CHANNELS = (
    "app_push",
    "wechat",
    "social_kol",
    "search_display",
    "branch",
    "community_event",
    "partner_merchant",
)


@pytest.fixture
def exp(write_experiment, grid: str):
    return load_experiment(write_experiment(grid))


def spec_with(exp, **factors: Factor) -> ExperimentSpec:
    return exp.spec.model_copy(update={"factors": factors})


def test_wildcard_matches_every_list_item_and_table_key(exp) -> None:
    segs = expand(exp.base, "segments.*.loss_aversion")
    assert segs == [["segments", str(i), "loss_aversion"] for i in range(len(exp.base["segments"]))]
    assert ["channels", "branch", "fatigue"] in expand(exp.base, "channels.*.fatigue")
    assert expand(exp.base, "budget.total") == [["budget", "total"]]


def test_scale_moves_location_and_spread_of_every_segment(exp) -> None:
    f = Factor(role="uncertainty", path="segments.*.loss_aversion", op="scale", low=0.5, high=2)
    data = edited(spec_with(exp, la=f), exp.base, {"la": 2.0})
    first = exp.base["segments"][0]["loss_aversion"]  # normal mean 2.25, sd 0.4, low 1.0
    assert data["segments"][0]["loss_aversion"] == {**first, "mean": 4.5, "sd": 0.8, "low": 2.0}
    assert all(
        s["loss_aversion"]["mean"] == 2 * b["loss_aversion"]["mean"]
        for s, b in zip(data["segments"], exp.base["segments"], strict=True)
    )
    assert exp.base["segments"][0]["loss_aversion"] == first  # the base is never mutated


def test_shift_adds_and_set_replaces_a_table_by_a_number(exp) -> None:
    shift = Factor(role="uncertainty", path="segments.0.loss_aversion", op="shift", low=-1, high=1)
    data = edited(spec_with(exp, la=shift), exp.base, {"la": 0.5})
    assert data["segments"][0]["loss_aversion"]["mean"] == pytest.approx(2.75)
    assert data["segments"][0]["loss_aversion"]["sd"] == 0.4  # a shift keeps the spread
    put = Factor(role="uncertainty", path="shocks.0.rate_pp", low=0, high=1)
    sc = scenario_at(spec_with(exp, shock=put), exp.base, {"shock": 0.8})
    assert sc.shocks[0].rate_pp == 0.8


def test_shift_of_a_lognormal_is_refused(exp) -> None:
    f = Factor(role="uncertainty", path="segments.0.fomo", op="shift", low=0, high=1)
    with pytest.raises(ValueError, match="cannot shift a lognormal"):
        edited(spec_with(exp, fomo=f), exp.base, {"fomo": 0.3})


def test_scale_of_a_missing_field_uses_the_schema_default(exp) -> None:
    base = copy.deepcopy(exp.base)
    base.pop("referral", None)
    f = Factor(role="lever", path="referral.accept_probability", op="scale", low=0, high=2)
    assert edited(spec_with(exp, r=f), base, {"r": 2.0})["referral"]["accept_probability"] == pytest.approx(
        0.6
    )


def test_integer_field_is_rounded_and_phases_stretch_with_duration() -> None:
    data = {
        "calendar": {
            "days": 45,
            "phases": [{"name": "a", "start": 0, "end": 9}, {"name": "b", "start": 10, "end": 29}],
        }
    }
    fit_phases(data, old_days=30)
    assert data["calendar"]["phases"] == [
        {"name": "a", "start": 0, "end": 14},
        {"name": "b", "start": 15, "end": 44},
    ]


def test_duration_factor_gives_a_valid_scenario(write_experiment, grid: str) -> None:
    path = write_experiment(grid)
    exp = load_experiment(path, ["calendar.phases=[{name='a',start=0,end=4},{name='b',start=5,end=9}]"])
    f = Factor(role="lever", path="calendar.days", low=5, high=40)
    sc = scenario_at(spec_with(exp, days=f), exp.base, {"days": 37.4})
    assert sc.calendar.days == 37
    assert sc.calendar.phases[-1].end == 36


def test_mix_shares_by_hand() -> None:
    base = {"channels": {"a": {"budget_share": 0.2}, "b": {"budget_share": 0.3}, "c": {"budget_share": 0.5}}}
    f = Factor(role="lever", channels=("a", "b"), low=0, high=1)
    # c keeps 0.5; a and b split the other 0.5 as 1:3
    assert mix_shares(f, base, {"a": 0.25, "b": 0.75}) == pytest.approx({"a": 0.125, "b": 0.375})
    rel = Factor(role="lever", channels=("a", "b"), relative=True, low=0, high=2)
    # relative: weights times base shares, 1*0.2 : 1*0.3 keeps the base mix
    assert mix_shares(rel, base, {"a": 1.0, "b": 1.0}) == pytest.approx({"a": 0.2, "b": 0.3})


BASE = resolve_bases(Path(__file__).resolve().parents[2] / "scenarios" / "deposit_sprint.toml")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 5.0), min_size=len(CHANNELS), max_size=len(CHANNELS)).filter(
        lambda w: sum(w) > 1e-6
    ),
    st.booleans(),
    st.integers(2, len(CHANNELS)),
)
def test_channel_mix_is_always_a_valid_simplex(weights: list[float], relative: bool, k: int) -> None:
    named = CHANNELS[:k]
    f = Factor(role="lever", channels=named, relative=relative, low=0, high=5)
    w = dict(zip(named, weights, strict=False))
    if relative and sum(w[c] * BASE["channels"][c]["budget_share"] for c in named) <= 0:
        return
    if sum(w.values()) <= 1e-6:  # all named weights zero: mix_shares refuses, as it should
        return
    shares = mix_shares(f, BASE, w)
    assert all(s >= 0 for s in shares.values())
    data = copy.deepcopy(BASE)
    for c, s in shares.items():
        data["channels"][c]["budget_share"] = s
    total = sum(ch["budget_share"] for ch in data["channels"].values())
    assert total == pytest.approx(1.0, abs=1e-9)
    scenario_from_dict(data)  # the schema accepts the edited mix
