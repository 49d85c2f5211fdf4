"""Tests for sim.validation.patterns: the shipped patterns file loads; bad files fail
with every problem named (file, pattern, field) before anything runs; edits apply."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sim.cli import main
from sim.loading import SpecError, resolve_bases
from sim.validation.patterns import apply_changes, load_patterns
from tests.conftest import DEPOSIT, ROOT

PATTERNS = ROOT / "validation" / "patterns.toml"

GOOD = """
[[patterns]]
name = "p"
kind = "mechanism"
claim = "c"
source = "s"
scenario = "{scenario}"
change = ["offer.bonus_bp=0"]
kpi = "conversions"
measure = "relative_change"
band = [-inf, 0.0]
reasoning = "r"
"""


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "patterns.toml"
    f.write_text(text.replace("{scenario}", str(DEPOSIT)), encoding="utf-8")
    return f


def _is_variant(path: Path) -> bool:
    """A scenario based on another shipped scenario (not on a fragment in scenarios/base/)."""
    base = tomllib.loads(path.read_text(encoding="utf-8")).get("base", "")
    return bool(base) and (path.parent / base).resolve().parent == path.parent.resolve()


def test_shipped_patterns_load_and_cover_the_issue() -> None:
    pf = load_patterns(PATTERNS)
    names = {p.name for p in pf.patterns}
    scenarios = {Path(p.scenario).stem for p in pf.patterns if p.measure == "logit_d"}
    # every archetype; playbooks (a shipped scenario plus rules, based on it) are covered by theirs
    shipped = {f.stem for f in (ROOT / "scenarios").glob("*.toml") if not _is_variant(f)}
    assert scenarios == shipped - {"bass_reference"}
    for needed in ("loss_aversion_gain_frame", "loss_aversion_loss_frame", "market_drop_by_risk_level",
                   "budget_diminishing_returns", "bonus_diminishing_returns", "network_diffusion_speed",
                   "bass_special_case"):  # fmt: skip
        assert needed in names
    assert any(p.fast for p in pf.patterns)
    assert all(p.reasoning and p.source for p in pf.patterns)


def test_a_good_file_loads(tmp_path: Path) -> None:
    pf = load_patterns(write(tmp_path, GOOD))
    assert pf.patterns[0].arm_changes()["treatment"].change == ("offer.bonus_bp=0",)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ('kpi = "conversions"', "kpi: unknown KPI 'conversion'"),
        (
            'measure = "relative_change"',
            "measure 'contrast' needs arms control, treatment, control_b, treatment_b",
        ),
        ('change = ["offer.bonus_bp=0"]', "change #0: offer.bonus: unknown scenario field"),
        ('change = ["offer.bonus_bp=0"]', "offer.bonus_bp: Input should be less than or equal to 2000"),
        ("band = [-inf, 0.0]", "band: low (1.0) is above high (0.0)"),
        ('change = ["offer.bonus_bp=0"]', "expected path=value, path*=factor or path+=delta"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, edit: str, message: str) -> None:
    bad = {
        "kpi: unknown KPI 'conversion'": 'kpi = "conversion"',
        "measure 'contrast' needs": 'measure = "contrast"',
        "change #0: offer.bonus": 'change = ["offer.bonus=0"]',
        "offer.bonus_bp: Input": 'change = ["offer.bonus_bp=9999"]',
        "band: low": "band = [1.0, 0.0]",
        "expected path=value": 'change = ["offer.bonus_bp"]',
    }
    new = next(v for k, v in bad.items() if message.startswith(k))
    f = write(tmp_path, GOOD.replace(edit, new))
    with pytest.raises(SpecError) as err:
        load_patterns(f)
    assert message in str(err.value)
    assert str(f) in str(err.value)


def test_cli_exits_2_on_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, GOOD.replace('kpi = "conversions"', 'kpi = "nope"'))
    assert main(["check-model", str(f), "--out", str(tmp_path / "out")]) == 2
    assert "unknown KPI 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_edits_set_scale_and_shift_with_wildcards() -> None:
    base = resolve_bases(DEPOSIT)
    out = apply_changes(base, ("segments.*.fomo=0", "budget.total*=2", "offer.bonus_bp+=10"), "t")
    assert all(s["fomo"] == 0 for s in out["segments"])
    assert out["budget"]["total"] == 2 * base["budget"]["total"]
    assert out["offer"]["bonus_bp"] == base["offer"]["bonus_bp"] + 10
    assert base["budget"]["total"] != out["budget"]["total"]  # the base is untouched
