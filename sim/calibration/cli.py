"""``campaign-sim calibrate SPEC [--check] [--jobs J] [--budget SIMULATIONS] [--out DIR] [--resume DIR]``.

The result folder appears only when the calibration is complete: the work happens in a
sibling ``<folder>.partial`` that is renamed into place at the end. A failure removes it;
an interrupt (Ctrl-C) keeps it when it holds finished ABC generations, so that
``--resume <folder>.partial`` continues them.

As for sweeps (:mod:`sim.stores`), ``<folder>.partial`` is locked from before anything is
made until its rename: a second calibration of the same ``--out`` is refused with the
first one's pid (exit 2), and a ``--resume`` of a folder another process is still writing
is refused instead of copying a history in mid-write.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.loading import SpecError

ABC_DB = "abc.db"


def register(subparsers: argparse._SubParsersAction) -> None:

    c = subparsers.add_parser(
        "calibrate", help="fit behaviour parameters to past campaign data (ABC-SMC) and write a report"
    )
    c.add_argument("spec", help="calibration TOML (see calibration/)")
    c.add_argument(
        "--check", action="store_true", help="validate the spec and its data, then stop (no simulation)"
    )
    c.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers")
    c.add_argument("--backend", default=None, help="joblib backend: loky (default) or dask")
    c.add_argument(
        "--budget",
        type=int,
        default=None,
        metavar="SIMULATIONS",
        help="hard cap on the simulations of this command, ABC and moves (a resume starts a new count)",
    )
    c.add_argument("--out", default=None, help="new or empty folder (default: results/<name>-<time>)")
    c.add_argument(
        "--resume", default=None, metavar="DIR", help="continue the ABC history in DIR, in a new folder"
    )
    c.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    c.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration.spec import load_calibration
    from sim.calibration.workflow import check_summary, prepare
    from sim.stores import bind_folder, check_database

    if args.jobs < 1 or (args.budget is not None and args.budget < 1):
        raise SpecError("arguments", ["--jobs and --budget must be at least 1"])
    cal = load_calibration(args.spec, args.sets)
    sim = prepare(cal)
    if args.check:
        print(f"{args.spec}: ok (calibration spec; nothing simulated)")
        for line in check_summary(sim):
            print(f"  {line}")
        return 0
    from sim.resources import check_memory

    # as run and sweep: refuse up front, with the estimate, rather than fail in a worker
    check_memory(cal.scenario, args.jobs, source=f"{cal.source}: population.size")
    if args.resume is not None and Path(args.resume).resolve() == Path(args.out or "").resolve():
        raise SpecError("--resume", ["--out must be a new folder, not the one resumed from"])
    if args.resume is not None and not (Path(args.resume) / ABC_DB).is_file():
        raise SpecError("--resume", [f"{args.resume} holds no {ABC_DB} to continue"])
    with _staged(args.out, cal.spec.name) as (folder, final):
        earlier = Path(args.resume) if args.resume is not None else None
        with _reading(earlier):
            bind_folder(folder, calibration_fingerprint(cal), "calibration spec or data", earlier)
            if earlier is not None:
                check_database(earlier / ABC_DB)
                # continue a copy: the earlier folder stays as it was (results are never overwritten)
                shutil.copy2(earlier / ABC_DB, folder / ABC_DB)
        out = _run(args, cal, sim, folder)
    _summary(cal, out, final)
    return 0


def validate_calibration(path: str, sets: list[str]) -> list[str]:
    """``campaign-sim validate`` on a calibration spec: the spec, its scenario and data
    (raises SpecError with every problem), as printable lines."""
    from sim.calibration.spec import load_calibration
    from sim.calibration.workflow import check_summary, prepare

    sim = prepare(load_calibration(path, sets))
    return [f"{path}: ok (calibration spec {sim.cal.spec.name}; run it with campaign-sim calibrate)"] + [
        f"  {line}" for line in check_summary(sim)
    ]


def calibration_fingerprint(cal) -> str:
    """What an ABC history depends on: the spec without its run settings (inference,
    predictive, description), the resolved scenario and the data file's bytes."""
    from sim.stores import file_digest, fingerprint

    spec = cal.spec.model_dump(mode="json", exclude={"description", "inference", "predictive", "name"})
    return fingerprint({"spec": spec, "scenario": cal.base, "data": file_digest(cal.data_path)})


@contextmanager
def _staged(out: str | None, name: str) -> Iterator[tuple[Path, Path]]:
    """Yield (``<final>.partial``, ``final``): work in the first, locked until it is renamed
    to ``final`` on success; removed on failure, kept (resumable) on interrupt when it
    holds an ABC history. The lock comes before anything else is made, so a second
    calibration of the same folder is refused by it and never touches the first's."""
    from sim.lifeline import interrupted
    from sim.results import new_run_dir, prepare_out, release
    from sim.stores import FolderLock

    final = Path(out) if out is not None else new_run_dir(name=name)
    work = final.with_name(final.name + ".partial")
    work.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(work / ABC_DB)
    with lock:
        if any(p != lock.path for p in work.iterdir()):
            why = f"{work} holds an interrupted calibration: --resume {work}, or remove it"
            raise SpecError("--out", [why])
        try:
            prepare_out(final, name)
        except BaseException:
            lock.path.unlink(missing_ok=True)
            work.rmdir()  # empty: made by this command, or left empty by another
            raise
        try:
            yield work, final
        except BaseException as exc:
            release(final)
            if not interrupted(exc):
                shutil.rmtree(work, ignore_errors=True)
                raise
            if (work / ABC_DB).is_file():
                print(f"interrupted; finished ABC generations kept: --resume {work}", file=sys.stderr)
            else:
                shutil.rmtree(work)
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise KeyboardInterrupt from None
        release(final)
        work.rename(final)
        lock.path = final / lock.path.name  # moved with the folder; unlocking removes it there


@contextmanager
def _reading(earlier: Path | None) -> Iterator[None]:
    """Hold the lock of a calibration folder being resumed from while its history is
    checked and copied: a process still writing it is refused, not copied mid-write (a
    folder this user cannot write, no calibration can be writing either)."""
    import os

    from sim.stores import FolderLock

    if earlier is None or not os.access(earlier, os.W_OK):
        yield
        return
    with FolderLock(earlier / ABC_DB):
        yield


def _run(args: argparse.Namespace, cal, sim, folder: Path):
    from tqdm import tqdm

    from sim.calibration.abcsmc import BudgetTooSmall
    from sim.calibration.workflow import calibrate

    logging.getLogger("ABC").setLevel(logging.WARNING)  # the progress bar reports instead
    budget = args.budget if args.budget is not None else cal.spec.inference.budget
    bars: list[tqdm] = []
    with tqdm(total=budget, desc=f"{cal.spec.name} ABC", unit="sim", file=sys.stderr) as bar:

        def on_draw(k: int) -> None:
            if not bars:  # ABC is done: close its bar at what it used, open the draws' bar
                bar.total = bar.n
                bar.close()
                bars.append(
                    tqdm(total=cal.spec.predictive.draws, desc="predictive", unit="draw", file=sys.stderr)
                )
            bars[0].update(k)

        try:
            out = calibrate(
                sim,
                folder,
                jobs=args.jobs,
                backend=args.backend,
                budget=args.budget,
                on_simulation=bar.update,
                on_draw=on_draw,
                extra_manifest={"overrides": args.sets, "resumed_from": args.resume},
            )
        except BudgetTooSmall as exc:
            raise SpecError("--budget" if args.budget is not None else cal.source, [str(exc)]) from None
    for b in bars:
        b.close()
    return out


def _summary(cal, out, folder: Path) -> None:
    from sim.calibration.report import final_state, moves_state

    level = cal.spec.predictive.level
    abc = out.abc
    stop = " (stopped by the budget: the last complete generation is the posterior)"
    print(
        f"{cal.spec.name}: {abc['generations']} generations, {abc['simulations_this_run']:,} simulations "
        f"this run{stop if abc['stopped_by_budget'] else ''} -> {folder}"
    )
    if abc.get("acceptance") == "likelihood":
        print(f"  {final_state(abc)}")
    if moved := moves_state(abc):
        print(f"  {moved}")
    for r in out.parameters.itertuples(index=False):
        truth = (
            "" if r.covered is None else f"  (truth {r.truth:.4g}, {'covered' if r.covered else 'MISSED'})"
        )
        flag = "  WEAK" if r.weak else ""
        print(
            f"  {r.parameter:<14} median {r.median:.4g}  {level:.0%} CI [{r.low:.4g}, {r.high:.4g}]  "
            f"width/prior {r.width_ratio:.2f}{flag}{truth}"
        )
    for w in out.warnings:
        print(f"  warning: {w}")
    for r in out.coverage.itertuples(index=False):
        print(
            f"  {r.column} {r.part}: {r.coverage:.0%} of {r.periods} periods inside the {level:.0%} band, "
            f"median relative error {r.median_rel_error:.0%}"
        )
    print(f"calibrated scenario: {folder / out.calibrated.name}")
    print(f"report: {folder / out.report.name}")
