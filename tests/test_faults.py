"""Fault injection on the real command line: SIGINT and kill -9 at random moments of
``run``, ``sweep`` and ``sobol`` (subprocesses, two workers), then resume and compare
with an unbroken run; workers must not outlive a killed driver; corrupted, foreign and
non-database stores, a second writer and a full disk give one clear line."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from tests import faults

ROOT = Path(__file__).resolve().parents[1]
SPRINT = str(ROOT / "scenarios" / "deposit_sprint.toml")
RUN = ["--set", "population.size=800", "--set", "calendar.observation_days=5", "-n", "8", "--seed", "5"]
TINY = (
    '["population.size=300", "population.agents=false", "calendar.phases=[]", '
    '"calendar.days=10", "calendar.observation_days=5"]'
)
EXPERIMENT = f"""
name = "faulty"
scenario = "{SPRINT}"
overrides = {TINY}
seed = 4
replications = 3
kpis = ["net_value", "conversions"]
[design]
{{design}}
[factors.budget]
role = "lever"
path = "budget.total"
low = 6_000_000
high = 12_000_000
steps = 4
[factors.bonus]
role = "lever"
path = "offer.bonus_bp"
low = 10
high = 60
steps = 4
"""
DESIGNS = {"sweep": 'kind = "grid"', "sobol": 'kind = "sobol"\nn = 8'}


def _clean(folder: Path) -> None:
    """A finished folder: no marker, no temporary, lock or checkpoint files left."""
    assert faults.leftovers(folder) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "kill9"])
def test_run_interrupted_keeps_finished_replications_and_resumes_to_the_same_result(tmp_path, sig) -> None:
    assert main(["run", SPRINT, *RUN, "--out", str(tmp_path / "whole")]) == 0
    broken = tmp_path / "broken"
    store = broken / "replications.sqlite"
    argv = ["run", SPRINT, *RUN, "--jobs", "2", "--out", str(broken)]
    got = faults.interrupt(argv, tmp_path, lambda: faults.rows(store, "reps") >= 1, sig, f"run {sig.name}")
    if got.hit:
        kept = faults.rows(store, "reps")
        assert (broken / "INCOMPLETE").exists() and kept >= 1
        if sig == signal.SIGINT and got.returncode == 130 and "replications are kept" in got.err:
            assert f"{kept} of 8 replications are kept" in got.err
        assert main(["run", SPRINT, *RUN, "--resume", str(broken)]) == 0
    faults.same_tables(tmp_path / "whole", broken, ("summary", "daily", "channels", "limits"))
    _clean(broken)
    assert not store.exists()


def _experiment(tmp_path: Path, command: str, **fmt: str) -> Path:
    f = tmp_path / f"{command}.toml"
    f.write_text(EXPERIMENT.format(design=DESIGNS[command]), encoding="utf-8")
    return f


@pytest.mark.parametrize(
    "command, sig, backend",
    [
        ("sweep", signal.SIGKILL, "loky"),
        ("sobol", signal.SIGINT, "loky"),
        ("sweep", signal.SIGKILL, "dask"),
        ("sweep", signal.SIGINT, "dask"),
    ],
    ids=["sweep-kill9", "sobol-sigint", "sweep-dask-kill9", "sweep-dask-sigint"],
)
def test_study_interrupted_resumes_to_the_same_tables(tmp_path, command: str, sig, backend: str) -> None:
    """Interrupted at a random moment (on a local dask cluster too: its workers must not
    outlive a killed driver nor print tracebacks on Ctrl-C), the study resumes (on loky)
    to the tables of an unbroken one."""
    exp = _experiment(tmp_path, command)
    assert main([command, str(exp), "--out", str(tmp_path / "whole")]) == 0
    broken = tmp_path / "broken"
    argv = [command, str(exp), "--jobs", "2", "--backend", backend, "--out", str(broken)]
    ready = lambda: faults.rows(broken / "store.sqlite", "runs") >= 1  # noqa: E731
    if faults.interrupt(argv, tmp_path, ready, sig, f"{command} {backend} {sig.name}", 1.0).hit:
        assert (broken / "INCOMPLETE").exists()
    assert main([command, str(exp), "--out", str(broken)]) == 0
    faults.same_tables(tmp_path / "whole", broken, ("runs", "daily", "design"), drop=("seconds",))
    _clean(broken)


def test_corrupted_record_is_reported_and_repaired(tmp_path, capsys) -> None:
    import sqlite3

    exp = _experiment(tmp_path, "sweep")
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out)]) == 0
    whole = pd.read_parquet(out / "runs.parquet").drop(columns="seconds")
    con = sqlite3.connect(out / "store.sqlite")
    with con:
        con.execute(
            "UPDATE runs SET kpis = replace(kpis, '\"conversions\": ', '\"conversions\": 9') WHERE rowid = 3"
        )
    con.close()
    capsys.readouterr()
    assert main(["sweep", str(exp), "--out", str(out)]) == 2
    assert "fail their checksum" in capsys.readouterr().err
    assert main(["sweep", str(exp), "--out", str(out), "--repair"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet").drop(columns="seconds"), whole)


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_non_database_store_gives_a_clear_error(tmp_path, capsys, content: bytes) -> None:
    exp = _experiment(tmp_path, "sweep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "store.sqlite").write_bytes(content)
    assert main(["sweep", str(exp), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "store" in err and "Traceback" not in err


def test_store_of_another_spec_is_refused(tmp_path, capsys) -> None:
    exp = _experiment(tmp_path, "sweep")
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out)]) == 0
    assert main(["sweep", str(exp), "--out", str(out), "--set", "factors.bonus.high=80"]) == 2
    assert "different experiment" in capsys.readouterr().err


def test_second_writer_is_refused(tmp_path, capsys) -> None:
    from sim.stores import FolderLock

    exp = _experiment(tmp_path, "sweep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "store.sqlite").touch()
    with FolderLock(out / "store.sqlite"):
        assert main(["sweep", str(exp), "--out", str(out)]) == 2
    assert "another campaign-sim process" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command, module, last, store",
    [
        ("sweep", "sim.experiments.outputs", "write_sweep", "store.sqlite"),
        ("sobol", "sim.experiments.outputs", "write_sobol_tables", "store.sqlite"),
        ("run", "sim.report", "write_report", "replications.sqlite"),
    ],
    ids=["sweep", "sobol", "run"],
)
def test_lock_is_held_until_the_last_output_is_written(
    tmp_path, monkeypatch, command: str, module: str, last: str, store: str
) -> None:
    """While a command writes its report (a Sobol run its tables) another writer of the
    folder is refused and the folder is still marked incomplete; then it is complete."""
    import importlib

    from sim.loading import SpecError
    from sim.stores import FolderLock

    out = tmp_path / "out"
    argv = [command, SPRINT, *RUN] if command == "run" else [command, str(_experiment(tmp_path, command))]
    mod = importlib.import_module(module)
    real, seen = getattr(mod, last), []

    def second_writer_meanwhile(*args, **kwargs):
        with pytest.raises(SpecError, match="another campaign-sim process"), FolderLock(out / store):
            pass
        seen.append((out / "INCOMPLETE").exists())
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, last, second_writer_meanwhile)
    assert main([*argv, "--out", str(out)]) == 0
    assert seen == [True]
    _clean(out)


def test_run_store_of_another_scenario_is_refused(tmp_path, capsys) -> None:
    from sim.checkpoint import ReplicationStore

    folder = tmp_path / "r"
    folder.mkdir()
    with ReplicationStore(folder, "someone-else"):
        pass
    assert main(["run", SPRINT, *RUN, "--resume", str(folder)]) == 2
    assert "different scenario or seed" in capsys.readouterr().err


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)], check=True, capture_output=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here ({exc})")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_full_disk_gives_one_line_and_keeps_what_was_written(small_disk, capsys) -> None:
    out = small_disk / "run"
    code = main(["run", SPRINT, *RUN, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"no space left on the device while writing {out}" in err
    assert (out / "INCOMPLETE").exists()
    for f in out.glob("*.parquet"):  # whatever was published is whole
        pd.read_parquet(f)
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize("finished", [0, 1])
def test_ctrl_c_says_what_was_kept_only_when_true(tmp_path, monkeypatch, capsys, finished: int) -> None:
    import sim.cli as cli

    real = cli.run_replications

    def stop_after(scenario, n, **kw):
        def on_result(r, res):
            kw["on_result"](r, res)
            raise KeyboardInterrupt

        if not finished:
            raise KeyboardInterrupt
        return real(scenario, n, **{**kw, "on_result": on_result})

    monkeypatch.setattr(cli, "run_replications", stop_after)
    out = tmp_path / "r"
    assert main(["run", SPRINT, *RUN, "--out", str(out)]) == 130
    err = capsys.readouterr().err
    if finished:
        assert "1 of 8 replications are kept" in err and (out / "INCOMPLETE").exists()
    else:
        assert "nothing was kept" in err and "kept in" not in err and not out.exists()


def test_spec_error_survives_pickling_and_a_worker_process(tmp_path) -> None:
    import pickle

    from joblib import Parallel, delayed

    from sim.loading import SpecError, read_toml

    err = pickle.loads(pickle.dumps(SpecError("a.toml", ["x: bad", "y: worse"])))
    assert isinstance(err, SpecError) and err.source == "a.toml" and err.problems == ["x: bad", "y: worse"]
    assert str(err) == "a.toml: x: bad\na.toml: y: worse"
    missing = [str(tmp_path / f"missing{k}.toml") for k in range(2)]
    with pytest.raises(SpecError) as caught:  # raised in a loky worker, not BrokenProcessPool
        Parallel(n_jobs=2, backend="loky")(delayed(read_toml)(m) for m in missing)
    assert caught.value.problems == ["file not found"] and caught.value.source in missing


def test_spec_error_in_a_worker_exits_2_with_its_message(tmp_path) -> None:
    """A calibrated scenario with posterior draws the scenario cannot take. Load checks the
    rows that hold a column's extremes (here the first two, which are fine); the others
    break the segment shares' sum only together, so each loky worker raises SpecError as
    it applies one: the command says so, exit 2."""
    bad = tmp_path / "bad_draws.toml"
    bad.write_text(
        f'base = "{Path(SPRINT).as_posix()}"\n[uncertainty]\ncalibration = "hand-edited"\n'
        'fields = ["segments.0.share", "segments.1.share"]\n'
        "draws = [[0.3, 0.3], [0.5, 0.1]" + ", [0.4, 0.25]" * 10 + "]\n",
        encoding="utf-8",
    )
    proc = faults.start(["run", str(bad), *RUN, "--jobs", "2", "--out", str(tmp_path / "r")], tmp_path)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("posterior draw of hand-edited: ") and "shares must sum to 1" in last


def test_an_interrupt_is_recognised_behind_a_failed_clean_up() -> None:
    from sim.lifeline import interrupted

    def clean_up_fails_after(first: BaseException) -> BaseException:
        try:
            try:
                raise first
            finally:
                raise RuntimeError("cannot reconnect until the transaction is rolled back")
        except RuntimeError as exc:
            return exc

    assert interrupted(clean_up_fails_after(KeyboardInterrupt()))
    assert interrupted(KeyboardInterrupt())
    assert not interrupted(clean_up_fails_after(ValueError("x")))
    assert not interrupted(None)


def test_processes_started_with_interrupts_deferred_never_see_ctrl_c() -> None:
    """A Ctrl-C while workers start is held and raised once they have; the workers inherit
    SIGINT blocked for life."""
    import os
    import sys

    from sim.lifeline import interrupts_deferred

    blocked = "signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])"
    child_code = f"import signal, sys; sys.stdin.read(); print({blocked})"
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        child = subprocess.Popen(
            [sys.executable, "-c", child_code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        os.kill(os.getpid(), signal.SIGINT)  # held, not raised here
        os.kill(child.pid, signal.SIGINT)  # blocked in the child: it lives on
    out, _ = child.communicate("", timeout=60)
    assert child.returncode == 0 and out.strip() == "True"


_DEL_INTERRUPTED = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal gives it, not inherited
{install}

class Collected:
    def __del__(self):
        raise KeyboardInterrupt  # as if Ctrl-C arrived while a finaliser ran

try:
    Collected()  # collected at once: Python can only print what its finaliser raised
    deadline = time.monotonic() + {wait}  # the re-raise comes from a timer thread: late when loaded
    while time.monotonic() < deadline:
        pass
    print("went on")
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.parametrize("hooked", [True, False], ids=["quiet_unraisable", "python"])
def test_a_ctrl_c_inside_a_finaliser_interrupts_the_command_without_a_traceback(hooked: bool) -> None:
    """Python prints a Ctrl-C raised in a finaliser or weakref callback ("Exception ignored
    in ...") and drops it; the command line raises it again where the command handles it."""
    import sys

    install = "from sim.lifeline import quiet_unraisable; quiet_unraisable()" if hooked else ""
    out = subprocess.run(
        [sys.executable, "-c", _DEL_INTERRUPTED.format(install=install, wait=30 if hooked else 5)],
        capture_output=True, text=True, timeout=60, cwd=faults.ROOT,
    )  # fmt: skip
    if hooked:
        assert out.stdout.strip() == "interrupted" and "Traceback" not in out.stderr, out.stderr
    else:  # what the hook is for: without it the interrupt is printed and lost
        assert out.stdout.strip() == "went on" and "Exception ignored" in out.stderr
