"""Adaptive playbooks: rules fire when and only when their condition holds, within their
window, cooldown and max_fires; rules that never fire leave a run bit-identical; actions
respect the compliance caps and the budget; schema errors come all at once."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.loading import SpecError, dump_scenario, load_scenario, resolve_bases, scenario_from_dict
from sim.model import CampaignModel
from sim.rules import holds
from sim.rules_schema import Condition, When
from sim.runner import run_model, run_replications
from tests.conftest import DEPOSIT, ETF, SCENARIOS

NOOP = [{"do": "shift_cashback", "value": 0.0}]  # recorded, changes nothing


def raw(path: Path = ETF, size: int = 1500, observation: int = 4) -> dict:
    data = resolve_bases(path)
    data["population"] = {**data.get("population", {}), "size": size, "agents": False}
    data["calendar"] = {**data["calendar"], "observation_days": observation}
    return data


def with_rules(data: dict, rules: list[dict], playbook: dict | None = None) -> dict:
    out = copy.deepcopy(data)
    out["rules"] = rules
    if playbook is not None:
        out["playbook"] = playbook
    return out


def fired_days(result, rule: str) -> list[int]:
    r = result.rules
    return sorted(set(r.loc[r["rule"] == rule, "day"].tolist()))


# ------------------------------------------------------------------ conditions
def test_conditions_compare_and_combine() -> None:
    state = {"day": 5, "phase": "peak", "shock.outage": True, "pace_ratio": 0.7}
    assert holds(When(state="day", op=">=", value=5), state)
    assert not holds(When(state="day", op=">", value=5), state)
    assert holds(When(state="phase", op="==", value="peak"), state)
    both = When(
        all=(
            Condition(state="shock.outage", op="==", value=True),
            Condition(state="pace_ratio", op="<", value=0.8),
        )
    )
    assert holds(both, state)
    either = When(
        any=(Condition(state="day", op="<", value=2), Condition(state="pace_ratio", op=">", value=0.8))
    )
    assert not holds(either, state)


def test_each_rule_fires_when_and_only_when_its_condition_holds() -> None:
    data = raw(DEPOSIT, size=2000, observation=3)
    rules = [
        {
            "name": "converted_yesterday",
            "when": {"state": "daily_conversions", "op": ">", "value": 0},
            "actions": NOOP,
        },
        {
            "name": "rival_live",
            "when": {"state": "shock.competitor", "op": "==", "value": True},
            "actions": NOOP,
        },
        {
            "name": "money_gone",
            "when": {"state": "incentives_on", "op": "==", "value": False},
            "actions": NOOP,
        },
        {"name": "launch", "when": {"state": "phase", "op": "==", "value": "launch"}, "actions": NOOP},
        {
            "name": "many_so_far",
            "when": {"state": "conversions", "op": ">=", "value": 20_000},
            "max_fires": 1,
            "actions": NOOP,
        },
    ]
    sc = scenario_from_dict(with_rules(data, rules))
    res = run_model(sc, seed=4, baseline=False)
    daily = res.daily
    conv = daily["new_conversions"].to_numpy()
    days = daily["day"].to_numpy()
    # flows are read up to the end of yesterday, state as it stands at the start of the day
    assert fired_days(res, "converted_yesterday") == [int(d) for d in days[1:] if conv[d - 1] > 0]
    off = daily["incentives_on"].to_numpy()
    assert fired_days(res, "money_gone") == [int(d) for d in days[1:] if not off[d - 1]]
    assert fired_days(res, "launch") == [int(d) for d in days if daily["phase"].iloc[d] == "launch"]
    cum = np.concatenate([[0.0], np.cumsum(conv)[:-1]])  # conversions before day d
    first = next(int(d) for d in days if cum[d] >= 20_000)
    assert fired_days(res, "many_so_far") == [first]
    model = CampaignModel(sc, seed=4)
    comp = [s for s in model.shocks if s.kind == "competitor"]
    expect = sorted({d for s in comp for d in range(s.start, s.end + 1) if d < len(days)})
    assert fired_days(res, "rival_live") == expect
    assert res.summary["rule_fires.converted_yesterday"] == len(fired_days(res, "converted_yesterday"))


def test_window_cooldown_and_max_fires() -> None:
    always = {"state": "day", "op": ">=", "value": 0}
    rules = [
        {"name": "windowed", "when": always, "from_day": 2, "until_day": 6, "actions": NOOP},
        {"name": "cooled", "when": always, "cooldown": 2, "actions": NOOP},
        {"name": "capped", "when": always, "cooldown": 1, "max_fires": 3, "from_day": 1, "actions": NOOP},
    ]
    res = run_model(scenario_from_dict(with_rules(raw(), rules)), seed=1, baseline=False)
    horizon = len(res.daily)
    assert fired_days(res, "windowed") == [2, 3, 4, 5, 6]
    assert fired_days(res, "cooled") == list(range(0, horizon, 3))
    assert fired_days(res, "capped") == [1, 3, 5]


def test_rules_that_never_fire_leave_the_run_bit_identical() -> None:
    data = raw(DEPOSIT, size=2000, observation=3)
    never = {"state": "day", "op": ">", "value": 10_000}
    rules = [
        {
            "name": "a",
            "when": never,
            "actions": [{"do": "end_campaign"}, {"do": "set_bonus_bp", "value": 100}],
        },
        {
            "name": "b",
            "when": {"any": [never, {"state": "quota_used_share", "op": ">", "value": 2}]},
            "actions": [
                {"do": "top_up_incentives", "value": 1e6},
                {"do": "pause_channel", "channel": "branch"},
                {"do": "extend_campaign", "value": 5},
                {"do": "set_frame", "frame": "loss"},
            ],
        },
    ]
    plain = run_model(scenario_from_dict(data), seed=7)
    ruled = run_model(scenario_from_dict(with_rules(data, rules)), seed=7)
    pd.testing.assert_frame_equal(plain.daily, ruled.daily, check_exact=True)
    pd.testing.assert_frame_equal(plain.channels, ruled.channels, check_exact=True)
    for k, v in plain.summary.items():
        assert ruled.summary[k] == v or (np.isnan(v) and np.isnan(ruled.summary[k])), k
    assert ruled.summary["rule_fires.a"] == 0 and ruled.rules.empty


def test_a_no_op_rule_that_fires_changes_no_number() -> None:
    data = raw()
    rules = [{"name": "noop", "when": {"state": "day", "op": ">=", "value": 0}, "actions": NOOP}]
    plain = run_model(scenario_from_dict(data), seed=2)
    ruled = run_model(scenario_from_dict(with_rules(data, rules)), seed=2)
    pd.testing.assert_frame_equal(plain.daily, ruled.daily, check_exact=True)
    assert len(ruled.rules) == len(ruled.daily)


# ------------------------------------------------------------------ actions
def test_bonus_shifts_stop_at_the_compliance_cap_and_feed_the_journey() -> None:
    rules = [
        {
            "name": "up",
            "when": {"state": "day", "op": ">=", "value": 1},
            "actions": [{"do": "shift_bonus_bp", "value": 30}],
        }
    ]
    sc = scenario_from_dict(with_rules(raw(), rules, {"max_bonus_bp": 100}))
    res = run_model(sc, seed=3, baseline=False)
    after = res.rules["value_after"].to_numpy()
    assert after[:2].tolist() == [70.0, 100.0] and (after[2:] == 100).all()
    m = CampaignModel(sc, seed=3)
    for _ in range(3):
        m.step()
    assert m.terms.bonus_bp == 100 and m.terms.bonus_pp in (1.0, 0.0)


def test_pause_and_resume_a_channel_and_move_budget() -> None:
    rules = [
        {
            "name": "pause",
            "when": {"state": "day", "op": "==", "value": 3},
            "actions": [
                {"do": "pause_channel", "channel": "wechat"},
                {"do": "move_budget", "from_channel": "wechat", "to_channel": "app_push", "value": 0.05},
            ],
        },
        {
            "name": "resume",
            "when": {"state": "day", "op": "==", "value": 5},
            "actions": [{"do": "resume_channel", "channel": "wechat"}],
        },
    ]
    sc = scenario_from_dict(with_rules(raw(), rules))
    res = run_model(sc, seed=5, baseline=False)
    ch = res.channels[res.channels["channel"] == "wechat"].set_index("day")["contacts"]
    assert (ch.loc[3:4] == 0).all() and ch.loc[5] > 0 and ch.loc[1] > 0
    m = CampaignModel(sc, seed=5)
    for _ in range(4):
        m.step()
    assert m.ledger.channel_shares.sum() == pytest.approx(1.0)
    assert "wechat" in m.paused
    state = res.rules.set_index("action")
    assert state.loc["pause_channel", "value_after"] == 0 and state.loc["resume_channel", "value_after"] == 1
    assert state.loc["move_budget", "value_before"] - state.loc[
        "move_budget", "value_after"
    ] == pytest.approx(0.05)


def test_extend_and_end_move_the_horizon_and_the_baseline_follows() -> None:
    data = raw(observation=4)
    days = data["calendar"]["days"]
    ext = [
        {
            "name": "ext",
            "when": {"state": "day", "op": "==", "value": 3},
            "actions": [{"do": "extend_campaign", "value": 5}],
        }
    ]
    res = run_model(scenario_from_dict(with_rules(data, ext, {"max_extension_days": 3})), seed=1)
    assert len(res.daily) == days + 3 + 4  # capped by max_extension_days
    assert (res.daily["phase"].iloc[: days + 3] != "observation").all()
    assert res.daily["baseline_new_conversions"].notna().all()
    end = [
        {"name": "end", "when": {"state": "day", "op": "==", "value": 4}, "actions": [{"do": "end_campaign"}]}
    ]
    res = run_model(scenario_from_dict(with_rules(data, end)), seed=1)
    assert len(res.daily) == 4 + 4
    assert (res.daily["phase"].iloc[4:] == "observation").all()
    assert res.daily["new_conversions"].iloc[4:].sum() == 0
    assert res.rules["value_after"].tolist() == [4.0]


def test_budget_invariant_holds_with_top_ups() -> None:
    data = raw(SCENARIOS / "festival_pace_playbook.toml", size=1500, observation=3)
    rules = [
        {
            "name": "refill",
            "when": {"state": "incentive_left_share", "op": "<", "value": 0.2},
            "cooldown": 0,
            "actions": [{"do": "top_up_incentives", "value": 5e5}],
        }
    ]
    sc = scenario_from_dict(with_rules(data, rules))
    total = sc.budget.total
    for seed in range(3):
        m = CampaignModel(sc, seed=seed)
        m.run()
        led = m.ledger
        assert led.reserve >= 0
        assert led.used <= total + 1e-6
        assert led.incentives + led.rewards <= led.incentive_pool + 1e-6
        assert min(r["budget_remaining"] for r in m.records) >= -1e-6
    reps = run_replications(sc, 2, seed=1)
    assert (reps.rules["action"] == "top_up_incentives").any()
    topped = reps.rules["value_after"] - reps.rules["value_before"]
    assert topped.sum() <= 2 * total * sc.budget.risk_reserve_share + 1e-6


def test_claims_are_refused_while_banned() -> None:
    data = raw()
    data["shocks"] = [*data.get("shocks", []), {"kind": "regulatory", "start": 0, "claim": "risk_free"}]
    rules = [
        {
            "name": "claim",
            "when": {"state": "day", "op": "==", "value": 1},
            "actions": [{"do": "add_claim", "claim": "risk_free"}],
        }
    ]
    res = run_model(scenario_from_dict(with_rules(data, rules)), seed=1, baseline=False)
    assert res.rules["value_after"].tolist() == [0.0]


# ------------------------------------------------------------------ schema
def test_every_rule_problem_is_reported_at_once_with_suggestions(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'base = "{ETF}"\n'
        "[playbook]\nmax_bonus_bp = 50\n"
        '[[rules]]\nname = "r1"\n'
        'when = { state = "pace_ratoi", op = "<", value = 0.8 }\n'
        'actions = [{ do = "shift_bonus", value = 10 }]\n'
        '[[rules]]\nname = "r2"\n'
        'when = { all = [{ state = "channel.app_psh", op = "==", value = false }, '
        '{ state = "shock.outtage", op = "==", value = true }] }\n'
        'actions = [{ do = "set_bonus_bp", value = 80 }, { do = "pause_channel" }, '
        '{ do = "move_budget", from_channel = "app_push", to_channel = "branch" }]\n'
        '[[rules]]\nname = "r3"\n'
        'when = { state = "pace_ratio", op = "<", value = 0.8 }\n'
        'actions = [{ do = "extend_campaign", value = 2 }]\n',
        encoding="utf-8",
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown state 'pace_ratoi'; did you mean 'pace_ratio'?" in err
    assert "unknown action 'shift_bonus'; did you mean 'shift_bonus_bp'?" in err
    assert "unknown shock kind 'outtage'; did you mean 'outage'?" in err
    assert "pause_channel needs channel" in err
    assert "move_budget needs value" in err
    assert "Traceback" not in err
    # cross-field problems of valid fields come together
    good_fields = (
        bad.read_text().replace("pace_ratoi", "pace_ratio").replace('"shift_bonus"', '"shift_bonus_bp"')
    )
    good_fields = (
        good_fields.replace("shock.outtage", "shock.outage")
        .replace('{ do = "pause_channel" }', '{ do = "pause_channel", channel = "wechat" }')
        .replace('to_channel = "branch" }', 'to_channel = "branch", value = 0.1 }')
    )
    bad.write_text(good_fields, encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_scenario(bad)
    text = str(exc.value)
    assert "rules.1.when.all.0.state: unknown channel 'app_psh', did you mean 'app_push'?" in text
    assert "rules.1.actions.0.value: bonus 80.0 bp is above playbook.max_bonus_bp (50.0)" in text
    assert "pace_ratio needs playbook.target_daily_conversions" in text


def test_a_scenario_with_rules_round_trips_through_toml(tmp_path: Path) -> None:
    sc = load_scenario(SCENARIOS / "festival_pace_playbook.toml")
    path = tmp_path / "resolved.toml"
    path.write_text(dump_scenario(sc), encoding="utf-8")
    assert load_scenario(path) == sc


@pytest.mark.parametrize(
    "name", ["festival_pace_playbook", "deposit_rate_match_playbook", "flash_sale_outage_playbook"]
)
def test_shipped_playbooks_document_and_fire_their_rules(name: str) -> None:
    sc = load_scenario(SCENARIOS / f"{name}.toml", ["population.size=2500", "calendar.observation_days=2"])
    assert len(sc.rules) >= 2 and all(r.note for r in sc.rules)
    reps = run_replications(sc, 3, seed=11)
    assert set(reps.rules["rule"]) & {r.name for r in sc.rules}
    counts = reps.summary[[f"rule_fires.{r.name}" for r in sc.rules]].sum()
    assert counts.sum() == reps.rules.groupby(["replication", "rule", "day"]).ngroups


def test_experiment_factors_reach_rule_thresholds_and_action_sizes() -> None:
    from sim.experiments.edits import check_factors, scenario_at
    from sim.experiments.spec import ExperimentSpec, Factor

    base = resolve_bases(SCENARIOS / "deposit_rate_match_playbook.toml")
    factors = {
        "gap": Factor(role="lever", path="rules.0.when.all.1.value", low=-0.3, high=0.1),
        "step": Factor(role="lever", path="rules.0.actions.0.value", low=5, high=20),
        "sold": Factor(role="lever", path="rules.1.when.value", op="scale", low=0.8, high=1.05),
        "cap": Factor(role="lever", path="playbook.max_bonus_bp", low=60, high=90),
    }
    spec = ExperimentSpec(name="x", scenario="s.toml", design={"kind": "lhs", "n": 2}, factors=factors)
    assert check_factors(spec, base) == []
    sc = scenario_at(spec, base, {"gap": -0.2, "step": 15.0, "sold": 1.05, "cap": 80.0})
    assert sc.rules[0].when.all[1].value == -0.2
    assert sc.rules[0].actions[0].value == 15.0
    assert sc.rules[1].when.value == pytest.approx(0.945)
    assert sc.playbook.max_bonus_bp == 80
    wrong = {"bad": Factor(role="lever", path="rules.0.when.treshold", low=0, high=1)}
    problems = check_factors(spec.model_copy(update={"factors": wrong}), base)
    assert problems and "unknown scenario field" in problems[0]


def test_rules_see_todays_replayed_rival_rate_and_market_move() -> None:
    """A replayed rival rate and market move are part of the day's state the rules read:
    our rate 1.55 + 0.35 bonus = 1.9 against a rival at 3.0 from day 5 (gap 1.1); from
    day 10 the market falls 1 pp and, at full pass-through, so does our rate (gap 2.1)."""
    data = raw(DEPOSIT, size=500, observation=0)
    data["shocks"] = []  # the replayed rival is the only one
    data["offer"]["rate_pass_through"] = 1.0
    data["schedule"] = {
        "competitor_rate_pp": [0.5] * 5 + [3.0],  # a rival far behind us, then ahead
        "market_shift_pp": [0.0] * 10 + [-1.0],
    }
    rules = [
        {"name": "rival_ahead", "when": {"state": "rival_gap_pp", "op": ">", "value": 1.0}, "actions": NOOP},
        {"name": "far_ahead", "when": {"state": "rival_gap_pp", "op": ">", "value": 2.0}, "actions": NOOP},
    ]
    sc = scenario_from_dict(with_rules(data, rules))
    res = run_model(sc, seed=4, baseline=False)
    days = sc.calendar.days
    assert fired_days(res, "rival_ahead") == list(range(5, days))
    assert fired_days(res, "far_ahead") == list(range(10, days))
