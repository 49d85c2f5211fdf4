"""The ``campaign-sim`` command line: the only place that reads argv or prints."""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from sim.inputs import InputWarning
from sim.loading import SpecError, dump_scenario, load_scenario
from sim.report import format as fmt
from sim.report import kpi_table, write_report
from sim.resources import check_memory
from sim.results import atomic_write, prepare_out, provenance, write_json, write_table
from sim.runner import run_replications
from sim.targets import evaluate as evaluate_targets

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


def cmd_run(args: argparse.Namespace) -> int:
    if args.replications < 1 or args.jobs < 1:
        raise SpecError("arguments", ["--replications and --jobs must be at least 1"])
    sc = load_scenario(args.file, args.sets)
    check_memory(sc, min(args.jobs, args.replications))  # before any folder is made
    out = prepare_out(args.out, sc.name)
    with tqdm(total=args.replications, desc=sc.name, unit="run", file=sys.stderr) as bar:
        reps = run_replications(sc, args.replications, seed=args.seed, jobs=args.jobs, on_done=bar.update)
    write_table(out, "daily", reps.daily, csv=False)
    write_table(out, "channels", reps.channels, csv=False)
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
        **provenance(),
        "scenario": sc.model_dump(mode="json"),
    }
    write_json(out / "manifest.json", manifest)
    atomic_write(out / "scenario.toml", lambda p: p.write_text(dump_scenario(sc), encoding="utf-8"))
    report = write_report(out, sc, reps.daily, reps.summary, manifest, reps.channels, reps.limits)
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
    print(f"report: {report}")
    return 0


#: Backends each command can run on (commands not listed take no --backend).
BACKENDS = {
    "sweep": ("loky", "dask"),
    "sobol": ("loky", "dask"),
    "compare": ("loky", "dask"),
    "calibrate": ("loky",),
}
AT_LEAST_ONE = ("replications", "jobs", "budget")


def check_arguments(args: argparse.Namespace) -> None:
    """Misuse any command can make, checked by argument name before the command runs, so a
    command added later gets the same checks: counts at least 1, seeds not negative,
    ``--out``/``--resume`` naming folders, ``--backend`` one the command supports."""
    problems = []
    for name in AT_LEAST_ONE:
        value = getattr(args, name, None)
        if isinstance(value, int) and value < 1:
            problems.append(f"--{name} must be at least 1, got {value}")
    seed = getattr(args, "seed", None)
    if isinstance(seed, int) and seed < 0:
        problems.append(f"--seed must be 0 or more (it seeds numpy's SeedSequence), got {seed}")
    for name in ("out", "resume"):
        value = getattr(args, name, None)
        if isinstance(value, str) and Path(value).exists() and not Path(value).is_dir():
            problems.append(f"--{name} {value} is a file, not a folder")
    backend = getattr(args, "backend", None)
    if backend is not None:
        supported = BACKENDS.get(args.command, ("loky",))
        if backend not in supported:
            problems.append(
                f"--backend {backend!r}: {args.command} supports {' and '.join(supported)}"
                + ("" if backend in ("loky", "dask") else " (unknown backend)")
            )
    if problems:
        raise SpecError("arguments", problems)


_shown: set[str] = set()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Input warnings as one ``warning: ...`` line; others as Python shows them."""
    if issubclass(category, InputWarning):
        if str(message) not in _shown:  # the same input may be validated more than once
            _shown.add(str(message))
            print(f"warning: {message}", file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InputWarning)
            warnings.showwarning = _show_warning
            _shown.clear()
            check_arguments(args)
            return int(args.func(args))
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished work is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
