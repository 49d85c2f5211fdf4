"""``campaign-sim calibrate SPEC [--jobs J] [--budget SIMULATIONS] [--out DIR] [--resume DIR]``."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

from tqdm import tqdm

from sim.calibration.spec import load_calibration
from sim.calibration.workflow import calibrate, prepare
from sim.loading import SpecError
from sim.results import prepare_out


def register(subparsers: argparse._SubParsersAction) -> None:
    c = subparsers.add_parser(
        "calibrate", help="fit behaviour parameters to past campaign data (ABC-SMC) and write a report"
    )
    c.add_argument("spec", help="calibration TOML (see calibration/)")
    c.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers")
    c.add_argument("--backend", default=None, help="joblib backend: loky (default) or dask")
    c.add_argument("--budget", type=int, default=None, metavar="SIMULATIONS", help="maximum simulations")
    c.add_argument("--out", default=None, help="new or empty folder (default: results/<name>-<time>)")
    c.add_argument(
        "--resume", default=None, metavar="DIR", help="continue the ABC history in DIR, in a new folder"
    )
    c.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    c.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    if args.jobs < 1 or (args.budget is not None and args.budget < 1):
        raise SpecError("arguments", ["--jobs and --budget must be at least 1"])
    cal = load_calibration(args.spec, args.sets)
    sim = prepare(cal)
    if args.resume is not None and not (Path(args.resume) / "abc.db").is_file():
        raise SpecError("--resume", [f"{args.resume} holds no abc.db to continue"])
    folder = prepare_out(args.out, cal.spec.name)
    if args.resume is not None:
        # continue a copy: the earlier folder stays as it was (results are never overwritten)
        shutil.copy2(Path(args.resume) / "abc.db", folder / "abc.db")
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
    for b in bars:
        b.close()
    level = cal.spec.predictive.level
    abc = out.history
    print(
        f"{cal.spec.name}: {abc.max_t + 1} generations, {abc.total_nr_simulations:,} simulations -> {folder}"
    )
    for r in out.parameters.itertuples(index=False):
        truth = (
            "" if r.covered is None else f"  (truth {r.truth:.4g}, {'covered' if r.covered else 'MISSED'})"
        )
        print(f"  {r.parameter:<14} median {r.median:.4g}  {level:.0%} CI [{r.low:.4g}, {r.high:.4g}]{truth}")
    for r in out.coverage.itertuples(index=False):
        print(
            f"  {r.column} {r.part}: {r.coverage:.0%} of {r.periods} periods inside the {level:.0%} band, "
            f"median relative error {r.median_rel_error:.0%}"
        )
    print(f"calibrated scenario: {out.calibrated}")
    print(f"report: {out.report}")
    return 0
