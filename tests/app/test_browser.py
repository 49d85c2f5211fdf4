"""End to end in a real browser: the page served by ``campaign-sim app``, driven by headless
Chromium (Debian's, through playwright). Small population and few replications: well under
a minute. The server always stops, also when a test fails."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sim.loading import load_scenario
from sim.report import format as fmt
from sim.report.stats import kpi_table
from sim.runner import run_replications

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("solara")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCENARIO = ROOT / "scenarios" / "deposit_sprint.toml"
SETS = ["population.size=1500"]
REPS, SEED = 4, 3
SHOWN = ("net_value", "conversions", "roi", "incremental_conversions")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``campaign-sim app`` on a free port in its own process group; stopped in ``finally``."""
    tmp = tmp_path_factory.mktemp("app")
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        "app",
        str(SCENARIO),
        "--port",
        str(port),
        "--no-browser",
        "--replications",
        str(REPS),
        "--seed",
        str(SEED),
        "--jobs",
        "1",
        "--save-dir",
        str(tmp),
    ]
    cmd += [a for s in SETS for a in ("--set", s)]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(
        cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start: {(tmp / 'server.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield {"url": url, "tmp": tmp}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            pg.set_default_timeout(60_000)
            pg.goto(server["url"])
            yield pg
        finally:
            browser.close()


def expected(sets: list[str]) -> dict[str, str]:
    """The headline as the Python API gives it for the same scenario, edits and seed."""
    sc = load_scenario(SCENARIO, SETS + sets)
    reps = run_replications(sc, REPS, seed=SEED)
    med = kpi_table(reps.summary).set_index("kpi")["median"]
    return {k: fmt.kpi(k, med[k], sc.currency) for k in SHOWN}


def shown(pg, edits: int) -> dict[str, str]:
    pg.wait_for_selector(f'#status[data-state="finished"][data-edits="{edits}"][data-done="{REPS}"]')
    return {k: pg.inner_text(f"#kpi-{k}") for k in SHOWN}


def test_page_matches_python_api_before_and_after_a_lever_move(page, server):
    assert shown(page, 0) == expected([])
    box = page.locator(".input-offer-bonus_bp input")
    box.fill("75")
    box.press("Enter")
    assert shown(page, 1) == expected(["offer.bonus_bp=75"])
    page.screenshot(path=str(server["tmp"] / "page.png"), full_page=True)
    assert (server["tmp"] / "page.png").stat().st_size > 10_000


def test_invalid_lever_is_explained_next_to_its_control(page):
    box = page.locator(".input-budget-total input")
    box.fill("100000")
    box.press("Enter")
    error = page.wait_for_selector(".problem-budget-total")
    assert "fixed_costs exceed the budget" in error.inner_text()
    box.fill("18000000")
    box.press("Enter")
    page.wait_for_selector(".problem-budget-total", state="detached")


def test_saved_scenario_validates_and_reproduces_the_page(page, server):
    target = server["tmp"] / "saved.toml"
    box = page.locator(".save-path input")
    box.fill(str(target))
    box.press("Enter")
    page.click(".save-button")
    page.wait_for_selector(".save-message")
    assert "validates" in page.inner_text(".save-message")
    numbers = {k: page.inner_text(f"#kpi-{k}") for k in SHOWN}
    sc = load_scenario(target)
    reps = run_replications(sc, REPS, seed=SEED)
    med = kpi_table(reps.summary).set_index("kpi")["median"]
    assert numbers == {k: fmt.kpi(k, med[k], sc.currency) for k in SHOWN}
