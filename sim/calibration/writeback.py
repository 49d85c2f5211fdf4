"""The calibrated scenario: the base scenario with each free parameter at its posterior
median, written as a standalone TOML that ``run``, ``sweep`` and ``sobol`` accept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.calibration.spec import Calibration
from sim.loading import apply_overrides, dump_scenario, scenario_from_dict
from sim.results import atomic_write
from sim.scenario import Scenario


def calibrated_scenario(cal: Calibration, table: pd.DataFrame) -> Scenario:
    """Posterior medians written into the (population-scaled) base scenario."""
    medians = table.set_index("parameter")["median"]
    sets = cal.edits({p.name: float(medians[p.name]) for p in cal.spec.parameters})
    data = apply_overrides(cal.base, sets)
    data["name"] = f"{cal.scenario.name}_calibrated"
    data["description"] = f"{cal.scenario.name} calibrated by {cal.spec.name} (posterior medians)"
    return scenario_from_dict(data, f"calibrated {cal.spec.name}")


def header(cal: Calibration, table: pd.DataFrame, level: float) -> str:
    """TOML comments recording where the numbers came from (tomli_w writes no comments)."""
    lines = [
        f"# Calibrated by campaign-sim calibrate {cal.source}",
        f"# base scenario: {cal.scenario_path}; data: {cal.data_path}",
        f"# posterior medians with {level:.0%} credible intervals:",
    ]
    lines += [
        f"#   {r.field} = {r.median:.6g}  [{r.low:.6g}, {r.high:.6g}]" for r in table.itertuples(index=False)
    ]
    if cal.spec.inputs:
        fields = ", ".join(i.field for i in cal.spec.inputs)
        lines.append(f"# per-period inputs ({fields}) keep the base scenario's values: set them per what-if")
    return "\n".join(lines) + "\n\n"


def write_calibrated(path: Path, cal: Calibration, table: pd.DataFrame, level: float) -> Scenario:
    sc = calibrated_scenario(cal, table)
    text = header(cal, table, level) + dump_scenario(sc)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return sc
