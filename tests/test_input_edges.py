"""Input edges as classes: every generated bad value of every schema field is refused with
a line naming the field (tests/input_edges.py walks the schemas), plus the rules that span
fields or files: --set into a single value, names that become folders, shocks that can
never act, memory, command-line misuse, experiment factors and calibration data."""

from __future__ import annotations

import collections
import importlib.util
import warnings
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from sim.cli import main
from sim.inputs import InputWarning, name_problem, slug
from sim.loading import SpecError, load_scenario
from sim.resources import check_memory, estimate_bytes

ROOT = Path(__file__).resolve().parents[1]
SPRINT = str(ROOT / "scenarios" / "deposit_sprint.toml")

_spec = importlib.util.spec_from_file_location("input_edges", Path(__file__).with_name("input_edges.py"))
edges = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(edges)


def test_every_generated_bad_value_is_refused_naming_its_field() -> None:
    tried, kinds, failures = 0, collections.Counter(), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        for label, schema, bad, path, kind, value in edges.cases():
            tried += 1
            kinds[kind] += 1
            if why := edges.check(schema, bad, path):
                failures.append(f"{label}: {path} = {value!r} ({kind}): {why}")
    assert not failures, "\n".join(failures[:20])
    # every schema and every kind of bad value is exercised
    assert tried > 1000 and {"non-finite", "boolean as number", "number as boolean", "past int64"} <= set(
        kinds
    )
    assert {"non-finite in a distribution", "quoted number", "past upper bound"} <= set(kinds)


@pytest.mark.parametrize(
    "override, expected",
    [
        ("population.size.x=5", "population.size is a single value"),
        ("segments.0.name.x=1", "segments.0.name is a single value"),
        ("segments.9.share=0.5", "no list item 9"),
        ("offer.guaranteed=1", "expected true or false"),
        ("budget.total=true", "expected a number"),
        ("budget.total=inf", "finite"),
        ("segments.0.balance={dist='normal', mean=nan, sd=1}", "finite"),
        ("shocks.0.duration=-3", "duration can be below 1 day"),
        ("shocks.0.start=-1", "start can be before day 0"),
    ],
)
def test_override_edges_exit_2_with_the_field(override: str, expected: str, capsys) -> None:
    assert main(["validate", SPRINT, "--set", override]) == 2
    assert expected in capsys.readouterr().err


def test_timed_shock_without_duration_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(f'base = "{SPRINT}"\n[[shocks]]\nkind = "competitor"\nstart = 3\n', encoding="utf-8")
    with pytest.raises(SpecError, match="a competitor shock needs a duration"):
        load_scenario(f)


def test_shock_after_the_horizon_warns(capsys) -> None:
    assert main(["validate", SPRINT, "--set", "shocks.0.start=500"]) == 0
    assert "warning: deposit_sprint: shocks.0.start" in capsys.readouterr().err


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_name_gives_a_safe_folder_or_is_refused(name: str) -> None:
    s = slug(name)
    assert s and s not in (".", "..") and "/" not in s and "\\" not in s and len(s) <= 80
    assert s == slug(s)
    if name_problem(name) is None:
        assert len(name) <= 80 and "/" not in name


@pytest.mark.parametrize("name", ["../../etc", "/abs/path", "a" * 300, "   ", "<>", "x\ny"])
def test_unusable_names_are_refused_at_load(name: str) -> None:
    with pytest.raises(SpecError, match="name:"):
        load_scenario(SPRINT, [f"name={name!r}"])


def test_markup_name_makes_a_folder_inside_results(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    from sim.results import new_run_dir

    path = new_run_dir("results", "<b>Q4 sprint</b> 2026")
    assert path.parent == Path("results") and path.name.startswith("b-q4-sprint-b-2026-")


def test_memory_is_estimated_and_refused_up_front(monkeypatch) -> None:
    import sim.resources as res

    sc = load_scenario(SPRINT, ["population.size=1000000"])
    assert 0.5e9 < estimate_bytes(sc) < 3e9
    monkeypatch.setattr(res, "available_bytes", lambda: 2**30)
    with pytest.raises(SpecError, match=r"need about [\d.]+ GiB of memory, but only 1.0 GiB is available"):
        check_memory(sc, jobs=2)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["run", SPRINT, "--seed", "-1"], "--seed must be 0 or more"),
        (["run", SPRINT, "-n", "0"], "--replications must be at least 1"),
        (["run", SPRINT, "--jobs", "0"], "--jobs must be at least 1"),
        (["calibrate", "x.toml", "--backend", "spark"], "unknown backend"),
        (["calibrate", "x.toml", "--backend", "dask"], "calibrate supports loky"),
        (["calibrate", "x.toml", "--budget", "0"], "--budget must be at least 1"),
        (["compare", SPRINT, SPRINT, "--seed", "-5"], "--seed must be 0 or more"),
        (["app", SPRINT, "--port", "-1", "--no-browser"], "--port must be 0 (any free port) to 65535"),
        (["app", SPRINT, "--port", "70000", "--no-browser"], "--port must be 0 (any free port) to 65535"),
        (
            ["sobol", str(ROOT / "experiments" / "budget_bonus_grid.toml")],
            "sobol needs design.kind = 'sobol'",
        ),
    ],
)
def test_command_line_misuse_exits_2_with_a_message(argv, expected, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_out_naming_a_file_is_refused(tmp_path: Path, capsys) -> None:
    f = tmp_path / "taken"
    f.write_text("x")
    for argv in (["run", SPRINT], ["sweep", str(ROOT / "experiments" / "budget_bonus_grid.toml")]):
        assert main([*argv, "--out", str(f)]) == 2
        assert "is a file, not a folder" in capsys.readouterr().err


EXPERIMENT = """
name = "edge"
scenario = "{scenario}"
[design]
kind = "grid"
{factors}
"""


@pytest.mark.parametrize(
    "factors, expected",
    [
        ('[factors.a]\nrole = "lever"\npath = "segments.9.share"\nlevels = [0.5]', "no item 9"),
        (
            '[factors.a]\nrole = "lever"\npath = "offer.product"\nop = "scale"\nlevels = [2]',
            "needs a numeric field",
        ),
        ('[factors.a]\nrole = "lever"\npath = "offer"\nlevels = [1]', "is a table or list"),
        ('[factors.a]\nrole = "lever"\npath = "budget.total"\nlevels = [1e6, "x"]', "levels mix kinds"),
        ('[factors.a]\nrole = "lever"\npath = "budget.total"\nlevels = [true, 2e6]', "levels mix kinds"),
        (
            '[factors.a]\nrole = "lever"\npath = "offer.bonus_bp"\nlevels = [10, 20]\n'
            '[factors.b]\nrole = "lever"\npath = "offer.bonus_bp"\nlevels = [30, 40]',
            "both edit offer.bonus_bp",
        ),
        ('[factors.a]\nrole = "lever"\npath = "referral.accept_probability"\nlevels = [0.5, 1.5]', "at 1.5"),
    ],
)
def test_experiment_problems_are_found_at_load(tmp_path: Path, factors: str, expected: str) -> None:
    from sim.experiments.spec import load_experiment

    f = tmp_path / "e.toml"
    f.write_text(EXPERIMENT.format(scenario=SPRINT, factors=factors), encoding="utf-8")
    with pytest.raises(SpecError, match=expected):
        load_experiment(f)


@pytest.fixture
def calib(tmp_path: Path):
    """Write a tiny Bass calibration over the given CSV text; returns its spec path."""
    text = (ROOT / "calibration" / "bass_recovery.toml").read_text(encoding="utf-8")
    text = text.replace('"../scenarios/', f'"{ROOT.as_posix()}/scenarios/')

    def make(csv: bytes, extra: str = "") -> Path:
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / "bass_synthetic.csv").write_bytes(csv)
        spec = tmp_path / "c.toml"
        spec.write_text(text.replace('frequency = "week"', f'frequency = "week"\n{extra}'), encoding="utf-8")
        return spec

    return make


def _observed(spec: Path):
    from sim.calibration.data import load_observed
    from sim.calibration.spec import load_calibration

    return load_observed(load_calibration(spec))


def test_calibration_data_with_a_byte_order_mark_reads(calib) -> None:
    obs = _observed(calib("\ufeffweek,adopters\n2024-01-01,5\n2024-01-08,7\n".encode()))
    assert obs["adopters"].tolist() == [5.0, 7.0]


@pytest.mark.parametrize("value", ["inf", "-inf", "1e300", "nan"])
def test_calibration_data_non_finite_or_absurd_is_refused(calib, value: str) -> None:
    with pytest.raises(SpecError, match="row 2"):
        _observed(calib(f"week,adopters\n2024-01-01,5\n2024-01-08,{value}\n".encode()))


def test_ambiguous_dates_need_a_date_format(calib) -> None:
    rows = b"week,adopters\n01/02/2024,5\n08/02/2024,7\n"
    with pytest.raises(SpecError, match=r"set data\.date_format"):
        _observed(calib(rows))
    obs = _observed(calib(rows, "date_format = '%d/%m/%Y'"))
    assert [str(p) for p in obs["period"]] == ["2024-01-29/2024-02-04", "2024-02-05/2024-02-11"]


def test_every_shipped_scenario_fits_in_memory_at_its_shipped_size() -> None:
    """A complete graph is never stored, so the Bass reference's 100,000 customers need
    megabytes, not the hundreds of GiB its n^2 links would."""
    root = Path(__file__).resolve().parents[1] / "scenarios"
    for path in sorted(root.glob("*.toml")):
        sc = load_scenario(path)
        assert estimate_bytes(sc, jobs=2) < 4 * 2**30, path.name
