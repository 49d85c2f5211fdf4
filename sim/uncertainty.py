"""Parameter uncertainty carried from a calibration into every what-if.

A calibrated scenario (``campaign-sim calibrate``) holds its posterior medians as the
scenario's values and, in ``[uncertainty]``, a table of posterior draws of the calibrated
fields. Each run then draws one row, so replications spread over the parameter values the
data allow, not only over the model's own randomness (Bayesian posterior-predictive
simulation; Gelman et al. 2013, Bayesian Data Analysis, ch. 6).

The row is chosen by the run's seed (its own stream), so paired runs (compare, the
campaign-off baseline) with the same seed use the same parameters: differences between
options are not blurred by different parameter draws. ``use = "medians"`` switches the
draws off (the scenario's own values, the medians, are used).

A calibrated field the planner has since edited (``--set``, a sweep axis, an optimiser
lever, a what-if slider) keeps the edit: the draws record each field's calibrated value,
and a field that no longer holds it is not drawn (:func:`held_fields`). The other fields
are still drawn, so an edit of one parameter keeps the uncertainty of the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # sim.scenario checks the draws with this module at load
    from sim.data_schema import Uncertainty
    from sim.scenario import Scenario

DRAW_STREAM = 2**31 - 2  # spawn-key element of the draw choice (model streams use 0, 1, ...)


def draw_index(uncertainty_rows: int, seed: np.random.SeedSequence) -> int:
    """Which posterior row a run with ``seed`` uses (uniform over the rows)."""
    ss = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, DRAW_STREAM))
    return int(np.random.default_rng(ss).integers(uncertainty_rows))


def held_fields(scenario: Scenario) -> tuple[str, ...]:
    """Calibrated fields whose value was edited after calibration (they are not drawn)."""
    if scenario.uncertainty is None:
        return ()
    return _held(scenario.uncertainty, scenario.model_dump(mode="json", exclude_none=True))


def _held(u: Uncertainty, data: dict[str, Any]) -> tuple[str, ...]:
    if u.medians is None:
        return ()
    from sim.loading import value_at

    return tuple(f for f, m in zip(u.fields, u.medians, strict=True) if not _same(value_at(data, f), m))


def _same(value: object, median: float) -> bool:
    # the medians went through TOML and back: compare as numbers, to rounding
    return isinstance(value, int | float) and bool(np.isclose(float(value), median, rtol=1e-9, atol=0.0))


def with_parameter_draw(scenario: Scenario, seed: np.random.SeedSequence) -> Scenario:
    """The scenario with one posterior draw written in (unchanged without draws); fields
    edited since calibration (:func:`held_fields`) keep their edited values."""
    u = scenario.uncertainty
    if u is None or u.use == "medians":
        return scenario
    from sim.loading import scenario_from_dict

    row = u.draws[draw_index(len(u.draws), seed)]
    data = scenario.model_dump(mode="json", exclude_none=True)
    return scenario_from_dict(_drawn(data, u, _held(u, data), row), f"posterior draw of {u.calibration}")


def _drawn(
    data: dict[str, Any], u: Uncertainty, held: tuple[str, ...], row: tuple[float, ...]
) -> dict[str, Any]:
    """A copy of the scenario ``data`` with ``row`` written into the fields not ``held``."""
    from sim.loading import apply_overrides

    edits = [f"{f}={v!r}" for f, v in zip(u.fields, row, strict=True) if f not in held]
    out = apply_overrides(data, edits)
    out["uncertainty"]["use"] = "medians"  # drawn once: the drawn scenario is final
    return out


def draw_problems(scenario: Scenario) -> list[str]:
    """Why some posterior draws cannot run (a hand-edited or foreign draw outside a
    field's range), checked at load rather than when a run picks the row: each row that
    holds a column's smallest or largest value is written in and validated (single-field
    ranges are broken at a column's extremes first; whole rows keep cross-field rules such
    as shares and their complements consistent)."""
    u = scenario.uncertainty
    if u is None or u.use == "medians":
        return []
    from sim.loading import SpecError, scenario_from_dict

    data = scenario.model_dump(mode="json", exclude_none=True)
    held = _held(u, data)
    table = np.asarray(u.draws, dtype=float)
    rows = sorted({int(i) for i in (*table.argmin(axis=0), *table.argmax(axis=0))})
    problems = []
    for r in rows:
        try:
            scenario_from_dict(_drawn(data, u, held, u.draws[r]), f"row {r}")
        except SpecError as exc:
            # "; " separates the scenario's own problems when they are reported: keep this one whole
            why = ", ".join(p.replace("; ", ", ") for p in exc.problems)
            problems.append(f"uncertainty.draws row {r} cannot run: {why}")
    return problems


def describe(scenario: Scenario) -> str | None:
    """The report's sentence about parameter uncertainty, or None."""
    u = scenario.uncertainty
    if u is None:
        return None
    if u.use == "medians":
        return (
            f"parameters at the posterior medians of calibration {u.calibration} (no parameter uncertainty)"
        )
    held = held_fields(scenario)
    drawn = [f for f in u.fields if f not in held]
    if not drawn:
        return (
            f"every parameter of calibration {u.calibration} was edited ({', '.join(held)}): "
            "no parameter uncertainty"
        )
    text = (
        f"includes parameter uncertainty from calibration {u.calibration}: each replication draws "
        f"one of {len(u.draws)} posterior parameter sets ({', '.join(drawn)})"
    )
    return text + (f"; edited, so not drawn: {', '.join(held)}" if held else "")
