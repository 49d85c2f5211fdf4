"""``campaign-sim app [SCENARIO]``: serve the what-if page on this machine and open it."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

from sim.loading import SpecError

ROOT = Path(__file__).resolve().parents[2]


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("app", help="serve the interactive what-if page (levers, outcome distributions)")
    a.add_argument("scenario", nargs="?", default="deposit_sprint", help="shipped name or a file")
    a.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    a.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: this machine only)")
    a.add_argument("--replications", "-n", type=int, default=20)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--jobs", "-j", type=int, default=2, help="worker processes kept warm")
    a.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    a.add_argument("--save-dir", default=".", help="the only folder 'Save as scenario' writes to")
    a.add_argument("--no-browser", action="store_true", help="print the URL only")
    a.set_defaults(func=cmd_app)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def server_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.app.page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def server_env(cfg: dict) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # a local tool: nothing leaves the machine
    env["CAMPAIGN_SIM_APP"] = json.dumps(cfg)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def cmd_app(args: argparse.Namespace) -> int:
    from sim.app.session import resolve_path
    from sim.loading import load_scenario

    if args.replications < 1 or args.jobs < 1:
        raise SpecError("arguments", ["--replications and --jobs must be at least 1"])
    path = resolve_path(args.scenario)
    load_scenario(path, args.sets)  # every problem reported before a server starts
    port = args.port or free_port(args.host)
    cfg = {
        "scenario": str(path.resolve()),
        "overrides": args.sets,
        "replications": args.replications,
        "seed": args.seed,
        "jobs": args.jobs,
        "save_dir": str(Path(args.save_dir).resolve()),
    }
    url = f"http://{args.host}:{port}/"
    proc = subprocess.Popen(server_command(args.host, port), env=server_env(cfg))
    try:
        print(f"campaign-sim app: {path.name} at {url}  (Ctrl-C stops it)", flush=True)
        if not wait_until_up(f"http://127.0.0.1:{port}/" if args.host in ("0.0.0.0", "::") else url, proc):
            print("the page server did not start; see the messages above", file=sys.stderr)
            return 1
        if not args.no_browser:
            webbrowser.open(url)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
