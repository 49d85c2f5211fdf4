"""Posterior draws carried into what-ifs (sim/uncertainty.py) and campaign replay
(sim/replay.py, sim/calibration/replay.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibration.data import load_observed
from sim.calibration.replay import daily_series
from sim.calibration.simulate import Simulator
from sim.calibration.spec import load_calibration
from sim.calibration.writeback import calibrated_scenario, posterior_draws
from sim.cli import main
from sim.loading import SpecError, apply_overrides, dump_scenario, load_scenario, scenario_from_dict
from sim.runner import run_model
from sim.uncertainty import describe, draw_index, held_fields, with_parameter_draw
from tests.calibration.conftest import BASS_SCENARIO

SAMPLE = pd.DataFrame({"p": [0.01, 0.03], "q": [0.1, 0.3], "weight": [0.5, 0.5]})


def calibrated(make_spec, good_rows):
    cal = load_calibration(make_spec(good_rows))
    table = pd.DataFrame({"parameter": ["p", "q"], "median": [0.02, 0.2]})
    return cal, calibrated_scenario(cal, table, posterior_draws(cal, SAMPLE, n=50))


def test_each_run_uses_one_posterior_draw_chosen_by_its_seed(make_spec, good_rows):
    _, sc = calibrated(make_spec, good_rows)
    assert sc.uncertainty.fields == ("diffusion.innovation", "diffusion.imitation")
    assert sc.diffusion.innovation == 0.02  # the medians stay the scenario's values
    seen = set()
    for k in range(12):
        ss = np.random.SeedSequence(k)
        drawn = with_parameter_draw(sc, ss)
        row = sc.uncertainty.draws[draw_index(len(sc.uncertainty.draws), ss)]
        assert (drawn.diffusion.innovation, drawn.diffusion.imitation) == row
        assert with_parameter_draw(sc, np.random.SeedSequence(k)) == drawn  # same seed, same draw
        seen.add(row)
    assert seen == {(0.01, 0.1), (0.03, 0.3)}
    assert "includes parameter uncertainty from calibration tiny" in describe(sc)


def test_medians_switch_turns_the_draws_off(make_spec, good_rows, tmp_path, capsys):
    _, sc = calibrated(make_spec, good_rows)
    medians = sc.model_copy(update={"uncertainty": sc.uncertainty.model_copy(update={"use": "medians"})})
    assert with_parameter_draw(medians, np.random.SeedSequence(1)) is medians
    assert "no parameter uncertainty" in describe(medians)
    a = run_model(sc, 3).summary["conversions"]
    assert a == run_model(sc, 3).summary["conversions"]
    assert main(["run", str(BASS_SCENARIO), "--medians", "-n", "1", "--out", str(tmp_path / "x")]) == 2
    assert "carries no posterior draws" in capsys.readouterr().err


def test_draw_rows_must_match_the_fields(make_spec, good_rows):
    _, sc = calibrated(make_spec, good_rows)
    data = sc.model_dump(mode="json", exclude_none=True)
    data["uncertainty"]["draws"] = [[0.1]]
    with pytest.raises(SpecError, match="one value per field"):
        scenario_from_dict(data, "x")


def test_daily_series_spreads_counts_and_holds_levels():
    day_period = np.array([0, 0, 1, 1, -1, -1, 2, 2])
    values = np.array([10.0, 4.0, 6.0])
    assert daily_series(values, day_period, count=True).tolist() == [5, 5, 2, 2, 0, 0, 3, 3]
    assert daily_series(values, day_period, count=False).tolist() == [10, 10, 4, 4, 4, 4, 6, 6]


def test_replay_makes_the_logged_contacts_in_one_run(tmp_path):
    scen = tmp_path / "s.toml"
    text = (BASS_SCENARIO.parent.parent / "calibration" / "bank_telemarketing_scenario.toml").read_text()
    scen.write_text(text)
    (tmp_path / "d.csv").write_text("ym,n,yes,eur\n1,300,5,4.0\n2,0,1,3.0\n3,150,4,1.0\n")
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'name = "r"\nscenario = "s.toml"\nset = ["calendar.days=30", "calendar.observation_days=0"]\n'
        '[data]\npath = "d.csv"\ndate_column = "ym"\nfrequency = "period"\ndays_per_period = 10\n'
        '[[replay]]\ncolumn = "n"\ntarget = "contacts.telemarketing"\n'
        '[[replay]]\ncolumn = "eur"\ntarget = "market_shift_pp"\noffset = -4.0\n'
        '[[parameters]]\nname = "c"\nfield = "channels.telemarketing.consideration"\n'
        'prior = { dist = "uniform", low = 0.1, high = 0.9 }\n'
        '[[observe]]\ncolumn = "yes"\noutput = "new_conversions"\n'
    )
    sim = Simulator(load_calibration(spec), load_observed(load_calibration(spec)))
    assert sim.replayed["contacts"]["telemarketing"][:11] == [30.0] * 10 + [0.0]
    assert sim.replayed["market_shift_pp"][25] == -3.0
    sc = scenario_from_dict(sim.scenario_dict({"c": 0.5}), "x")
    daily = run_model(sc, 1, baseline=False).daily
    contacts = daily.groupby(daily["day"] // 10)["contacts"].sum().to_numpy()
    scale = sc.population.scale
    assert contacts[1] == 0 and contacts[0] == pytest.approx(300, abs=2 * scale)
    assert contacts[2] == pytest.approx(150, abs=2 * scale)


def test_replay_needs_a_known_channel(tmp_path, make_spec, good_rows):
    spec = make_spec(good_rows)
    with pytest.raises(SpecError, match="'tv' is not a channel"):
        load_calibration(spec, ['replay=[{column="adopters", target="contacts.tv"}]'])


def test_calibrated_scenario_written_by_calibrate_carries_draws(make_spec, good_rows, tmp_path):
    from sim.calibration.workflow import calibrate, prepare

    out = calibrate(prepare(load_calibration(make_spec(good_rows))), tmp_path)
    sc = load_scenario(out.calibrated)
    assert len(sc.uncertainty.draws) == 200 and sc.uncertainty.calibration == "tiny"
    assert (tmp_path / "posterior_draws.csv").is_file()


def test_an_edited_calibrated_field_keeps_its_edit_and_the_rest_are_drawn(make_spec, good_rows):
    _, sc = calibrated(make_spec, good_rows)
    assert sc.uncertainty.medians == (0.02, 0.2)
    data = sc.model_dump(mode="json", exclude_none=True)
    edited = scenario_from_dict(apply_overrides(data, ["diffusion.imitation=0.5"]), "edited")
    assert held_fields(sc) == () and held_fields(edited) == ("diffusion.imitation",)
    for k in range(8):
        ss = np.random.SeedSequence(k)
        row = sc.uncertainty.draws[draw_index(len(sc.uncertainty.draws), ss)]
        drawn = with_parameter_draw(edited, ss)
        assert (drawn.diffusion.innovation, drawn.diffusion.imitation) == (row[0], 0.5)
    text = describe(edited)
    assert "(diffusion.innovation)" in text and "edited, so not drawn: diffusion.imitation" in text


def test_editing_every_calibrated_field_leaves_no_draw(make_spec, good_rows):
    _, sc = calibrated(make_spec, good_rows)
    data = sc.model_dump(mode="json", exclude_none=True)
    both = scenario_from_dict(
        apply_overrides(data, ["diffusion.innovation=0.05", "diffusion.imitation=0.5"]), "both"
    )
    drawn = with_parameter_draw(both, np.random.SeedSequence(3))
    assert (drawn.diffusion.innovation, drawn.diffusion.imitation) == (0.05, 0.5)
    assert "no parameter uncertainty" in describe(both)


def test_the_calibrated_values_survive_the_toml_round_trip(make_spec, good_rows, tmp_path):
    _, sc = calibrated(make_spec, good_rows)
    path = tmp_path / "c.toml"
    path.write_text(dump_scenario(sc))
    again = load_scenario(path)
    assert held_fields(again) == ()
    assert held_fields(load_scenario(path, ["diffusion.innovation=0.021"])) == ("diffusion.innovation",)


def test_medians_must_match_the_fields(make_spec, good_rows):
    _, sc = calibrated(make_spec, good_rows)
    data = sc.model_dump(mode="json", exclude_none=True)
    data["uncertainty"]["medians"] = [0.1]
    with pytest.raises(SpecError, match="medians has 1 values for 2 fields"):
        scenario_from_dict(data, "x")


def test_a_draw_outside_a_fields_range_is_refused_at_load(make_spec, good_rows, tmp_path, capsys):
    _, sc = calibrated(make_spec, good_rows)
    data = sc.model_dump(mode="json", exclude_none=True)
    draws = [list(r) for r in data["uncertainty"]["draws"]]
    draws[7][1] = -0.3  # imitation below 0, as a hand edit might leave it
    data["uncertainty"]["draws"] = draws
    with pytest.raises(SpecError, match=r"uncertainty.draws row 7 cannot run: diffusion.imitation"):
        scenario_from_dict(data, "x")
    # the same draw is harmless once the planner holds the field at an edited value
    held = apply_overrides(data, ["diffusion.imitation=0.4"])
    assert scenario_from_dict(held, "x").diffusion.imitation == 0.4
    # and the command line says so before running anything
    import tomli_w

    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(data))
    assert main(["run", str(path), "-n", "1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "uncertainty.draws row 7 cannot run" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
