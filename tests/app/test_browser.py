"""End to end in a real browser: the page served by ``campaign-sim app``, driven by headless
Chromium (Debian's, through playwright). Small population and few replications: well under
a minute. The server always stops, also when a test fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.app.views import p_better
from sim.loading import load_scenario
from sim.report import format as fmt
from sim.report.stats import kpi_table
from sim.runner import run_replications
from tests.app.browser import CHROMIUM, ROOT, chromium, serve, set_lever, wait_finished

pytest.importorskip("playwright.sync_api")
pytest.importorskip("solara")

SCENARIO = ROOT / "scenarios" / "deposit_sprint.toml"
SETS = ["population.size=1500"]
REPS, SEED = 4, 3
SHOWN = ("net_value", "conversions", "roi", "incremental_conversions")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    args = [
        str(SCENARIO),
        "--replications",
        str(REPS),
        "--seed",
        str(SEED),
        "--jobs",
        "1",
        "--save-dir",
        str(tmp),
    ]
    args += [a for s in SETS for a in ("--set", s)]
    with serve(args, tmp) as url:
        yield {"url": url, "tmp": tmp}


@pytest.fixture(scope="module")
def page(server):
    with chromium(server["url"]) as pg:
        yield pg


def api(sets: list[str]):
    return run_replications(load_scenario(SCENARIO, SETS + sets), REPS, seed=SEED).summary


def expected(sets: list[str]) -> dict[str, str]:
    """The headline as the Python API gives it for the same scenario, edits and seed."""
    med = kpi_table(api(sets)).set_index("kpi")["median"]
    return {k: fmt.kpi(k, med[k], "CNY") for k in SHOWN}


def shown(pg, edits: int) -> dict[str, str]:
    wait_finished(pg, edits, REPS)
    return {k: pg.inner_text(f"#kpi-{k}") for k in SHOWN}


def test_page_matches_python_api_before_and_after_a_lever_move(page, server):
    assert shown(page, 0) == expected([])
    page.click(".pin-button")  # plan A: the scenario as loaded
    set_lever(page, "offer.bonus_bp", 75)
    assert shown(page, 1) == expected(["offer.bonus_bp=75"])
    better, pairs = p_better(api(["offer.bonus_bp=75"]), api([]))
    assert pairs == REPS and page.inner_text("#p_better") == fmt.percent(better, 0)
    page.screenshot(path=str(server["tmp"] / "page.png"), full_page=True)
    assert (server["tmp"] / "page.png").stat().st_size > 10_000


def test_invalid_lever_is_explained_next_to_its_control(page):
    box = page.locator(".input-budget-total input")
    box.fill("100000")
    box.press("Enter")
    error = page.wait_for_selector(".problem-budget-total")
    assert "fixed_costs exceed the budget" in error.inner_text()
    box.fill(str(load_scenario(SCENARIO).budget.total))  # back to the scenario's budget
    box.press("Enter")
    page.wait_for_selector(".problem-budget-total", state="detached")
    wait_finished(page, 2, REPS)
    assert shown(page, 2) == expected(["offer.bonus_bp=75"])


def test_saved_scenario_validates_and_reproduces_the_page(page, server):
    target = server["tmp"] / "saved.toml"
    box = page.locator(".save-path input")
    box.fill(str(target))
    box.press("Enter")
    page.click(".save-button")
    page.wait_for_selector(".save-message")
    assert "validates" in page.inner_text(".save-message")
    numbers = shown(page, 2)
    sc = load_scenario(target)
    reps = run_replications(sc, REPS, seed=SEED)
    med = kpi_table(reps.summary).set_index("kpi")["median"]
    assert numbers == {k: fmt.kpi(k, med[k], sc.currency) for k in SHOWN}
