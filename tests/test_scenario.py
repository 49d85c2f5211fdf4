"""Tests for scenario loading and validation (sim.loading, sim.scenario).

The corpus ``tests/invalid_scenarios/*.toml`` holds one broken scenario per file; each
file's ``# expect: ...`` lines are substrings that must all appear in the error, each on
a line that starts with the file name, so every problem is reported at once with the file,
the field path and a message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.loading import SpecError, apply_overrides, load_scenario, resolve_bases
from tests.conftest import DEPOSIT, SCENARIOS

CORPUS = Path(__file__).parent / "invalid_scenarios"
CASES = sorted(CORPUS.glob("*.toml"))


def expectations(path: Path) -> list[str]:
    return re.findall(r"^# expect: (.+)$", path.read_text(encoding="utf-8"), flags=re.M)


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 15
    for path in CASES:
        assert expectations(path), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_invalid_scenario_reports_every_expected_problem(path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_scenario(path)
    err = info.value
    lines = str(err).splitlines()
    assert lines and len(lines) == len(err.problems)
    for line in lines:
        assert line.startswith(f"{err.source}: "), line
    for expected in expectations(path):
        hits = [line for line in lines if expected in line]
        assert hits, f"{expected!r} not in:\n{err}"
        # the problem is reported against a file of the corpus
        assert all(Path(line.split(": ", 1)[0]).parent.resolve().is_relative_to(CORPUS) for line in hits)


def test_all_field_errors_in_a_file_are_reported_together() -> None:
    with pytest.raises(SpecError) as info:
        load_scenario(CORPUS / "many_errors.toml")
    err = info.value
    assert len(err.problems) == len(expectations(CORPUS / "many_errors.toml")) == 6
    assert err.source == str(CORPUS / "many_errors.toml")


# ---------------------------------------------------------------- inheritance
def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_base_inheritance_merges_tables_and_replaces_arrays(tmp_path: Path) -> None:
    base = SCENARIOS / "base" / "retail_bank.toml"
    child = write(
        tmp_path / "child.toml",
        f"""base = "{base.as_posix()}"
name = "child"
[offer]
product = "term_deposit"
bonus_bp = 25
[budget]
total = 1_000_000
[calendar]
days = 10
phases = [{{ name = "all", start = 0, end = 9 }}]
[channels.branch]
cost_per_contact = 15.0
""",
    )
    sc = load_scenario(child)
    parent = resolve_bases(base)
    assert sc.name == "child" and sc.offer.bonus_bp == 25
    # a table key overrides one field; its siblings come from the base
    assert sc.channels["branch"].cost_per_contact == 15.0
    assert sc.channels["branch"].daily_capacity == parent["channels"]["branch"]["daily_capacity"]
    assert set(sc.channels) == set(parent["channels"])
    # arrays replace: the base's four phases are gone
    assert [p.name for p in sc.calendar.phases] == ["all"]
    assert [s.name for s in sc.segments] == [s["name"] for s in parent["segments"]]
    assert sc.population.represents == parent["population"]["represents"]


def test_two_level_inheritance_applies_nearest_value(tmp_path: Path) -> None:
    write(tmp_path / "grand.toml", 'name = "g"\n[population]\nsize = 100\nagents = false\n')
    write(tmp_path / "parent.toml", 'base = "grand.toml"\n[population]\nsize = 200\n')
    child = write(tmp_path / "child.toml", 'base = "parent.toml"\nname = "c"\n')
    data = resolve_bases(child)
    assert data["name"] == "c" and data["population"] == {"size": 200, "agents": False}


def test_base_must_be_a_file_name(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", 'base = 3\nname = "x"\n')
    with pytest.raises(SpecError, match="base: expected a file name"):
        resolve_bases(bad)


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_scenario(tmp_path / "nope.toml")
    assert str(info.value) == f"{tmp_path / 'nope.toml'}: file not found"


# ---------------------------------------------------------------- --set overrides
def test_set_overrides_apply_with_types() -> None:
    sc = load_scenario(
        DEPOSIT,
        ["population.size=500", "offer.bonus_bp=55.5", "offer.frame=loss", "segments.0.churn_hazard=0.01"],
    )
    assert sc.population.size == 500
    assert sc.offer.bonus_bp == 55.5
    assert sc.offer.frame == "loss"  # a bare word is a string
    assert sc.segments[0].churn_hazard == 0.01


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("offer.bonus_bp=-5", "offer.bonus_bp: Input should be greater than or equal to 0; given -5"),
        ("offer.bonus_bps=5", "offer.bonus_bps: unknown key; did you mean 'bonus_bp'?"),
        ("segments.0.share=0.9", "segments: shares must sum to 1"),
        ("population.size=big", "population.size: Input should be a valid integer"),
        ("segments.9.share=1", "segments.9.share: no list item 9"),
        ("offer.bonus_bp", "expected KEY=VALUE"),
        ("shocks.0.channel=tv", "shocks.0.channel: unknown channel 'tv'"),
    ],
)
def test_set_overrides_are_validated(override: str, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        load_scenario(DEPOSIT, [override])
    assert expected in str(info.value)


def test_apply_overrides_does_not_touch_its_input() -> None:
    data = {"a": {"b": 1}, "xs": [{"c": 1}]}
    out = apply_overrides(data, ["a.b=2", "xs.0.c=[1, 2]", "new.key=true"])
    assert data == {"a": {"b": 1}, "xs": [{"c": 1}]}
    assert out == {"a": {"b": 2}, "xs": [{"c": [1, 2]}], "new": {"key": True}}


def test_cross_field_rules_are_reported_with_field_errors(tmp_path: Path) -> None:
    """A field error must not hide a cross-field one: both come in the same report."""
    sprint = Path(__file__).resolve().parents[1] / "scenarios" / "deposit_sprint.toml"
    bad = write(
        tmp_path / "both.toml",
        f'base = "{sprint}"\n[population]\nsize = 3\n[channels.branch]\nbudget_share = 0.9\n'
        "reach = { vips = 0.4 }\n",
    )
    with pytest.raises(SpecError) as info:
        load_scenario(bad)
    problems = info.value.problems
    assert any(p.startswith("population.size: Input should be greater than or equal to 10") for p in problems)
    assert "channels: budget_share must sum to 1, they sum to 1.57" in problems  # branch 0.33 -> 0.9
    assert "channels.branch.reach: unknown segment 'vips'" in problems
    assert len(problems) == 3
