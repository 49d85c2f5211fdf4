"""``campaign-sim sweep | sobol | compare``: the experiment commands (prints, progress bars)."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from sim.experiments.compare import compare
from sim.experiments.outputs import write_comparison, write_sobol_tables, write_sweep
from sim.experiments.sobol import AnalysisError, analyse
from sim.experiments.spec import load_experiment
from sim.experiments.study import Sweep, run_sweep
from sim.loading import SpecError, load_scenario
from sim.results import prepare_out, provenance

COMPARE_KPIS = ["conversions", "net_value", "roi", "cost_per_acquisition", "complaints_per_10k", "total_cost"]


def _execution_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers (dask: LocalCluster size)")
    p.add_argument("--backend", choices=("loky", "dask"), default="loky")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --backend dask)",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an experiment key (design.n=8) or a scenario field (population.size=5000)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    for name, func, text in (
        ("sweep", cmd_sweep, "run an experiment's design (grid, lhs or sobol) into a resumable store"),
        ("sobol", cmd_sobol, "run a Sobol experiment and analyse S1/ST with bootstrap intervals"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("file", help="experiment TOML, e.g. experiments/budget_bonus_grid.toml")
        _execution_args(p)
        p.add_argument(
            "--out",
            default=None,
            help="results folder (default results/<experiment>); rerunning with the same folder resumes",
        )
        p.add_argument("--retry-failed", action="store_true", help="rerun runs recorded as failed")
        p.set_defaults(func=func)
    c = sub.add_parser("compare", help="what-if: scenario B against A with common random numbers")
    c.add_argument("a", help="scenario A (the reference)")
    c.add_argument("b", help="scenario B (the alternative)")
    c.add_argument("-n", "--replications", type=int, default=50)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument(
        "--out", default=None, help="new or empty folder (default results/compare-<a>-vs-<b>-<time>)"
    )
    _execution_args(c)
    c.set_defaults(func=cmd_compare)


def _check(args: argparse.Namespace) -> None:
    if args.jobs < 1:
        raise SpecError("arguments", ["--jobs must be at least 1"])
    if args.scheduler:
        args.backend = "dask"


def _sweep(args: argparse.Namespace) -> Sweep:
    _check(args)
    exp = load_experiment(args.file, args.sets)
    with tqdm(desc=exp.spec.name, unit="run", file=sys.stderr, smoothing=0.1) as bar:
        sweep = run_sweep(
            exp,
            args.out,
            jobs=args.jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            on_start=lambda todo: bar.reset(total=todo),
            on_done=bar.update,
            retry_failed=args.retry_failed,
            command={"command": args.command, "overrides": args.sets},
        )
    total, now = sweep.plan["key"].nunique(), sweep.executed  # identical points run once
    rate = f", {sweep.runs_per_second:.2f} runs/s" if now else ""
    print(
        f"{exp.spec.name}: {total} runs ({now} now in {sweep.seconds:.1f} s{rate}, "
        f"{total - now} from the store)"
    )
    if len(sweep.failures):
        print(f"  {len(sweep.failures)} runs failed; first error: {sweep.failures['error'].iloc[0]}")
        print(f"  all errors: {sweep.out / 'failures.csv'}")
    return sweep


def cmd_sweep(args: argparse.Namespace) -> int:
    sweep = _sweep(args)
    report = write_sweep(sweep)
    print(f"results: {sweep.out}\nreport: {report}")
    return 1 if len(sweep.failures) else 0


def cmd_sobol(args: argparse.Namespace) -> int:
    sweep = _sweep(args)
    try:
        result = analyse(sweep.exp, sweep.design, sweep.plan, sweep.runs)
    except AnalysisError as exc:
        write_sweep(sweep)
        print(f"Sobol analysis refused: {exc}", file=sys.stderr)
        return 1
    write_sobol_tables(sweep.out, result)
    report = write_sweep(sweep, result)
    for kpi, g in result.indices.groupby("kpi", sort=False):
        top = g.sort_values("ST", ascending=False).head(3)
        ranked = ", ".join(f"{r.factor} {r.ST:.2f}±{r.ST_conf:.2f}" for r in top.itertuples())
        print(f"  {kpi}: ST {ranked}")
    for w in result.warnings:
        print(f"  warning: {w}", file=sys.stderr)
    print(f"results: {sweep.out}\nreport: {report}")
    return 1 if len(sweep.failures) else 0


def cmd_compare(args: argparse.Namespace) -> int:
    _check(args)
    if args.replications < 2:
        raise SpecError("arguments", ["-n must be at least 2"])
    a, b = load_scenario(args.a, args.sets), load_scenario(args.b, args.sets)
    out = prepare_out(args.out, f"compare-{a.name}-vs-{b.name}")
    with tqdm(total=2 * args.replications, desc="compare", unit="run", file=sys.stderr) as bar:
        cmp = compare(
            a,
            b,
            args.replications,
            seed=args.seed,
            jobs=args.jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            on_done=bar.update,
        )
    manifest = {
        "command": "compare",
        "overrides": args.sets,
        "seed": args.seed,
        "replications": args.replications,
        "a": {"file": args.a, "name": a.name, "scenario": a.model_dump(mode="json")},
        "b": {"file": args.b, "name": b.name, "scenario": b.model_dump(mode="json")},
        "execution": {"backend": args.backend, "jobs": args.jobs, "scheduler": args.scheduler},
        **provenance(),
    }
    report = write_comparison(out, cmp, manifest, COMPARE_KPIS)
    print(f"{a.name} (A) vs {b.name} (B), {args.replications} paired replications:")
    for r in cmp.table[cmp.table["kpi"].isin(COMPARE_KPIS)].itertuples():
        better = f", P(B better) {r.p_b_better:.0%}" if r.direction else ""
        print(
            f"  {r.kpi}: B - A median {r.diff_median:,.4g} "
            f"(90% {r.diff_p05:,.4g} .. {r.diff_p95:,.4g}){better}"
        )
    print(f"results: {out}\nreport: {report}")
    return 0
