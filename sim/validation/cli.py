"""``campaign-sim check-model``: run the pattern-oriented validation suite."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.loading import SpecError

DEFAULT_PATTERNS = "validation/patterns.toml"  # = sim.validation.patterns.DEFAULT_FILE, which loads slowly


def register(sub: argparse._SubParsersAction) -> None:
    text = "run the validation suite: stylized facts and mechanisms against their bands"
    p = sub.add_parser("check-model", help=text, description=text)
    p.add_argument(
        "patterns", nargs="?", default=DEFAULT_PATTERNS, help=f"patterns TOML (default {DEFAULT_PATTERNS})"
    )
    p.add_argument(
        "--full", action="store_true", help="every pattern at full size (default: the fast subset)"
    )
    p.add_argument("--pattern", action="append", default=[], metavar="NAME", help="run only these patterns")
    p.add_argument("--jobs", "-j", type=int, default=1)
    p.add_argument("--out", default=None, help="new or empty folder (default results/validation-<time>)")
    p.set_defaults(func=cmd_check_model)


def cmd_check_model(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.results import prepare_out, provenance
    from sim.validation.patterns import load_patterns
    from sim.validation.report import display_table, write_outputs
    from sim.validation.suite import run_suite, select

    if args.jobs < 1:
        raise SpecError("arguments", ["--jobs must be at least 1"])
    pf = load_patterns(args.patterns)
    fast = not args.full and not args.pattern
    patterns = select(pf, fast=fast, names=args.pattern)
    out = prepare_out(args.out, "validation")
    with tqdm(desc="check-model", unit="run", file=sys.stderr) as bar:
        result = run_suite(
            pf, Path(args.patterns).parent, patterns, jobs=args.jobs, fast=fast,
            on_done=bar.update, on_plan=lambda n: bar.reset(total=n),
        )  # fmt: skip
    manifest = {
        "command": "check-model",
        "patterns_file": str(args.patterns),
        "fast": fast,
        "seed": pf.seed,
        "patterns": [p.model_dump(mode="json") for p in patterns],
        **provenance(),
    }
    page = write_outputs(out, result, manifest)
    with_width = display_table(result.table).to_string(index=False)
    print(with_width)
    n_pass = int(result.table["passed"].sum())
    print(f"{n_pass} of {len(result.table)} patterns pass -> {out}")
    print(f"report: {page}")
    return 0 if n_pass == len(result.table) else 1
