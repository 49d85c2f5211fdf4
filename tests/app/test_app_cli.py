"""``campaign-sim app``: arguments, defaults and errors before any server starts."""

from __future__ import annotations

import json

from sim.app import cli as app_cli
from sim.cli import build_parser, main


def test_defaults_bind_to_this_machine_only():
    args = build_parser().parse_args(["app"])
    assert args.host == "127.0.0.1" and args.port == 8765 and args.scenario == "deposit_sprint"


def test_invalid_scenario_exits_2_with_every_problem_and_no_server(tmp_path, capsys, monkeypatch):
    started = []
    monkeypatch.setattr(app_cli.subprocess, "Popen", lambda *a, **k: started.append(a))
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "nowhere.toml"\nname = "x"\n')
    assert main(["app", str(bad)]) == 2
    assert "base: file not found" in capsys.readouterr().err and not started
    assert main(["app", "deposit_sprint", "--set", "offer.bonus_bp=-1"]) == 2
    assert "offer.bonus_bp" in capsys.readouterr().err and not started


def test_server_gets_the_settings_and_the_url_is_printed(monkeypatch, capsys, tmp_path):
    seen = {}

    class Proc:
        pid = 0

        def __init__(self, cmd, env):
            seen["cmd"], seen["cfg"] = cmd, json.loads(env["CAMPAIGN_SIM_APP"])

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(app_cli.subprocess, "Popen", Proc)
    monkeypatch.setattr(app_cli, "wait_until_up", lambda url, proc: True)
    code = main(
        [
            "app",
            "wealth_season",
            "--port",
            "9911",
            "--no-browser",
            "-n",
            "7",
            "--seed",
            "3",
            "--save-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "http://127.0.0.1:9911/" in capsys.readouterr().out
    assert seen["cmd"][seen["cmd"].index("--host") + 1] == "127.0.0.1"
    cfg = seen["cfg"]
    assert cfg["scenario"].endswith("wealth_season.toml") and cfg["replications"] == 7 and cfg["seed"] == 3
