"""Helpers for calibration tests: a tiny spec over the Bass reference scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASS_SCENARIO = ROOT / "scenarios" / "bass_reference.toml"
CALIBRATION = ROOT / "calibration"

SPEC = """
name = "tiny"
scenario = "{scenario}"
seed = 7
set = ["calendar.days=28", "calendar.observation_days=0"]
{extra_top}
[data]
path = "{data}"
date_column = "week"
frequency = "week"
{extra_data}
[population]
size = 300
represents = 3000

[[parameters]]
name = "p"
field = "diffusion.innovation"
prior = {{ dist = "uniform", low = 0.001, high = 0.05 }}

[[parameters]]
name = "q"
field = "diffusion.imitation"
prior = {{ dist = "uniform", low = 0.0, high = 0.4 }}

[[observe]]
column = "adopters"
output = "new_conversions"

[inference]
population_size = 20
generations = 2
budget = 400

[predictive]
draws = 10
"""


@pytest.fixture
def make_spec(tmp_path: Path):
    """Write a data CSV (``rows`` of text after the header) and a spec reading it."""

    def make(
        rows: list[str], header: str = "week,adopters", extra_top: str = "", extra_data: str = ""
    ) -> Path:
        data = tmp_path / "obs.csv"
        data.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        spec = tmp_path / "spec.toml"
        text = SPEC.format(
            scenario=BASS_SCENARIO.as_posix(), data=data.name, extra_top=extra_top, extra_data=extra_data
        )
        spec.write_text(text, encoding="utf-8")
        return spec

    return make


@pytest.fixture
def good_rows() -> list[str]:
    return ["2024-01-01,100", "2024-01-08,250", "2024-01-15,400", "2024-01-22,380"]
