"""``campaign-sim sweep | sobol | compare``: the experiment commands (prints, progress bars)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.loading import SpecError, load_scenario
from sim.report import format as fmt
from sim.targets import parse_target_args

if TYPE_CHECKING:
    from sim.experiments.compare import Comparison
    from sim.experiments.study import Sweep
    from sim.scenario import Scenario

# The engine, pandas, SALib and dask load inside the commands, so `campaign-sim --help`
# and `validate` start fast.

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
        p.add_argument("--repair", action="store_true", help="recompute stored runs that fail their checksum")
        p.set_defaults(func=func)
    c = sub.add_parser(
        "compare",
        help="compare any number of options with common random numbers",
        description="Compare scenario files (the first is the reference), or one scenario and named "
        "variants of it: compare S.toml --variant cheaper budget.total=12e6 "
        "--variant richer offer.bonus_bp=60",
    )
    c.add_argument("files", nargs="+", help="scenario files; variants edit the first")
    c.add_argument(
        "--variant",
        dest="variants",
        action="append",
        nargs="+",
        default=[],
        metavar=("NAME", "KEY=VALUE"),
        help="a named variant of the first scenario: NAME then --set style edits (repeatable)",
    )
    c.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        metavar="KPI>=X",
        help="a target on a summary KPI, KPI>=X or KPI<=X (repeatable; replaces the first "
        "scenario's [targets] for that KPI)",
    )
    c.add_argument("-n", "--replications", type=int, default=50)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--out", default=None, help="new or empty folder (default results/compare-<names>-<time>)")
    _execution_args(c)
    c.set_defaults(func=cmd_compare)


def _check(args: argparse.Namespace) -> None:
    if args.jobs < 1:
        raise SpecError("arguments", ["--jobs must be at least 1"])
    if args.scheduler:
        args.backend = "dask"


def _sweep(args: argparse.Namespace, write: Callable[[Sweep], None]) -> Sweep:
    """Run the sweep; ``write`` writes its report (and Sobol outputs) under the store's lock."""
    _check(args)
    from tqdm import tqdm

    from sim.experiments.spec import load_experiment
    from sim.experiments.study import run_sweep

    exp = load_experiment(args.file, args.sets)
    if args.command == "sobol" and exp.spec.design.kind != "sobol":  # before any run, not after all
        kind = exp.spec.design.kind
        raise SpecError(
            exp.source,
            [f"design.kind is {kind!r}: sobol needs design.kind = 'sobol' (run a {kind} design with sweep)"],
        )
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
            repair=args.repair,
            command={"command": args.command, "overrides": args.sets},
            write=write,
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
    from sim.experiments.outputs import write_sweep
    from sim.experiments.thin import cell_warnings

    report: list[Path] = []
    sweep = _sweep(args, lambda sw: report.append(write_sweep(sw)))
    for w in cell_warnings(sweep):
        print(f"  warning: {w}", file=sys.stderr)
    print(f"results: {sweep.out}\nreport: {report[0]}")
    return 1 if len(sweep.failures) else 0


def cmd_sobol(args: argparse.Namespace) -> int:
    from sim.experiments.outputs import write_sobol_tables, write_sweep
    from sim.experiments.sobol import AnalysisError, analyse

    done: dict[str, Any] = {}

    def write(sweep: Sweep) -> None:
        try:
            result = analyse(sweep.exp, sweep.design, sweep.plan, sweep.runs)
        except AnalysisError as exc:
            write_sweep(sweep)
            done["refused"] = exc
            return
        write_sobol_tables(sweep.out, result)
        done.update(result=result, report=write_sweep(sweep, result))

    sweep = _sweep(args, write)
    if "refused" in done:
        print(f"Sobol analysis refused: {done['refused']}", file=sys.stderr)
        return 1
    result = done["result"]
    for kpi, g in result.indices.groupby("kpi", sort=False):
        top = g.sort_values("ST", ascending=False).head(3)
        ranked = ", ".join(f"{r.factor} {r.ST:.2f}±{r.ST_conf:.2f}" for r in top.itertuples())
        print(f"  {kpi}: ST {ranked}")
    for w in result.warnings:
        print(f"  warning: {w}", file=sys.stderr)
    print(f"results: {sweep.out}\nreport: {done['report']}")
    return 1 if len(sweep.failures) else 0


def compare_options(
    files: list[str], variants: list[list[str]], sets: list[str]
) -> dict[str, tuple[str, Scenario]]:
    """Option name -> (source, scenario): each file, then each variant of the first file.
    Every problem (a bad file, a variant without a name or with a bad edit) is reported at once."""
    from sim.experiments.compare import option_names

    problems: list[str] = []
    found: list[tuple[str, str, Scenario]] = []
    for f in files:
        try:
            sc = load_scenario(f, sets)
            found.append((sc.name, f, sc))
        except SpecError as exc:
            problems += [f"{exc.source}: {p}" for p in exc.problems]
    for v in variants:
        name, edits = v[0], v[1:]
        if "=" in name:
            problems.append(f"--variant {' '.join(v)}: give a NAME before the KEY=VALUE edits")
            continue
        try:
            found.append(
                (
                    name,
                    f"{files[0]} with {' '.join(edits) or 'no edits'}",
                    load_scenario(files[0], [*sets, *edits]),
                )
            )
        except SpecError as exc:
            problems += [f"--variant {name}: {p}" for p in exc.problems]
    if len(files) + len(variants) < 2:
        problems.append("compare needs at least two options: several files, or --variant NAME KEY=VALUE ...")
    if problems:
        raise SpecError("compare", problems)
    raw = [n for n, _, _ in found]
    stems = [Path(src).stem if i < len(files) else n for i, (n, src, _) in enumerate(found)]
    # a repeated scenario name is told apart by its file name where that is unique
    raw = [st if raw.count(n) > 1 and stems.count(st) == 1 else n for n, st in zip(raw, stems, strict=True)]
    names = option_names(raw)
    return {n: (src, sc) for n, (_, src, sc) in zip(names, found, strict=True)}


def cmd_compare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.experiments.compare import compare
    from sim.experiments.outputs import write_comparison
    from sim.results import prepare_out, provenance

    _check(args)
    if args.replications < 2:
        raise SpecError("arguments", ["-n must be at least 2"])
    cli_targets, problems = parse_target_args(args.targets)
    if problems:
        raise SpecError("compare", problems)
    options = compare_options(args.files, args.variants, args.sets)
    names = list(options)
    first = next(iter(options.values()))[1]
    targets = {**dict(first.targets or {}), **cli_targets}
    out = prepare_out(args.out, "compare-" + "-vs-".join(names)[:80])
    with tqdm(total=len(names) * args.replications, desc="compare", unit="run", file=sys.stderr) as bar:
        cmp = compare(
            {n: sc for n, (_, sc) in options.items()},
            args.replications,
            seed=args.seed,
            jobs=args.jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            on_done=bar.update,
            targets=targets,
        )
    manifest = {
        "command": "compare",
        "targets": args.targets,
        "overrides": args.sets,
        "variants": args.variants,
        "seed": args.seed,
        "replications": args.replications,
        "options": [
            {"name": n, "source": src, "scenario": sc.model_dump(mode="json")}
            for n, (src, sc) in options.items()
        ],
        "execution": {"backend": args.backend, "jobs": args.jobs, "scheduler": args.scheduler},
        **provenance(),
    }
    report = write_comparison(out, cmp, manifest, COMPARE_KPIS)
    print(compare_text(cmp, args.replications))
    print(f"results: {out}\nreport: {report}")
    return 0


def compare_text(cmp: Comparison, n: int) -> str:
    """The terminal summary: per option the headline KPIs, P(best), paired difference, risk."""
    cur, kpi = cmp.currency, cmp.headline
    k = cmp.kpis.set_index(["option", "kpi"])
    best = cmp.best[cmp.best["kpi"] == kpi].set_index("option")
    risk = cmp.risk[cmp.risk["kpi"] == "roi"].set_index("option")
    paired = cmp.paired[cmp.paired["kpi"] == kpi].set_index("option") if len(cmp.paired) else None
    lines = [f"{len(cmp.options)} options, {n} replications each with common random numbers:"]
    for o in cmp.options:
        m = k.loc[(o, kpi)]
        line = (
            f"  {o}: {kpi.replace('_', ' ')} {fmt.kpi(kpi, m['median'], cur)} "
            f"(90% {fmt.interval(m['p05'], m['p95'], fmt.unit_of(kpi), cur)}), "
            f"conversions {fmt.count(k.loc[(o, 'conversions'), 'median'])}, "
            f"ROI {fmt.percent(k.loc[(o, 'roi'), 'median'])}; "
            f"P(best) {fmt.percent(best.loc[o, 'p_best'], 0)}; "
            f"P(ROI < 0) {fmt.percent(risk.loc[o, 'p'], 0)} ({fmt.percent(risk.loc[o, 'lower'], 0)} to "
            f"{fmt.percent(risk.loc[o, 'upper'], 0)})"
        )
        if paired is not None and o in paired.index:
            d = paired.loc[o]
            line += (
                f"; minus {cmp.options[0]}: {fmt.kpi(kpi, d['diff_median'], cur)} "
                f"(90% {fmt.interval(d['diff_p05'], d['diff_p95'], fmt.unit_of(kpi), cur)}), "
                f"P(better) {fmt.percent(d['p_better'], 0)}"
            )
        lines.append(line)
    for t in cmp.targets.itertuples() if len(cmp.targets) else []:
        interval = f"{fmt.percent(t.p_low, 0)} to {fmt.percent(t.p_high, 0)}"
        lines.append(f"  target {t.target}: {t.option} P(hit) {fmt.percent(t.p_hit, 0)} ({interval})")
    lines.append(f"verdict: {cmp.verdict}")
    lines += [f"warning: {w}" for w in cmp.warnings]
    return "\n".join(lines)
