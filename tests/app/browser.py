"""Serving the what-if page and driving it in headless Chromium (for tests and the README
screenshot: ``python tests/app/browser.py docs/app.png``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(args: list[str], folder: Path, timeout: float = 120) -> Iterator[str]:
    """``campaign-sim app ARGS`` on a free port in its own process group; yields the URL and
    always stops the server (and its workers) on exit, also on failure."""
    port = free_port()
    cmd = [sys.executable, "-m", "sim.cli", "app", *args, "--port", str(port), "--no-browser"]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    log_path = folder / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except OSError as exc:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"server did not start: {log_path.read_text()[-2000:]}") from exc
                    time.sleep(0.3)
            yield url
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)


@contextlib.contextmanager
def chromium(url: str, width: int = 1400, height: int = 1000):
    """A headless Chromium page opened at ``url`` (closed on exit)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(90_000)
            page.goto(url)
            yield page
        finally:
            browser.close()


def wait_finished(page, edits: int, replications: int) -> None:
    page.wait_for_selector(
        f'#status[data-state="finished"][data-edits="{edits}"][data-done="{replications}"]'
    )


def set_lever(page, key: str, value: float) -> None:
    box = page.locator(f".input-{key.replace('.', '-')} input")
    box.fill(str(value))
    box.press("Enter")


def screenshot(path: Path, size: int = 5000, replications: int = 12) -> Path:
    """The README's picture: plan A pinned, a bonus edit compared with it, population open."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        args = ["deposit_sprint", "--replications", str(replications), "--set", f"population.size={size}"]
        with serve(args, Path(tmp)) as url, chromium(url, 1500, 2300) as page:
            wait_finished(page, 0, replications)
            page.click(".pin-button")
            set_lever(page, "offer.bonus_bp", 60)
            wait_finished(page, 1, replications)
            page.click("text=Population: customers on the social graph")
            page.click(".population-button")
            page.wait_for_selector(".population-image", timeout=120_000)
            page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
            page.screenshot(path=str(path))
    return path


if __name__ == "__main__":
    print(screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/app.png")))
