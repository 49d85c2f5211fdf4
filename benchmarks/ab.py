"""Speed of two checkouts measured side by side: ``python benchmarks/ab.py BEFORE AFTER``.

On a shared virtual machine the same run can take 15% more or less from one minute to the
next, so a figure from an earlier ``make bench`` is a poor baseline for a change. This
runs ``benchmarks/run.py --child`` of each checkout (the deposit sprint, 90 days, a fresh
process per run) alternately, ``--repeats`` times per size, and prints the median wall
and CPU seconds of each and the change.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CASES = ((10_000, False), (100_000, False), (1_000_000, False), (1_000_000, True))


def one_run(tree: Path, customers: int, agents: bool, seed: int) -> tuple[float, float]:
    spec = {"kind": "engine", "customers": customers, "days": 90, "agents": agents, "seed": seed}
    out = subprocess.run(
        [sys.executable, str(tree / "benchmarks" / "run.py"), "--child", json.dumps(spec)],
        check=True, capture_output=True, text=True, cwd=tree,
    )  # fmt: skip
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["wall_s"], r["cpu_s"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--repeats", type=int, default=6)
    a = p.parse_args()
    for customers, agents in CASES:
        runs: dict[Path, list[tuple[float, float]]] = {a.before: [], a.after: []}
        for r in range(a.repeats):
            order = (a.before, a.after) if r % 2 == 0 else (a.after, a.before)  # alternate
            for tree in order:
                runs[tree].append(one_run(tree, customers, agents, r))
        (wb, cb), (wa, ca) = (
            (statistics.median(x[0] for x in runs[t]), statistics.median(x[1] for x in runs[t]))
            for t in (a.before, a.after)
        )
        print(
            f"{customers:>9,} customers, agents {'yes' if agents else 'no '}: "
            f"before {wb:.3f} s (CPU {cb:.3f}), after {wa:.3f} s (CPU {ca:.3f}), "
            f"change {100 * (wa / wb - 1):+.1f}% (CPU {100 * (ca / cb - 1):+.1f}%)",
            flush=True,
        )


if __name__ == "__main__":
    main()
