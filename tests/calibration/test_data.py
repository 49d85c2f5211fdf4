"""Observed data: every kind of bad file fails with a message naming file, column, row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.calibration.data import load_observed
from sim.calibration.spec import load_calibration
from sim.loading import SpecError


def problems(spec: Path) -> list[str]:
    with pytest.raises(SpecError) as err:
        load_observed(load_calibration(spec))
    assert err.value.source.endswith("obs.csv")
    return err.value.problems


def test_good_file_gives_one_row_per_period_in_order(make_spec, good_rows):
    spec = make_spec([good_rows[2], good_rows[0], good_rows[1], good_rows[3]])
    obs = load_observed(load_calibration(spec))
    assert list(obs.columns) == ["period", "row", "holdout", "adopters"]
    assert [str(p) for p in obs["period"]] == [
        "2024-01-01/2024-01-07",
        "2024-01-08/2024-01-14",
        "2024-01-15/2024-01-21",
        "2024-01-22/2024-01-28",
    ]
    assert obs["row"].tolist() == [2, 3, 1, 4]  # rows as written in the file
    assert obs["adopters"].tolist() == [100.0, 250.0, 400.0, 380.0]
    assert not obs["holdout"].any()


def test_missing_column(make_spec):
    spec = make_spec(["2024-01-01,100"], header="week,signups")
    assert problems(spec) == ["column 'adopters' is missing (columns present: week, signups)"]


def test_unparsable_date(make_spec):
    spec = make_spec(["2024-01-01,100", "2024-13-45,5", "2024-01-15,7"])
    assert problems(spec) == ["column 'week', row 2: cannot read '2024-13-45' as a date"]


def test_negative_count(make_spec):
    spec = make_spec(["2024-01-01,100", "2024-01-08,-3"])
    assert problems(spec) == ["column 'adopters', row 2: negative count -3"]


def test_not_a_number_and_empty(make_spec):
    spec = make_spec(["2024-01-01,lots", "2024-01-08,"])
    assert problems(spec) == [
        "column 'adopters', row 1: 'lots' is not a number",
        "column 'adopters', row 2: empty value",
    ]


def test_duplicate_period(make_spec):
    # 2024-01-10 falls in the same week as 2024-01-08
    spec = make_spec(["2024-01-01,1", "2024-01-08,2", "2024-01-10,3"])
    assert problems(spec) == [
        "column 'week', row 3: duplicate period 2024-01-08/2024-01-14 (also on row 2)",
    ]


def test_gap(make_spec):
    spec = make_spec(["2024-01-01,1", "2024-01-22,2"])
    (msg,) = problems(spec)
    assert msg.startswith("column 'week', row 2: gap of 2 period(s) before 2024-01-22/2024-01-28")
    assert "missing 2024-01-08/2024-01-14, 2024-01-15/2024-01-21" in msg
    assert "previous period 2024-01-01/2024-01-07 on row 1" in msg


def test_gaps_allowed_when_the_spec_says_so(make_spec):
    spec = make_spec(["2024-01-01,1", "2024-01-22,2"], extra_data='gaps = "allow"')
    obs = load_observed(load_calibration(spec))
    assert len(obs) == 2


def test_all_problems_reported_at_once(make_spec):
    spec = make_spec(["someday,1", "2024-01-08,-1", "2024-01-15,x"])
    assert len(problems(spec)) == 3


def test_missing_file_and_unsupported_type(make_spec, tmp_path, good_rows):
    spec = make_spec(good_rows)
    (tmp_path / "obs.csv").unlink()
    assert problems(spec) == ["data file not found"]
    text = spec.read_text().replace('path = "obs.csv"', 'path = "obs.xlsx"')
    spec.write_text(text)
    (tmp_path / "obs.xlsx").write_text("x")
    with pytest.raises(SpecError, match=r"unsupported data file type '\.xlsx'"):
        load_observed(load_calibration(spec))


def test_parquet_is_read_like_csv(make_spec, tmp_path, good_rows):
    spec = make_spec(good_rows)
    df = pd.read_csv(tmp_path / "obs.csv")
    df.to_parquet(tmp_path / "obs.parquet")
    spec.write_text(spec.read_text().replace('path = "obs.csv"', 'path = "obs.parquet"'))
    obs = load_observed(load_calibration(spec))
    assert obs["adopters"].tolist() == [100.0, 250.0, 400.0, 380.0]


def test_holdout_marks_later_periods(make_spec, good_rows):
    spec = make_spec(good_rows)
    spec.write_text(spec.read_text() + '\n[holdout]\nstart = "2024-01-15"\n')
    obs = load_observed(load_calibration(spec))
    assert obs["holdout"].tolist() == [False, False, True, True]


def test_bad_data_exits_with_code_2(make_spec, capsys):
    cli = pytest.importorskip("sim.cli")
    spec = make_spec(["2024-01-01,100", "2024-01-08,-3"])
    assert cli.main(["calibrate", str(spec)]) == 2
    assert "obs.csv: column 'adopters', row 2: negative count -3" in capsys.readouterr().err
