"""Periods of any length (calendar quarters and years, numbered periods of N model days)
and continuous or whole-number scale parameters (market size, simulated customers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibration.data import load_observed
from sim.calibration.simulate import Simulator
from sim.calibration.spec import load_calibration
from sim.loading import SpecError


def _sim(make_spec, rows, header="week,adopters", **kw):
    cal = load_calibration(make_spec(rows, header=header, **kw.pop("extra", {})), kw.pop("sets", []))
    return Simulator(cal, load_observed(cal))


def test_years_read_without_fake_dates_and_span_days_per_period(make_spec):
    rows = ["1995,10", "1996,30", "1997,50"]
    sim = _sim(
        make_spec,
        rows,
        sets=["data.frequency=year", "data.days_per_period=7"],
    )
    assert [str(p) for p in sim.observed["period"]] == ["1995", "1996", "1997"]
    # 28 model days, 7 a year: days 0-6 -> 1995, 7-13 -> 1996, 14-20 -> 1997, rest unobserved
    assert sim.day_period.tolist() == [0] * 7 + [1] * 7 + [2] * 7 + [-1] * 7
    assert sim.cal.spec.data.label == "year = 7 model days"


def test_numbered_periods_need_days_per_period_and_map_in_order(make_spec):
    with pytest.raises(SpecError, match=r"frequency .period.*needs days_per_period"):
        _sim(make_spec, ["1,5", "2,6"], sets=["data.frequency=period"])
    sim = _sim(
        make_spec,
        ["2,6", "1,5", "4,9"],
        sets=["data.frequency=period", "data.days_per_period=5", "data.gaps=allow"],
    )
    assert sim.observed["period"].tolist() == [1, 2, 4]
    assert sim.day_period.tolist()[:20] == [0] * 5 + [1] * 5 + [-1] * 5 + [2] * 5


def test_too_short_a_horizon_names_the_days_needed(make_spec):
    with pytest.raises(SpecError, match=r"calendar.days \+ observation_days >= 40"):
        _sim(
            make_spec,
            [f"{k},1" for k in range(1, 5)],
            sets=["data.frequency=period", "data.days_per_period=10"],
        )


def test_quarters_follow_the_calendar(make_spec):
    sim = _sim(
        make_spec, ["2024Q1,5", "2024-04-10,6"], sets=["data.frequency=quarter", 'set=["calendar.days=182"]']
    )
    counts = np.bincount(sim.day_period[sim.day_period >= 0])
    assert counts.tolist() == [91, 91]  # 2024-01-01..03-31 (leap year), 04-01..06-30


def test_market_size_is_a_continuous_parameter(make_spec, good_rows):
    spec = make_spec(good_rows)
    cal = load_calibration(
        spec,
        [
            "parameters.1.field=population.represents",
            'parameters.1.prior={dist="uniform", low=1000.5, high=9000.5}',
        ],
    )
    sim = Simulator(cal, load_observed(cal))
    small = sim.simulate({"p": 0.02, "q": 1234.56}, np.random.SeedSequence(1))
    large = sim.simulate({"p": 0.02, "q": 2469.12}, np.random.SeedSequence(1))
    assert large.sum() == pytest.approx(2 * small.sum())  # same run, twice the market
    assert "q" not in cal.integer


def test_integer_fields_get_integer_priors(make_spec, good_rows):
    cal = load_calibration(
        make_spec(good_rows),
        ["parameters.1.field=population.size", 'parameters.1.prior={dist="uniform", low=200, high=400}'],
    )
    assert cal.integer == {"q"}
    assert cal.edits({"q": 301.7}) == ["population.size=302"]
    sim = Simulator(cal, load_observed(cal))
    assert sim.scenario_dict({"p": 0.01, "q": 250.4})["population"]["size"] == 250


def test_plots_label_the_data_periods(make_spec, tmp_path):
    from sim.calibration.plots import predictive

    bands = pd.DataFrame(
        {
            "column": "adopters",
            "period": [pd.Period(str(y), freq="Y") for y in (1995, 1996, 1997)],
            "holdout": [False, False, True],
            "observed": [1.0, 2.0, 3.0],
            "low": 0.5,
            "median": 2.0,
            "high": 3.5,
        }
    )
    path = predictive(bands, 0.9, tmp_path / "p.png", "year")
    assert path.is_file()


def test_lag_days_books_each_model_day_to_the_period_of_an_earlier_day(make_spec, good_rows):
    """Weekly periods of 28 model days, day d's output = d. Without a lag week k sums days
    7k..7k+6; with lag_days = 1 it sums days 7k+1..7k+7 (a sale the model books the day
    after its contact counts where the log booked the contact), and day 0 counts nowhere."""
    daily = pd.DataFrame({"new_conversions": np.arange(28, dtype=float)})
    plain = Simulator(*_loaded(make_spec(good_rows), []))
    lagged = Simulator(*_loaded(make_spec(good_rows), ["observe.0.lag_days=1"]))
    (o,) = plain.cal.spec.observe
    np.testing.assert_allclose(plain._by_period(daily, o), [21, 70, 119, 168])
    (o,) = lagged.cal.spec.observe
    np.testing.assert_allclose(lagged._by_period(daily, o), [28, 77, 126, 147])  # day 28 is past the run


def test_lag_days_needs_one_run(make_spec, good_rows):
    spec = make_spec(good_rows, extra_top='[[inputs]]\ncolumn = "adopters"\nfield = "budget.total"\n')
    with pytest.raises(SpecError) as err:
        load_calibration(spec, ["observe.0.lag_days=1"])
    assert "lag_days needs one run" in str(err.value.problems)


def _loaded(spec, sets):
    cal = load_calibration(spec, sets)
    return cal, load_observed(cal)
