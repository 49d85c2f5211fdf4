"""The ``campaign-sim`` command line: the only place that reads argv or prints."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import signal
import sqlite3
import sys
import warnings
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from sim.loading import SpecError, dump_scenario, load_scenario

PLUGINS = (
    "sim.experiments.cli",
    "sim.optimize.cli",
    "sim.calibration.cli",
    "sim.validation.cli",
    "sim.app.cli",
)


def build_parser() -> argparse.ArgumentParser:

    p = argparse.ArgumentParser(prog="campaign-sim", description="Simulate financial-product campaigns.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check scenario files and report every problem")
    v.add_argument("files", nargs="+")
    v.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="run replications of a scenario and write a report")
    r.add_argument("file")
    r.add_argument("--replications", "-n", type=int, default=20)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--jobs", "-j", type=int, default=1)
    r.add_argument("--out", default=None, help="new or empty folder (default: results/<name>-<time>)")
    r.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    r.add_argument(
        "--resume",
        default=None,
        metavar="DIR",
        help="finish an interrupted run in DIR (same file, --set, --seed)",
    )
    r.add_argument(
        "--repair", action="store_true", help="with --resume: recompute replications failing their checksum"
    )
    r.add_argument(
        "--medians",
        action="store_true",
        help="calibrated scenario: use the posterior medians, not a posterior draw per replication",
    )
    r.set_defaults(func=cmd_run)

    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        module.register(sub)
    return p


def cmd_validate(args: argparse.Namespace) -> int:

    bad = 0
    for f in args.files:
        try:
            if _is_calibration(f):  # a calibration spec names a scenario: check both and the data
                from sim.calibration.cli import validate_calibration

                print("\n".join(validate_calibration(f, args.sets)))
                continue
            sc = load_scenario(f, args.sets)
            print(f"{f}: ok ({sc.name}: {len(sc.segments)} segments, {len(sc.channels)} channels)")
        except SpecError as exc:
            print(exc, file=sys.stderr)
            bad += 1
    return 2 if bad else 0


def _is_calibration(path: str) -> bool:

    try:
        from sim.calibration.spec import is_calibration
    except ModuleNotFoundError:  # calibration extra not installed
        return False
    return is_calibration(path)


def run_replications(*args: object, **kwargs: object) -> object:
    """:func:`sim.runner.run_replications`, imported on first use (the engine loads slowly)."""
    from sim.runner import run_replications as run

    return run(*args, **kwargs)


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.checkpoint import ReplicationStore, discard_run, drop_store, resume_folder, run_fingerprint
    from sim.report import format as fmt
    from sim.report import kpi_table, write_report
    from sim.report.rules import rule_firings
    from sim.resources import check_memory
    from sim.results import (
        atomic_write,
        finish,
        prepare_out,
        provenance,
        write_json,
        write_table,
    )
    from sim.targets import evaluate as evaluate_targets

    if args.resume is not None and args.out is not None:
        raise SpecError("arguments", ["give --out (a new run) or --resume (an interrupted one), not both"])
    sc = load_scenario(args.file, args.sets)
    if args.medians:
        if sc.uncertainty is None:
            raise SpecError("--medians", [f"{args.file} carries no posterior draws (no [uncertainty])"])
        sc = sc.model_copy(update={"uncertainty": sc.uncertainty.model_copy(update={"use": "medians"})})
    check_memory(sc, min(args.jobs, args.replications))  # before any folder is made
    out = resume_folder(args.resume) if args.resume else prepare_out(args.out, sc.name)
    with ReplicationStore(out, run_fingerprint(sc.model_dump(mode="json"), args.seed)) as store:
        done = store.load(range(args.replications), repair=args.repair)
        try:
            with tqdm(
                total=args.replications, initial=len(done), desc=sc.name, unit="run", file=sys.stderr
            ) as bar:
                reps = run_replications(
                    sc,
                    args.replications,
                    seed=args.seed,
                    jobs=args.jobs,
                    on_done=bar.update,
                    done=done,
                    on_result=store.put,
                )
        except KeyboardInterrupt:
            kept = min(store.count(), args.replications)
            reps = None
        if reps is not None:  # the tables and report are written under the store's lock
            write_table(out, "daily", reps.daily, csv=False)
            write_table(out, "channels", reps.channels, csv=False)
            write_table(out, "rules", reps.rules)  # rule actions taken (empty without rules)
            write_table(out, "summary", reps.summary.assign(currency=sc.currency))
            write_table(out, "limits", reps.limits)
            kpis = kpi_table(reps.summary)
            atomic_write(out / "kpis.csv", lambda p: kpis.to_csv(p, index=False))
            targets = evaluate_targets(reps.summary, sc.targets, sc.currency)
            if len(targets):
                atomic_write(out / "targets.csv", lambda p: targets.to_csv(p, index=False))
            manifest = {
                "command": "run",
                "scenario_file": str(args.file),
                "overrides": args.sets,
                "seed": args.seed,
                "replications": args.replications,
                "jobs": args.jobs,
                "scale": sc.population.scale,
                "seeds": reps.seeds,
                "resumed": args.resume is not None,
                **provenance(),
                "scenario": sc.model_dump(mode="json"),
            }
            write_json(out / "manifest.json", manifest)
            atomic_write(out / "scenario.toml", lambda p: p.write_text(dump_scenario(sc), encoding="utf-8"))
            report = write_report(
                out, sc, reps.daily, reps.summary, manifest, reps.channels, reps.limits, reps.rules
            )
            drop_store(out)  # every replication is in the tables now
            finish(out)  # complete before unlocking: a resume that takes the lock next finds it so
    if reps is None:
        if kept:
            print(
                f"interrupted: {kept} of {args.replications} replications are kept in {out}; finish with\n"
                f"  campaign-sim run {args.file} --resume {out}  (same --seed, --set and -n)",
                file=sys.stderr,
            )
        else:
            print("interrupted before any replication finished: nothing was kept", file=sys.stderr)
            if not args.resume:
                discard_run(out)  # an empty folder would only look like a result
        return 130
    med = kpis.set_index("kpi")["median"]
    print(f"{sc.name}: {args.replications} replications -> {out}")
    print(
        f"  median conversions {fmt.count(med['conversions'])}, ROI {fmt.percent(med['roi'])}, "
        f"CPA {fmt.money(med['cost_per_acquisition'], sc.currency)}"
    )
    for t in targets.itertuples():
        print(
            f"  target {t.target}: P(hit) {fmt.percent(t.p_hit, 0)} "
            f"(90% interval {fmt.percent(t.p_low, 0)} to {fmt.percent(t.p_high, 0)}, "
            f"{t.hits} of {t.replications} runs)"
        )
    if sc.rules:
        for r in rule_firings(reps.rules, sc, args.replications).itertuples():
            print(f"  rule {r.rule}: fired in {r.replications_fired} of {args.replications} runs")
    from sim.uncertainty import describe as describe_uncertainty

    if (note := describe_uncertainty(sc)) is not None:
        print(f"  {note}")
    print(f"report: {report}")
    return 0


#: Backends each command can run on (a command not listed is left to its own choices).
BACKENDS = {
    "sweep": ("loky", "dask"),
    "sobol": ("loky", "dask"),
    "compare": ("loky", "dask"),
    "optimize": ("loky", "dask"),
    "calibrate": ("loky",),
}
AT_LEAST_ONE = ("replications", "jobs", "budget", "trials")


def check_arguments(args: argparse.Namespace) -> None:
    """Misuse any command can make, checked by argument name before the command runs, so a
    command added later gets the same checks: counts at least 1, seeds not negative, a
    port in range, ``--out``/``--resume`` naming folders, ``--backend`` one the command
    supports."""

    problems = []
    for name in AT_LEAST_ONE:
        value = getattr(args, name, None)
        if isinstance(value, int) and value < 1:
            problems.append(f"--{name} must be at least 1, got {value}")
    seed = getattr(args, "seed", None)
    if isinstance(seed, int) and seed < 0:
        problems.append(f"--seed must be 0 or more (it seeds numpy's SeedSequence), got {seed}")
    port = getattr(args, "port", None)
    if isinstance(port, int) and not 0 <= port <= 65535:
        problems.append(f"--port must be 0 (any free port) to 65535, got {port}")
    for name in ("out", "resume"):
        value = getattr(args, name, None)
        if isinstance(value, str) and Path(value).exists() and not Path(value).is_dir():
            problems.append(f"--{name} {value} is a file, not a folder")
    backend = getattr(args, "backend", None)
    supported = BACKENDS.get(args.command)
    if backend is not None and supported is not None and backend not in supported:
        problems.append(
            f"--backend {backend!r}: {args.command} supports {' and '.join(supported)}"
            + ("" if backend in ("loky", "dask") else " (unknown backend)")
        )
    if problems:
        raise SpecError("arguments", problems)


_shown: set[str] = set()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Input warnings as one ``warning: ...`` line; others as Python shows them."""
    from sim.inputs import InputWarning

    if issubclass(category, InputWarning):
        if str(message) not in _shown:  # the same input may be validated more than once
            _shown.add(str(message))
            print(f"warning: {message}", file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from sim.results import OPEN

    parser = build_parser()
    args = parser.parse_args(argv)
    OPEN.clear()
    if argv is None:  # the command line: a Ctrl-C must never be printed and dropped
        from sim.lifeline import quiet_unraisable

        quiet_unraisable()
    try:
        code = _main(args)
        if argv is None:
            sys.stdout.flush()  # now, where a reader that left can be caught, not at exit
        return code
    except BrokenPipeError:
        # the reader of our output left (`| head`): say nothing, and point stdout at
        # /dev/null so that the interpreter's own flush at exit cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        if argv is None:  # the command line, not a caller in Python
            # the command is over: a Ctrl-C now would only interrupt the interpreter's exit
            # (loky joins its workers then) and print a traceback for nothing
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _main(args: argparse.Namespace) -> int:
    from sim.inputs import InputWarning
    from sim.results import (
        OPEN,
        finish_folders,
    )

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InputWarning)
            warnings.showwarning = _show_warning
            _shown.clear()
            check_arguments(args)
            code = int(args.func(args))
        if code in (0, 1):  # the command finished: its folders are complete
            finish_folders()
        return code
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(interrupted_note(), file=sys.stderr)
        return 130
    except Exception as exc:
        from sim.lifeline import interrupted

        if interrupted(exc):  # a library's clean-up that failed after Ctrl-C: the interrupt
            print(interrupted_note(), file=sys.stderr)
            return 130
        if not disk_full(exc):
            raise
        where = OPEN[-1] if OPEN else Path(getattr(exc, "filename", None) or ".").parent
        print(
            f"campaign-sim: no space left on the device while writing {where}; "
            "files written before are intact and the folder is marked INCOMPLETE",
            file=sys.stderr,
        )
        return 1


def disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is a full disk or quota, from any library."""

    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left on device" in str(exc) or "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def interrupted_note() -> str:
    """What an interrupt kept: only what is true (a sweep's store commits each batch)."""
    from sim.results import (
        OPEN,
    )

    notes = []
    for folder in OPEN:
        store = folder / "store.sqlite"
        if store.is_file():
            try:
                with closing(sqlite3.connect(store, timeout=5)) as con:
                    n = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.Error:
                n = 0
            # an optimisation continues with --resume (its --out must be new)
            resumable = (folder / "optuna.sqlite").is_file()
            again = f"add --resume {folder}" if resumable else "run the same command"
            if n:
                notes.append(f"{n} finished runs are kept in {store}; {again} to continue")
        notes.append(f"{folder} is marked INCOMPLETE")
    return "interrupted" + ("; " + "; ".join(notes) if notes else "")


if __name__ == "__main__":
    sys.exit(main())
