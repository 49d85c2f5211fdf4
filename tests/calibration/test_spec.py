"""Calibration specs: shipped ones validate; mistakes are named before any simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.calibration.data import load_observed
from sim.calibration.simulate import Simulator
from sim.calibration.spec import load_calibration
from sim.loading import SpecError

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "calibration").glob("*.toml"))


def test_there_are_shipped_specs():
    names = {p.name for p in SHIPPED}
    assert {"bass_recovery.toml", "bank_telemarketing.toml"} <= names


@pytest.mark.parametrize(
    "path", [p for p in SHIPPED if p.name != "bank_telemarketing_scenario.toml"], ids=str
)
def test_shipped_spec_validates_with_its_data(path):
    cal = load_calibration(path)
    obs = load_observed(cal)
    sim = Simulator(cal, obs)
    assert (~obs["holdout"]).sum() >= 3 and obs["holdout"].sum() >= 3
    assert sim.columns == [o.column for o in cal.spec.observe]


@pytest.mark.parametrize(
    "path", [p for p in SHIPPED if p.name != "bank_telemarketing_scenario.toml"], ids=str
)
def test_shipped_spec_checks_and_runs(path, capsys):
    """`campaign-sim calibrate SPEC --check` accepts it, and one simulation at the middle
    of every prior (per-period specs: the first three periods) gives a count per period."""
    from sim.calibration.spec import _prior_ends
    from sim.cli import main

    assert main(["calibrate", str(path), "--check"]) == 0
    cal = load_calibration(path)
    obs = load_observed(cal)
    values = {p.name: float(np.mean(_prior_ends(p.prior))) for p in cal.spec.parameters}
    only = np.arange(len(obs)) < 3
    out = Simulator(cal, obs)._simulate(
        values, np.random.SeedSequence(1), only if cal.spec.per_period else None
    )
    got = out[:, :3]
    assert np.isfinite(got).all() and (got >= 0).all()


def test_unknown_field_is_named(make_spec, good_rows):
    spec = make_spec(good_rows)
    with pytest.raises(SpecError) as err:
        load_calibration(spec, ["parameters.0.field=diffusion.inovation"])
    (msg,) = err.value.problems
    assert msg.startswith("parameters[0].field: 'diffusion.inovation' is not a field of scenario")
    assert msg.endswith("bass_reference.toml")


def test_prior_needs_its_parameters(make_spec, good_rows):
    spec = make_spec(good_rows)
    with pytest.raises(SpecError, match="a normal prior needs mean and sd"):
        load_calibration(spec, ['parameters.0.prior={dist="normal", mean=0.01}'])


def test_prior_leaving_the_field_bounds_is_reported_at_either_end(make_spec, good_rows):
    spec = make_spec(good_rows)
    # the centre (1.0) is valid; the high end is not
    with pytest.raises(SpecError, match=r"diffusion.innovation = 1.5 \(prior's high end\) is rejected"):
        load_calibration(spec, ['parameters.0.prior={dist="uniform", low=0.5, high=1.5}'])
    with pytest.raises(SpecError, match=r"prior's low end\) is rejected"):
        load_calibration(spec, ['parameters.0.prior={dist="normal", mean=0.01, sd=0.01}'])


def test_model_days_must_cover_the_data(make_spec, good_rows):
    spec = make_spec(good_rows)
    cal = load_calibration(spec, ['set=["calendar.days=14", "calendar.observation_days=0"]'])
    with pytest.raises(SpecError, match="do not cover 2 observed period"):
        Simulator(cal, load_observed(cal))


def test_population_scaling_is_applied(make_spec, good_rows):
    cal = load_calibration(make_spec(good_rows))
    assert (cal.scenario.population.size, cal.scenario.population.represents) == (300, 3000)


def test_complement_keeps_two_shares_summing_to_one():
    cal = load_calibration(Path(__file__).resolve().parents[2] / "calibration" / "bank_telemarketing.toml")
    sim = Simulator(cal, load_observed(cal))
    values = {"warm_share": 0.04, "consideration": 0.5, "reach_cold": 0.1, "deposit_rate": 3.0}
    segments = sim.scenario_dict(values)["segments"]
    assert [s["share"] for s in segments] == [0.04, 0.96]


def test_per_period_inputs_are_written_into_each_run():
    """Hand check: budget.total = calls (1 per call), so a run makes about n calls."""
    cal = load_calibration(Path(__file__).resolve().parents[2] / "calibration" / "bank_telemarketing.toml")
    obs = load_observed(cal)
    sim = Simulator(cal, obs)
    values = {"warm_share": 0.04, "consideration": 0.5, "reach_cold": 0.1, "deposit_rate": 3.0}
    only = (obs["period"].astype(str) == "2009-06").to_numpy()  # 715 calls, Euribor 1.258
    data = sim.scenario_dict(values)
    assert data["budget"]["total"] == 7763  # the scenario's own value until a period writes its own
    out = sim.simulate(values, np.random.SeedSequence(3), only=only)
    assert np.isnan(out[0, ~only]).all()
    assert 0 < out[0, only][0] <= 715


TIED = """
[[parameters]]
name = "tied"
field = "segments.0.anchor_speed"
also = ["{also}"]
prior = {{ dist = "uniform", low = 0.1, high = 0.9 }}
"""


def test_also_puts_one_value_into_several_fields(make_spec, good_rows):
    import pandas as pd

    from sim.calibration.writeback import posterior_draws

    spec = make_spec(good_rows)
    spec.write_text(spec.read_text() + TIED.format(also="segments.0.anchor_weight"))
    cal = load_calibration(spec)
    values = {"p": 0.01, "q": 0.1, "tied": 0.37}
    segment = Simulator(cal, load_observed(cal)).scenario_dict(values)["segments"][0]
    assert (segment["anchor_speed"], segment["anchor_weight"]) == (0.37, 0.37)
    sample = pd.DataFrame({"p": [0.01, 0.02], "q": [0.1, 0.2], "tied": [0.25, 0.75], "weight": [0.5, 0.5]})
    draws = posterior_draws(cal, sample, n=20)
    assert (draws["segments.0.anchor_speed"] == draws["segments.0.anchor_weight"]).all()
    assert set(draws["segments.0.anchor_weight"]) == {0.25, 0.75}


def test_a_mistyped_also_field_is_named(make_spec, good_rows):
    spec = make_spec(good_rows)
    spec.write_text(spec.read_text() + TIED.format(also="segments.0.anchor_wieght"))
    with pytest.raises(SpecError) as err:
        load_calibration(spec)
    assert any(p.startswith("parameters[2].also[0]: 'segments.0.anchor_wieght'") for p in err.value.problems)
