"""The run report in a real browser: headless Chromium (Debian's ``chromium``, driven by
playwright) opens a report written by ``campaign-sim run``, takes a screenshot at 1,400 px and
checks what a planner sees: the verdict and the glossary are there, nothing is wider than the
window, and no number is in scientific notation. Skipped, with the reason, only when the
browser cannot run here (``.ci/run`` installs it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.cli import main
from tests.app.browser import CHROMIUM, FLAGS
from tests.conftest import DEPOSIT

WIDTH = 1400


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "run"
    sets = ["population.size=1000", "population.agents=false", "calendar.observation_days=5"]
    assert main(["run", str(DEPOSIT), "-n", "3", "--out", str(out), *(f"--set={s}" for s in sets)]) == 0
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        except Exception as exc:  # any launch failure: the browser cannot run here
            pytest.skip(f"Chromium cannot start here: {exc}")
        yield b
        b.close()


def test_report_renders_verdict_and_glossary_without_scientific_notation(
    report: Path, browser, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.goto(report.as_uri())
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("Verdict: ")
    for question in ("Does it pay off?", "What it buys", "Main risk", "Limits"):
        assert question in verdict
    assert "Glossary" in page.inner_text("#glossary") and "Budget split" in page.inner_text("body")
    # the git revision is hex and may read like "9e8..."; it is not a number
    text = re.sub(r"revision [0-9a-f]{7,40}", "revision", page.inner_text("body"))
    assert not re.search(r"\d[eE][+-]?\d", text), re.search(r".{30}\d[eE][+-]?\d.{30}", text)
    assert "nan" not in re.findall(r"\b[a-z]+\b", text.lower())
    # readable at 1,400 px: nothing forces a horizontal scroll bar
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    # every figure loaded and is shown no wider than the page
    sizes = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.clientWidth])")
    assert sizes and all(natural > 0 and 0 < shown <= WIDTH for natural, shown in sizes)
    page.close()
