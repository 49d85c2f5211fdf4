"""Start-up: `campaign-sim --help` and `validate` load no heavy library, and importing
the package never changes matplotlib's backend. (Times are measured by benchmarks/run.py's
start-up row, not asserted here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numba", "scipy", "matplotlib", "mesa", "pandas", "pyarrow", "pyabc", "dask", "SALib", "joblib")

_PROBE = """
import json, sys
from sim.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
main(["validate", sys.argv[1]])
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    )
    return done.stdout.strip().splitlines()[-1]


def test_help_and_validate_load_no_heavy_library() -> None:
    loaded = set(json.loads(_run(_PROBE, str(ROOT / "scenarios" / "deposit_sprint.toml"))))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_importing_the_library_keeps_the_matplotlib_backend() -> None:
    code = (
        "import matplotlib\n"
        "import sim, sim.report, sim.report.plots, sim.experiments.plots, sim.calibration.plots, sim.runner\n"
        "import sim.optimize.report, sim.app.figures\n"
        "print(matplotlib.get_backend())"
    )
    assert _run(code, env={"MPLBACKEND": "svg"}).lower() == "svg"
