"""Design expansion: a spec's factors -> design points -> runs (point x replication).

Grids take the product of each factor's levels. Latin hypercube and Sobol designs are
drawn by SALib on the unit cube, one variable per factor (a channel mix without levels
has one variable per channel, grouped under the factor's name so Sobol indices are
reported for the mix as a whole), then decoded into factor values: bounds map linearly,
levels are picked by equal slices of [0, 1), and integer fields are rounded.

Common random numbers: replication ``r`` of every design point uses child ``r`` of
``SeedSequence(spec.seed)``, so differences between points are not seed noise.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import latin
from SALib.sample import sobol as sobol_sample

from sim.experiments.edits import expand, field_at, is_int_field, mix_shares
from sim.experiments.spec import Experiment, ExperimentSpec, Factor


@dataclass
class DesignTable:
    values: list[dict[str, Any]]  # per point: factor -> value (a channel mix: channel -> share)
    points: pd.DataFrame  # point, then one column per factor (mix: one per channel share)
    unit: np.ndarray | None  # the unit-cube sample, rows in SALib order (lhs, sobol)
    problem: dict[str, Any]  # SALib problem over the unit-cube variables


def variables(spec: ExperimentSpec) -> list[tuple[str, str]]:
    """(variable, factor) pairs of the unit cube."""
    out = []
    for name, f in spec.factors.items():
        if f.is_mix and not f.levels:
            out += [(f"{name}.{c}", name) for c in f.channels]
        else:
            out.append((name, name))
    return out


def problem(spec: ExperimentSpec) -> dict[str, Any]:
    pairs = variables(spec)
    prob: dict[str, Any] = {
        "num_vars": len(pairs),
        "names": [v for v, _ in pairs],
        "bounds": [[0.0, 1.0]] * len(pairs),
    }
    if any(v != f for v, f in pairs):
        prob["groups"] = [f for _, f in pairs]
    return prob


def expand_design(exp: Experiment) -> DesignTable:
    spec, base = exp.spec, exp.base
    prob = problem(spec)
    if spec.design.kind == "grid":
        unit = None
        levels = [_grid_levels(f) for f in spec.factors.values()]
        values = [
            {
                name: _decode_level(f, base, lv)
                for (name, f), lv in zip(spec.factors.items(), combo, strict=True)
            }
            for combo in itertools.product(*levels)
        ]
    else:
        n = spec.design.n or 1
        if spec.design.kind == "lhs":
            # no groups here: SALib's LHS would give every variable of a group the same value
            unit = latin.sample({k: v for k, v in prob.items() if k != "groups"}, n, seed=spec.seed)
        else:
            unit = sobol_sample.sample(prob, n, calc_second_order=spec.design.second_order, seed=spec.seed)
        values = [decode(spec, base, row) for row in unit]
    points = pd.DataFrame([flatten(v) for v in values])
    points.insert(0, "point", np.arange(len(values), dtype=np.int64))
    return DesignTable(values, points, unit, prob)


def decode(spec: ExperimentSpec, base: dict[str, Any], row: np.ndarray) -> dict[str, Any]:
    """Factor values of one unit-cube row (columns in ``variables`` order)."""
    out: dict[str, Any] = {}
    i = 0
    for name, f in spec.factors.items():
        if f.is_mix and not f.levels:
            lo, hi = f.bounds
            k = len(f.channels)
            out[name] = mix_shares(
                f, base, {c: lo + u * (hi - lo) for c, u in zip(f.channels, row[i : i + k], strict=True)}
            )
            i += k
            continue
        u = float(row[i])
        i += 1
        if f.levels:
            out[name] = _decode_level(f, base, f.levels[min(int(u * len(f.levels)), len(f.levels) - 1)])
        else:
            lo, hi = f.bounds
            out[name] = _number(f, base, lo + u * (hi - lo))
    return out


def flatten(values: dict[str, Any]) -> dict[str, Any]:
    """One column per scalar factor; a channel mix gives ``factor.channel`` share columns."""
    flat: dict[str, Any] = {}
    for name, v in values.items():
        if isinstance(v, dict):
            flat.update({f"{name}.{c}": s for c, s in v.items()})
        else:
            flat[name] = v
    return flat


def run_plan(exp: Experiment, design: DesignTable) -> pd.DataFrame:
    """One row per run: run_id, point, replication, key, seed; plus the factor columns.

    ``key`` hashes the base scenario, the point's values and the seed, so the store can
    recognise a finished run even if the design around it changed. Identical design
    points share keys (Sobol designs with discrete factors repeat some): they run once."""
    spec = exp.spec
    seeds = np.random.SeedSequence(spec.seed).spawn(spec.replications)
    base_hash = exp.base_hash
    rows = []
    for point, values in enumerate(design.values):
        text = json.dumps(values, sort_keys=True, default=str)
        for r, ss in enumerate(seeds):
            key_src = f"{base_hash}|{text}|{ss.entropy}|{list(ss.spawn_key)}"
            rows.append(
                {
                    "run_id": point * spec.replications + r,
                    "point": point,
                    "replication": r,
                    "key": hashlib.sha256(key_src.encode()).hexdigest()[:24],
                    "seed_entropy": str(ss.entropy),
                    "seed_spawn_key": json.dumps(list(ss.spawn_key)),
                }
            )
    plan = pd.DataFrame(rows)
    return plan.merge(design.points, on="point", how="left", validate="many_to_one")


def _grid_levels(f: Factor) -> list[Any]:
    if f.levels:
        return list(f.levels)
    lo, hi = f.bounds
    return [float(x) for x in np.linspace(lo, hi, f.steps)]


def _decode_level(f: Factor, base: dict[str, Any], level: Any) -> Any:
    if f.is_mix:
        return mix_shares(f, base, {c: float(level.get(c, 0.0)) for c in f.channels})
    return (
        _number(f, base, level) if isinstance(level, float | int) and not isinstance(level, bool) else level
    )


def _number(f: Factor, base: dict[str, Any], x: float) -> float | int:
    """Round when the (first) target field is an integer and the op writes it directly."""
    if f.op == "set":
        keys = expand(base, f.paths[0])
        field, _ = field_at(keys[0]) if keys else (None, None)
        if is_int_field(field):
            return round(x)
    return float(x)
