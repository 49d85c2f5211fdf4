"""Benchmark suite: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).

Writes ``benchmarks/results.md`` and ``benchmarks/results.csv``:
- wall time and peak memory of one run of ``scenarios/deposit_sprint.toml`` (all its
  mechanisms on: channels, quota, budget, referrals, competitor and macro shocks, homophily
  graph) at each size, 90 days, with and without Mesa agent objects, each in a fresh
  process; wall time covers model construction (population and graph) to the summary KPIs;
- time per customer-day at each size;
- runs per second at 10k customers x 60 days with 1 and 2 workers (``run_replications``,
  workers started and warmed before timing);
- the speed of the per-agent reference (``tests/reference.py``) per customer-day, measured
  at a smaller size in the same invocation and compared per customer-day;
- the optimiser (``benchmarks/optimizer.py``, ``--only optimizer``): evaluations TPE and random
  search need to come within 2% of an exhaustive grid's best on the shipped optimisation
  spec, and wall time on 2 workers (written to ``benchmarks/optimizer.md`` / ``.csv``);
- the cost of the campaign-off baseline arm (:mod:`sim.baseline`): the same run paired with
  its counterfactual ("paired" rows), against the campaign arm alone. The engine and
  throughput rows measure the campaign arm alone (``baseline=false``) so they stay
  comparable with earlier figures; ``campaign-sim run`` pairs by default;
- start-up: wall time of ``campaign-sim --help`` and ``campaign-sim validate`` in fresh
  processes against ``python -c "import pandas"`` on the same machine (target: at most 2x).

``--only KIND[,KIND]`` (engine, paired, reference, throughput, app, optimizer, startup) measures only those
rows and merges them into the existing results (the other rows are kept as they were).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import calib_bench  # beside this file (benchmarks/ is the script's folder)

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "deposit_sprint.toml"
OUT = Path(__file__).resolve().parent
COMMAND = "make bench  # = .venv/bin/python benchmarks/run.py"


def overrides(customers: int, days: int, baseline: bool = False) -> list[str]:
    """``days`` simulated days: the campaign plus the scenario's 30 observation days."""
    return [f"population.size={customers}", f"calendar.days={days - 30}", f"baseline={str(baseline).lower()}"]


def child(spec: dict) -> dict:
    """One measured run in this (fresh) process; imports are not timed."""
    sys.path.insert(0, str(ROOT))
    from sim.loading import load_scenario
    from sim.runner import run_model
    from tests.reference import run_reference

    sc = load_scenario(SCENARIO, overrides(spec["customers"], spec["days"], spec["kind"] == "paired"))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t, cpu = time.perf_counter(), time.process_time()
    if spec["kind"] == "reference":
        run_reference(sc, spec["seed"])
    else:
        run_model(sc, spec["seed"], agents=spec["agents"])
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak, "baseline_mb": base}


def measure(kind: str, customers: int, days: int, agents: bool, repeats: int) -> dict:
    """Median wall time and largest peak memory over ``repeats`` fresh processes."""
    runs = []
    for r in range(repeats):
        spec = {"kind": kind, "customers": customers, "days": days, "agents": agents, "seed": r}
        out = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(spec)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    wall = statistics.median(x["wall_s"] for x in runs)
    return {
        "benchmark": kind,
        "customers": customers,
        "days": days,
        "agents": agents,
        "workers": 1,
        "repeats": repeats,
        "wall_s": wall,
        "cpu_s": statistics.median(x["cpu_s"] for x in runs),
        "peak_mb": max(x["peak_mb"] for x in runs),
        "baseline_mb": max(x["baseline_mb"] for x in runs),
        "ns_per_customer_day": wall / (customers * days) * 1e9,
        "runs_per_s": 1 / wall,
    }


STARTUP = {
    "import pandas": ["-c", "import pandas"],
    "campaign-sim --help": ["-m", "sim.cli", "--help"],
    "campaign-sim validate": ["-m", "sim.cli", "validate", str(SCENARIO)],
}


def startup(repeats: int) -> list[dict]:
    """Median wall time of each start-up command over ``repeats`` fresh processes (the
    commands alternate, so a change in the machine's load hits all of them alike)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times: dict[str, list[float]] = {name: [] for name in STARTUP}
    for _ in range(repeats):
        for name, args in STARTUP.items():
            t = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env, cwd=ROOT)
            times[name].append(time.perf_counter() - t)
    pandas = statistics.median(times["import pandas"])
    return [
        {
            "benchmark": "startup",
            "command": name,
            "customers": 0,
            "days": 0,
            "agents": False,
            "workers": 1,
            "repeats": repeats,
            "wall_s": statistics.median(t),
            "x_pandas": statistics.median(t) / pandas,
        }
        for name, t in times.items()
    ]


def throughput(customers: int, days: int, workers: int, runs: int) -> dict:
    """Runs per second of ``run_replications`` with ``workers`` processes, after warm-up."""
    sys.path.insert(0, str(ROOT))
    from sim.loading import load_scenario
    from sim.runner import run_replications

    sc = load_scenario(SCENARIO, overrides(customers, days))
    run_replications(sc, 2 * workers, seed=1, jobs=workers)  # start and warm the workers
    t = time.perf_counter()
    run_replications(sc, runs, seed=2, jobs=workers)
    wall = time.perf_counter() - t
    return {
        "benchmark": "throughput",
        "customers": customers,
        "days": days,
        "agents": False,
        "workers": workers,
        "repeats": runs,
        "wall_s": wall,
        "ns_per_customer_day": wall / (runs * customers * days) * 1e9,
        "runs_per_s": runs / wall,
    }


def app_update(customers: int = 20_000, replications: int = 20, workers: int = 2, edits: int = 5) -> dict:
    """A lever change on the what-if page, through the browser-free session the page uses
    (:class:`sim.app.session.Session`): seconds from the edit to the first replication's
    result and to all ``replications`` (each paired with its baseline), with ``workers`` warm
    worker processes; median over ``edits`` bonus-rate edits after a warm-up run."""
    sys.path.insert(0, str(ROOT))
    from sim.app.runs import shutdown_pools
    from sim.app.session import Session

    s = Session(SCENARIO, [f"population.size={customers}"], replications=replications, seed=1, jobs=workers)
    s.batch.join()  # workers started, compiled and warm
    first, done = [], []
    for i in range(edits):
        t = time.perf_counter()
        s.set("offer.bonus_bp", 45 + 5 * i)
        batch = s.batch
        batch.wait(0)
        first.append(time.perf_counter() - t)
        batch.join()
        done.append(time.perf_counter() - t)
    s.close()
    shutdown_pools()
    # CPU seconds of one paired replication in this process: what a worker needs on a free core
    from sim.app.runs import run_one

    cpu = []
    for i in range(3):
        c = time.process_time()
        run_one(s.scenario, s.batch.seeds[i])
        cpu.append(time.process_time() - c)
    wall = statistics.median(done)
    return {
        "benchmark": "app_update",
        "customers": customers,
        "days": s.scenario.horizon,
        "agents": False,
        "workers": workers,
        "repeats": edits,
        "wall_s": wall,
        "first_s": statistics.median(first),
        "first_max_s": max(first),
        "done_max_s": max(done),
        "cpu_per_replication_s": statistics.median(cpu),
        "load_average": os.getloadavg()[0],
        "ns_per_customer_day": wall / (2 * replications * customers * s.scenario.horizon) * 1e9,
        "runs_per_s": replications / wall,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000", help="customers, comma-separated")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--repeats", type=int, default=3, help="fresh processes per size (median)")
    p.add_argument("--reference-size", type=int, default=5000, help="customers of the reference run")
    p.add_argument("--throughput-runs", type=int, default=120)
    p.add_argument("--startup-repeats", type=int, default=7)
    p.add_argument(
        "--only",
        default=",".join(KINDS),
        help="rows to measure, comma-separated (merged into the results); 'app' alone prints its row "
        "and leaves the result files untouched",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(json.loads(a.child))))
        return 0
    only = set(a.only.split(","))
    if unknown := only - set(KINDS):
        p.error(f"--only: unknown {sorted(unknown)}; choose from {', '.join(KINDS)}")
    if only == {"app"}:
        r = app_update()
        print(
            _line(r),
            f"first result {r['first_s']:.2f}s (max {r['first_max_s']:.2f}s), "
            f"all {r['wall_s']:.2f}s (max {r['done_max_s']:.2f}s); "
            f"CPU {r['cpu_per_replication_s']:.3f}s per paired replication; "
            f"load average {r['load_average']:.1f}",
            flush=True,
        )
        return 0
    if "optimizer" in only:
        optimizer_rows()  # benchmarks/optimizer.md and .csv
        if only == {"optimizer"}:
            return 0
    rows = []
    sizes = [int(s) for s in a.sizes.split(",")]
    for n in sizes if "engine" in only else ():
        for agents in (False, True):
            rows.append(measure("engine", n, a.days, agents, a.repeats))
            print(_line(rows[-1]), flush=True)
    for n in sizes if "paired" in only else ():
        rows.append(measure("paired", n, a.days, False, a.repeats))
        print(_line(rows[-1]), flush=True)
    if "reference" in only:
        rows.append(measure("reference", a.reference_size, a.days, False, 1))
        print(_line(rows[-1]), flush=True)
    for w in (1, 2) if "throughput" in only else ():
        rows.append(throughput(10_000, 60, w, a.throughput_runs))
        print(_line(rows[-1]), flush=True)
    if "app" in only:
        rows.append(app_update())
        print(_line(rows[-1]), flush=True)
    if "startup" in only:
        for r in startup(a.startup_repeats):
            rows.append(r)
            print(_line(r), flush=True)
    if only != set(KINDS):
        rows = [r for r in _read_rows() if _kind(r) not in only] + rows
        rows.sort(key=lambda r: KINDS.index(_kind(r)))
    if only == set(KINDS):  # a full run also measures calibration overhead (calib_bench.py)
        for spec in calib_bench.SPECS:
            rows.append(calib_bench.overhead(spec))
            print(calib_bench.line(rows[-1]), flush=True)
    write(rows, a)
    return 0


def optimizer_rows() -> None:
    """Evaluations to within 2% of the grid's best, TPE vs random (benchmarks/optimizer.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from optimizer import bench, markdown

    r = bench()
    with open(OUT / "optimizer.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(r))
        w.writeheader()
        w.writerow(r)
    (OUT / "optimizer.md").write_text(markdown(r) + "\n")
    print(markdown(r), flush=True)


KINDS = ("engine", "paired", "reference", "throughput", "app", "optimizer", "startup")
_INT = ("customers", "days", "workers", "repeats")


def _kind(row: dict) -> str:
    """The --only kind a results row belongs to."""
    return {"app_update": "app"}.get(row["benchmark"], row["benchmark"])


def _read_rows() -> list[dict]:
    """The rows of the last results.csv, typed back (to merge a partial run into them)."""
    path = OUT / "results.csv"
    if not path.is_file():
        return []
    rows = []
    with open(path, newline="") as f:
        for raw in csv.DictReader(f):
            r: dict = {}
            for k, v in raw.items():
                if v == "" or v is None:
                    continue
                if k in _INT:
                    r[k] = int(v)
                elif k == "agents":
                    r[k] = v == "True"
                elif k in ("benchmark", "command"):
                    r[k] = v
                else:
                    r[k] = float(v)
            rows.append(r)
    return rows


def _line(r: dict) -> str:
    if r["benchmark"] == "startup":
        return f"startup    {r['command']:<24} {r['wall_s']:.3f}s {r['x_pandas']:.2f}x import pandas"
    return f"{r['benchmark']:<10} n={r['customers']:>8} agents={r['agents']!s:<5} workers={r['workers']} " + (
        f"{r['wall_s']:.3f}s {r['ns_per_customer_day']:.1f} ns/customer-day {r['runs_per_s']:.2f} runs/s"
    )


def targets(rows: list[dict], sizes: list[int]) -> list[tuple[str, str, bool]]:
    eng = {(r["customers"], r["agents"]): r for r in rows if r["benchmark"] == "engine"}
    ref = next((r for r in rows if r["benchmark"] == "reference"), None)
    tp = {r["workers"]: r["runs_per_s"] for r in rows if r["benchmark"] == "throughput"}
    out = []
    if (big := eng.get((1_000_000, False))) and (big_a := eng.get((1_000_000, True))):
        out.append(("1M x 90 days, no agent objects <= 5 s", f"{big['wall_s']:.2f} s", big["wall_s"] <= 5))
        with_agents = f"{big_a['wall_s']:.2f} s"
        out.append(("1M x 90 days, with agent objects <= 10 s", with_agents, big_a["wall_s"] <= 10))
        peak = max(big["peak_mb"], big_a["peak_mb"])
        out.append(("1M peak memory <= 1.5 GB (whole process)", f"{peak:.0f} MB", peak <= 1536))
    if (mid := eng.get((100_000, False))) and ref:
        ratio = ref["ns_per_customer_day"] / mid["ns_per_customer_day"]
        label = f">= 50x the per-agent reference at 100k (reference at {ref['customers']}, per customer-day)"
        out.append((label, f"{ratio:.0f}x", ratio >= 50))
    if 1 in tp and 2 in tp:
        out.append(("10k x 60 days, 2 workers >= 30 runs/s", f"{tp[2]:.1f} runs/s", tp[2] >= 30))
        out.append(("2 workers >= 1.8x one worker", f"{tp[2] / tp[1]:.2f}x", tp[2] / tp[1] >= 1.8))
    if app := next((r for r in rows if r["benchmark"] == "app_update"), None):
        label = "what-if page, 20k x 20 replications (+ baselines), 2 workers: first result <= 1 s"
        out.append((label, f"{app['first_s']:.2f} s", app["first_s"] <= 1))
        label = "what-if page, same: all replications <= 3 s"
        out.append((label, f"{app['wall_s']:.2f} s", app["wall_s"] <= 3))
    for r in rows:
        if r["benchmark"] == "calibration":
            label = f"calibration overhead per simulation <= +25% ({r['spec']})"
            out.append((label, f"{r['overhead']:+.1%}", r["overhead"] <= 0.25))
    per_cd = [eng[(n, False)]["ns_per_customer_day"] for n in sizes if (n, False) in eng]
    if len(per_cd) > 1:
        mid_v = statistics.median(per_cd)
        dev = max(abs(v / mid_v - 1) for v in per_cd)
        text = f"{min(per_cd):.1f}-{max(per_cd):.1f} ns ({dev:+.0%} max from median)"
        out.append(("time per customer-day flat within +-25% (no agents)", text, dev <= 0.25))
    return out


def baseline_cost(rows: list[dict]) -> list[tuple[int, str]]:
    """Extra wall time of pairing each run with its baseline, per size (no agent objects)."""
    eng = {r["customers"]: r for r in rows if r["benchmark"] == "engine" and not r["agents"]}
    out = []
    for r in rows:
        if r["benchmark"] == "paired" and (e := eng.get(r["customers"])):
            extra = r["wall_s"] - e["wall_s"]
            out.append((r["customers"], f"+{extra:.3f} s (+{extra / e['wall_s']:.0%})"))
    return out


def _cpu() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine()
    names = [ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")]
    return names[0] if names else platform.machine()


def write(rows: list[dict], a: argparse.Namespace) -> None:
    cols = set().union(*(r.keys() for r in rows))
    order = ["benchmark", "customers", "days", "agents", "workers", "repeats", "wall_s", "peak_mb"]
    cols = order + sorted(c for c in cols if c not in order)
    with open(OUT / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    load = os.getloadavg()[0]
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{COMMAND}` ({' '.join(sys.argv[1:]) or 'defaults'}) on {platform.node()}: "
        f"{os.cpu_count()} cores, {_cpu()}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}. Scenario `scenarios/deposit_sprint.toml`, "
        f"`population.size=N`, `calendar.days=D-30` (D simulated days incl. 30 observation days).",
        "",
        *(
            [f"Only the `{a.only}` rows were measured then; the others are from the previous run.", ""]
            if set(a.only.split(",")) != set(KINDS)
            else []
        ),
        "| benchmark | customers | days | agents | workers | wall s | peak MB | ns/customer-day | runs/s |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r["benchmark"] == "startup":
            continue
        peak = f"{r['peak_mb']:.0f}" if "peak_mb" in r else ""
        lines.append(
            f"| {r['benchmark']} | {r['customers']:,} | {r['days']} | {'yes' if r['agents'] else 'no'} | "
            f"{r['workers']} | {r['wall_s']:.3f} | {peak} | {r['ns_per_customer_day']:.1f} | "
            f"{r['runs_per_s']:.2f} |"
        )
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    sizes = [int(s) for s in a.sizes.split(",")]
    lines += [f"| {t} | {m} | {'yes' if ok else 'NO'} |" for t, m, ok in targets(rows, sizes)]
    if up := [r for r in rows if r["benchmark"] == "startup"]:
        lines += ["", "| start-up (fresh process, median) | wall s | x `import pandas` |", "|---|---:|---:|"]
        lines += [f"| `{r['command']}` | {r['wall_s']:.3f} | {r['x_pandas']:.2f} |" for r in up]
        worst = max(r["x_pandas"] for r in up if r["command"] != "import pandas")
        lines += [f"| target: at most 2x `import pandas` | | {'met' if worst <= 2 else 'NOT met'} |"]
    lines += ["", "| baseline arm (campaign-off counterfactual) | extra wall time |", "|---|---:|"]
    lines += [f"| {n:,} customers x {a.days} days | {extra} |" for n, extra in baseline_cost(rows)]
    lines += [
        "",
        "Wall time: median of fresh processes, model construction (population, graph) to summary KPIs,",
        "imports excluded; `cpu_s` in the CSV is the process CPU time of the same span (the machine is",
        f"shared: load average {load:.1f} when the table was written). Peak memory: the",
        "process's max RSS, interpreter and imports included. The reference runs at a smaller size; its",
        "speed ratio is per customer-day against the 100k engine run.",
    ]
    (OUT / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
