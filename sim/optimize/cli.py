"""``campaign-sim optimize``: lever optimisation under risk limits (prints, progress bars)."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from sim.experiments.cli import _execution_args as execution_args
from sim.loading import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    text = "search levers for the best objective under chance constraints (optuna, common random numbers)"
    p = sub.add_parser("optimize", help=text, description=text)
    p.add_argument("file", help="optimisation spec, e.g. experiments/deposit_sprint_optimize.toml")
    execution_args(p)  # --jobs, --backend, --scheduler, --set (spec keys or scenario fields)
    p.add_argument("--trials", type=int, default=None, help="candidates to evaluate (default: the spec's)")
    p.add_argument("--out", default=None, help="new or empty results folder (default results/<name>)")
    p.add_argument("--resume", default=None, metavar="DIR", help="continue an interrupted optimisation")
    p.set_defaults(func=cmd_optimize)


def cmd_optimize(args: argparse.Namespace) -> int:
    from sim.optimize.report import verdict
    from sim.optimize.spec import load_optimization
    from sim.optimize.workflow import optimize
    from sim.report import format as fmt

    problems = []
    if args.jobs < 1:
        problems.append("--jobs must be at least 1")
    if args.trials is not None and args.trials < 1:
        problems.append("--trials must be at least 1")
    if args.resume and args.out:
        problems.append("give --out (a new optimisation) or --resume (continue one), not both")
    if problems:
        raise SpecError("arguments", problems)
    if args.scheduler:
        args.backend = "dask"
    sets = [*args.sets, *([f"search.trials={args.trials}"] if args.trials else [])]
    opt = load_optimization(args.file, sets)
    total = opt.spec.search.trials
    with (
        tqdm(
            total=total, desc=f"{opt.spec.name} trials", unit="trial", file=sys.stderr, position=0
        ) as trials,
        tqdm(desc="runs", unit="run", file=sys.stderr, position=1) as runs,
    ):
        result = optimize(
            opt,
            args.out,
            args.resume,
            jobs=args.jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            on_done=runs.update,
            on_trial=trials.update,
            on_stage=lambda s: runs.set_description(f"runs ({s})"),
        )
    t = result.trials
    feasible = int(t["feasible"].sum()) if len(t) else 0
    print(
        f"{opt.spec.name}: {len(t)} candidates ({feasible} met the constraints), {result.runs:,} runs now "
        f"in {fmt.number(result.seconds, 1)} s"
    )
    print(verdict(result))
    if result.recommendation is not None:
        print(f"recommended scenario: {result.out / 'recommended.toml'}")
    print(f"results: {result.out}\nreport: {result.out / 'report.html'}")
    return 0 if result.recommendation is not None and result.recommendation.feasible else 1
