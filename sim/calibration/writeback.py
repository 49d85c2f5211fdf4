"""The calibrated scenario: the base scenario with each free parameter at its posterior
median, and in ``[uncertainty]`` a table of posterior draws that every run then samples
from (``sim/uncertainty.py``), written as a standalone TOML that ``run``, ``compare``,
``sweep`` and ``sobol`` accept. The draws are also written as ``posterior_draws.csv``.

The draws are carried inside the scenario rather than referenced by path, so every
command, worker process and dask task that receives the scenario has them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.posterior import resample
from sim.calibration.spec import Calibration
from sim.loading import apply_overrides, dump_scenario, scenario_from_dict, value_at
from sim.results import atomic_write
from sim.scenario import Scenario

DRAWS = 200  # posterior rows carried into what-ifs
CARRY = 3  # spawn-key stream of the carried draws (0 model, 1 sampler, 2 predictive)


def posterior_draws(cal: Calibration, sample: pd.DataFrame, n: int = DRAWS) -> pd.DataFrame:
    """``n`` rows resampled from the weighted posterior, one column per scenario field
    (complements and integer rounding applied, as the runs will see them)."""
    names = [p.name for p in cal.spec.parameters]
    rows = resample(sample, names, n, np.random.SeedSequence(cal.spec.seed, spawn_key=(CARRY,)))
    out = {}
    for p in cal.spec.parameters:
        x = rows[p.name].to_numpy(dtype=float)
        for f in (p.field, *p.also):
            out[f] = np.round(x) if p.name in cal.integer else x
        if p.complement is not None:
            out[p.complement] = 1.0 - x
    return pd.DataFrame(out)


def calibrated_scenario(cal: Calibration, table: pd.DataFrame, draws: pd.DataFrame | None = None) -> Scenario:
    """Posterior medians written into the (population-scaled) base scenario, with the
    posterior ``draws`` (if given) in ``[uncertainty]``."""
    medians = table.set_index("parameter")["median"]
    sets = cal.edits({p.name: float(medians[p.name]) for p in cal.spec.parameters})
    data = apply_overrides(cal.base, sets)
    data["name"] = f"{cal.scenario.name}_calibrated"
    data["description"] = f"{cal.scenario.name} calibrated by {cal.spec.name} (posterior medians)"
    if draws is None:
        return scenario_from_dict(data, f"calibrated {cal.spec.name}")
    # the values as validated (integer rounding, complements): what "not edited" looks like
    held = scenario_from_dict(data, f"calibrated {cal.spec.name}").model_dump(mode="json", exclude_none=True)
    data["uncertainty"] = {
        "calibration": cal.spec.name,
        "fields": list(draws.columns),
        "draws": draws.to_numpy(dtype=float).tolist(),
        "medians": [float(value_at(held, f)) for f in draws.columns],
    }
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
    lines += [
        "# [uncertainty]: posterior draws; each run uses one, so results include parameter",
        "# uncertainty. --set uncertainty.use=medians (run --medians) uses the medians above;",
        "# a calibrated field you edit (--set, a sweep, a lever) keeps your value, the rest are drawn.",
    ]
    return "\n".join(lines) + "\n\n"


def write_calibrated(
    path: Path, cal: Calibration, table: pd.DataFrame, level: float, draws: pd.DataFrame | None = None
) -> Scenario:
    sc = calibrated_scenario(cal, table, draws)
    text = header(cal, table, level) + dump_scenario(sc)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return sc
