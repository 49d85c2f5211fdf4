"""The calibration file schema: base scenario, observed data, free parameters, inference.

A calibration TOML is validated like a scenario (``sim.loading.load_spec``), so errors
read ``file: field.path: message`` and the CLI exits with code 2. :func:`load_calibration`
also resolves the scenario and data paths (relative to the spec file) and checks every
parameter and input field against the scenario, so a typo fails before any simulation.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.kpis import DAILY_COLUMNS, PAIRED_DAILY_COLUMNS
from sim.loading import SpecError, apply_overrides, load_spec, resolve_bases, scenario_from_dict
from sim.scenario import Scenario, Strict

# daily outputs an observed column may map to (numbers, not labels or flags)
# (baseline_* outputs are the campaign-off arm's, for calibrating to a hold-out group)
OUTPUTS = (
    *(c for c in DAILY_COLUMNS if c not in ("day", "phase", "incentives_on")),
    *PAIRED_DAILY_COLUMNS,
)
NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Prior(Strict):
    """A prior of a free parameter; ``uniform``/``loguniform`` take low and high,
    ``normal`` mean and sd, ``lognormal`` median and sigma."""

    dist: Literal["uniform", "loguniform", "normal", "lognormal"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    median: float | None = Field(None, gt=0)
    sigma: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Prior:
        need = {
            "uniform": ("low", "high"),
            "loguniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "lognormal": ("median", "sigma"),
        }[self.dist]
        given = {k for k in ("low", "high", "mean", "sd", "median", "sigma") if getattr(self, k) is not None}
        if missing := [k for k in need if k not in given]:
            raise ValueError(f"a {self.dist} prior needs {' and '.join(need)} (missing {', '.join(missing)})")
        if extra := sorted(given - set(need)):
            raise ValueError(f"a {self.dist} prior takes only {' and '.join(need)}, not {', '.join(extra)}")
        if self.low is not None and not self.high > self.low:
            raise ValueError(f"high must be greater than low (got low={self.low}, high={self.high})")
        if self.dist == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform prior needs low > 0")
        return self


class Parameter(Strict):
    name: str = Field(pattern=NAME, description="short label used in tables and plots")
    field: str = Field(description="scenario field, e.g. 'diffusion.innovation' or 'segments.0.threshold'")
    prior: Prior
    truth: float | None = Field(None, description="known value (synthetic data), shown in reports")
    complement: str | None = Field(None, description="field set to 1 - value (two shares summing to 1)")
    also: tuple[str, ...] = Field(
        (), description="more fields set to the same value (one parameter shared by channels or segments)"
    )

    def edits(self, value: float, integer: bool = False) -> list[str]:
        """``--set`` style edits that put ``value`` into the scenario (rounded to the
        nearest whole number for an integer field: its prior is then an integer prior)."""
        shown = f"{round(float(value))}" if integer else f"{float(value)!r}"
        out = [f"{f}={shown}" for f in (self.field, *self.also)]
        if self.complement is not None:
            out.append(f"{self.complement}={1.0 - float(value)!r}")
        return out


class Observe(Strict):
    column: str = Field(description="column of the observed data")
    output: Literal[OUTPUTS] = Field(description="model daily output it measures")  # type: ignore[valid-type]
    aggregate: Literal["sum", "mean", "last"] = Field("sum", description="model days -> one period")
    # A log that books each outcome on its contact's date (a call's result) against a model
    # that books it when the customer decides, a day later at the earliest.
    lag_days: int = Field(
        0, ge=0, le=366, description="model day d counts toward the period of day d - lag_days"
    )


class Input(Strict):
    """An exogenous series: each period runs with ``field = column * scale + offset``."""

    column: str
    field: str
    scale: float = 1.0
    offset: float = 0.0


FREQUENCIES = ("day", "week", "month", "quarter", "year", "period")


class Replay(Strict):
    """A logged series replayed day by day inside one run (``[schedule]`` of the scenario).

    ``target`` is ``contacts.<channel>`` (the period's real contacts, spread evenly over its
    model days), ``market_shift_pp``, ``competitor_rate_pp``, ``to_subscribers.<channel>``
    or ``to_contacts.<channel>`` (shares of the channel's contacts made to earlier
    subscribers and to earlier contacts; a level held every day of the period); the value
    is ``column * scale + offset``."""

    column: str
    target: str = Field(
        pattern=r"^((contacts|to_subscribers|to_contacts)\.[A-Za-z0-9_]+|market_shift_pp|competitor_rate_pp)$"
    )
    scale: float = 1.0
    offset: float = 0.0


class Data(Strict):
    """Observed periods. Calendar frequencies read the date column as dates (any day of a
    week, month, quarter or year names it; a year may be just ``1995``); ``period`` reads
    it as consecutive period numbers (1, 2, 3, ...) and needs ``days_per_period``.

    Without ``days_per_period`` model day ``d`` is the date ``start + d`` and each period
    spans its calendar days (months of 28-31). With it, every period spans exactly that
    many model days (the model's time steps), so the scenario's daily rates read per
    ``1/days_per_period`` of a period: ``days_per_period = 12`` for annual data makes a
    model day a month."""

    path: str = Field(description="CSV or parquet file, relative to the spec file")
    date_column: str = "date"
    frequency: Literal[FREQUENCIES] = "day"  # type: ignore[valid-type]
    days_per_period: int | None = Field(None, ge=1, le=366, description="model days per period")
    gaps: Literal["error", "allow"] = Field("error", description="'allow' when missing periods are real")
    start: dt.date | None = Field(None, description="date of model day 0 (default: first period's start)")
    date_format: str | None = Field(
        None, description="strftime format of the dates, e.g. '%d/%m/%Y'; required for dd/mm or mm/dd dates"
    )

    @model_validator(mode="after")
    def _period_length(self) -> Data:
        if self.frequency == "period" and self.days_per_period is None:
            raise ValueError("frequency 'period' (numbered periods) needs days_per_period")
        if self.start is not None and self.days_per_period is not None:
            raise ValueError("start applies to calendar days; with days_per_period day 0 is the first period")
        return self

    @property
    def label(self) -> str:
        """How one period reads in reports, e.g. 'month' or 'period of 12 model days'."""
        if self.days_per_period is None:
            return self.frequency
        unit = "period" if self.frequency == "period" else self.frequency
        return f"{unit} = {self.days_per_period} model days"


class PopulationScale(Strict):
    """How the simulated population stands for the real customer base."""

    size: int | None = Field(None, ge=10, description="simulated customers (default: the scenario's)")
    represents: float | None = Field(
        None, gt=0, description="real customers: the market size (default: the scenario's); may be fitted"
    )


class Holdout(Strict):
    start: str | None = Field(None, description="first held-out period, e.g. '2010-01'; later ones too")


class Observation(Strict):
    """Noise between what the market did and what was recorded, on every observed column.

    ``negbin``: the observed count is negative binomial with the simulated value as mean
    and variance ``mean + dispersion * mean^2`` (over-dispersed counts; Poisson as the
    dispersion goes to 0). ``lognormal``: the observed amount is the simulated one times
    ``exp(dispersion * Z - dispersion^2 / 2)``, Z standard normal (multiplicative error,
    mean preserved). The dispersion is fitted with the other parameters (its ``prior``)."""

    noise: Literal["none", "negbin", "lognormal"] = "none"
    dispersion: Prior = Field(
        Prior(dist="loguniform", low=0.001, high=1.0), description="prior of the noise's dispersion"
    )


DISPERSION = "dispersion"  # the name the fitted noise dispersion takes in tables


class Inference(Strict):
    distance: Literal["auto", "adaptive", "euclidean", "scaled", "log"] = Field(
        "auto",
        description="euclidean: raw values, large periods dominate; scaled: each observed column divided "
        "by its root mean square, so columns count alike; adaptive: each period scaled by its spread "
        "over the generation (Prangle 2017), small periods count as much as large ones; log: "
        "log(1 + value / column scale), relative errors count alike in small and large periods; "
        "auto: euclidean for one observed column, scaled for several (docs/calibration.md)",
    )
    log_scale: float | None = Field(
        None, gt=0,
        description="log distance: the count s in log(1 + value / s), below which differences "
        "count as absolute rather than relative (default: each column's smallest positive fitted value)",
    )  # fmt: skip
    population_size: int = Field(100, ge=5, le=100_000)
    generations: int = Field(8, ge=1, le=100)
    budget: int = Field(5000, ge=10, description="maximum simulations in all")
    min_acceptance_rate: float = Field(0.02, ge=0, le=1, description="stop when acceptance falls below")
    min_epsilon: float = Field(0.0, ge=0)
    acceptance: Literal["distance", "likelihood"] = Field(
        "distance",
        description="distance: accept a simulation whose noisy series lies within the generation's "
        "tolerance of the data; likelihood: accept with probability given by the observation model's "
        "likelihood of the data, tempered down to 1 (pyabc's stochastic acceptor, Wilkinson 2013), so "
        "the fitted dispersion measures how far the data scatter around the model (docs/calibration.md)",
    )
    moves: int = Field(
        0, ge=0, le=1000,
        description="likelihood acceptance: after the last generation, resample its particles and move "
        "each this many times with a Metropolis-Hastings kernel that keeps the posterior (resample-move), "
        "so a posterior whose weights sit on a few particles spreads along its ridges; costs "
        "population_size simulations per move, counted in the budget (docs/calibration.md)",
    )  # fmt: skip
    batch: int | None = Field(None, ge=1, description="evaluations per parallel round (default 4x jobs)")

    @property
    def move_simulations(self) -> int:
        """Simulations the moves cost: one per particle and move."""
        return self.population_size * self.moves


class Predictive(Strict):
    draws: int = Field(100, ge=2, le=10_000, description="posterior draws simulated for the bands")
    level: float = Field(0.9, gt=0, lt=1, description="credible level of intervals and bands")


class CalibrationSpec(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str = Field(description="scenario TOML, relative to the spec file")
    seed: int = Field(0, ge=0)
    set: tuple[str, ...] = Field((), description="fixed scenario edits, e.g. 'calendar.days=140'")
    data: Data
    population: PopulationScale = PopulationScale()
    parameters: tuple[Parameter, ...] = Field(min_length=1)
    observe: tuple[Observe, ...] = Field(min_length=1)
    inputs: tuple[Input, ...] = ()
    replay: tuple[Replay, ...] = Field((), description="logged series replayed inside one run")
    holdout: Holdout = Holdout()
    observation: Observation = Observation()
    inference: Inference = Inference()
    predictive: Predictive = Predictive()

    @model_validator(mode="after")
    def _unique(self) -> CalibrationSpec:
        for what, names in (
            ("parameters: names", [p.name for p in self.parameters]),
            ("parameters: fields", [p.field for p in self.parameters]),
            ("observe: columns", [o.column for o in self.observe]),
        ):
            if len(set(names)) != len(names):
                raise ValueError(f"{what} must be unique")
        if self.inputs and self.replay:
            raise ValueError("inputs (one run per period) and replay (one run) exclude each other")
        if self.inputs and any(o.lag_days for o in self.observe):
            raise ValueError("observe: lag_days needs one run for all periods (inputs run each alone)")
        if self.inference.acceptance == "likelihood" and self.observation.noise == "none":
            raise ValueError(
                "inference.acceptance = 'likelihood' needs an observation model: "
                "set observation.noise to 'negbin' (counts) or 'lognormal' (amounts)"
            )
        if self.inference.moves and self.inference.acceptance != "likelihood":
            raise ValueError(
                "inference.moves needs inference.acceptance = 'likelihood' (the moves keep the "
                "likelihood's posterior; a distance has no density to move on)"
            )
        if self.inference.move_simulations >= self.inference.budget:
            raise ValueError(
                f"inference.budget ({self.inference.budget:,}) must exceed population_size x moves "
                f"({self.inference.move_simulations:,}): the moves count in the budget"
            )
        if self.observation.noise != "none" and DISPERSION in {p.name for p in self.parameters}:
            raise ValueError(f"parameters: the name {DISPERSION!r} is taken by the observation noise")
        return self

    @property
    def fitted(self) -> tuple[Parameter, ...]:
        """Every fitted quantity: the scenario parameters, then the noise's dispersion."""
        if self.observation.noise == "none":
            return self.parameters
        noise = Parameter(name=DISPERSION, field="observation.dispersion", prior=self.observation.dispersion)
        return (*self.parameters, noise)

    @property
    def distance(self) -> str:
        """The distance in use (``auto`` resolved by the data's shape)."""
        if self.inference.distance != "auto":
            return self.inference.distance
        return "euclidean" if len(self.observe) == 1 else "scaled"

    @property
    def per_period(self) -> bool:
        """With exogenous inputs every period is its own run (README: "Per-period runs")."""
        return bool(self.inputs)


@dataclass(frozen=True)
class Calibration:
    """A loaded spec with its resolved files and the scenario as a raw dict."""

    spec: CalibrationSpec
    source: str
    scenario_path: Path
    data_path: Path
    base: dict[str, Any]  # resolved scenario dict with the population scaling applied
    scenario: Scenario
    integer: frozenset[str] = frozenset()  # names of parameters whose field holds whole numbers

    def edits(self, values: dict[str, float]) -> list[str]:
        """Edits putting parameter ``values`` (by name) into the base scenario."""
        params = {p.name: p for p in self.spec.parameters}
        return [e for k, v in values.items() if k in params for e in params[k].edits(v, k in self.integer)]


def is_calibration(path: str | Path) -> bool:
    """Whether a TOML file is a calibration spec (it names a scenario and observations)
    rather than a scenario; unreadable files are not (the scenario loader reports them)."""
    try:
        raw = resolve_bases(path)
    except SpecError:
        return False
    return isinstance(raw.get("scenario"), str) and "observe" in raw


def load_calibration(path: str | Path, overrides: Iterable[str] = ()) -> Calibration:
    """Load and validate a calibration spec, its scenario, and every field it names."""
    spec = load_spec(CalibrationSpec, path, overrides)
    here = Path(path).parent
    scenario_path, data_path = here / spec.scenario, here / spec.data.path
    base = apply_overrides(resolve_bases(scenario_path), spec.set)
    scaling = {k: v for k, v in spec.population.model_dump().items() if v is not None}
    base.setdefault("population", {}).update(scaling)
    base["population"]["agents"] = False  # agent views never change the numbers; skip them
    scenario = scenario_from_dict(base, str(scenario_path))
    integer = frozenset(p.name for p in spec.parameters if _is_integer(scenario, p.field))
    cal = Calibration(spec, str(path), scenario_path, data_path, base, scenario, integer)
    problems = []
    for i, p in enumerate(spec.parameters):
        problems += _check_field(cal, f"parameters[{i}].field", p.field)
        if p.complement is not None:
            problems += _check_field(cal, f"parameters[{i}].complement", p.complement)
        for j, f in enumerate(p.also):
            problems += _check_field(cal, f"parameters[{i}].also[{j}]", f)
        if not problems:
            for end, value in zip(("low", "high"), _prior_ends(p.prior), strict=True):
                problems += _check_value(cal, f"parameters[{i}].prior", p, value, f"prior's {end} end")
    for i, inp in enumerate(spec.inputs):
        problems += _check_field(cal, f"inputs[{i}].field", inp.field)
    for i, r in enumerate(spec.replay):
        kind, _, channel = r.target.partition(".")
        if channel and channel not in scenario.channels:
            near = difflib.get_close_matches(channel, list(scenario.channels), n=1, cutoff=0.5)
            hint = f"; did you mean '{kind}.{near[0]}'?" if near else ""
            problems.append(f"replay[{i}].target: {channel!r} is not a channel of {scenario_path}{hint}")
    if problems:
        raise SpecError(str(path), problems)
    return cal


#: z of the 99.9% central range: a normal or lognormal prior's "ends" for bound checks
Z_END = 3.29


def _prior_ends(prior: Prior) -> tuple[float, float]:
    """Where the prior's draws can go: (low, high) of a uniform, the 99.9% central range of
    a normal or lognormal (so a prior reaching past a field's bounds is refused at load,
    not after hours of simulations)."""
    if prior.dist in ("uniform", "loguniform"):
        return prior.low, prior.high
    if prior.dist == "normal":
        return prior.mean - Z_END * prior.sd, prior.mean + Z_END * prior.sd
    return prior.median * math.exp(-Z_END * prior.sigma), prior.median * math.exp(Z_END * prior.sigma)


def _check_field(cal: Calibration, where: str, field: str) -> list[str]:
    """The field must already exist in the scenario (a typo must not add a new key)."""
    node: Any = cal.base
    for part in field.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and _schema_has(cal.scenario, field):
            node = None  # a schema field left at its default
            break
        else:
            return [f"{where}: {field!r} is not a field of scenario {cal.scenario_path}"]
    return []


def _check_value(cal: Calibration, where: str, p: Parameter, value: float, what: str) -> list[str]:
    if not math.isfinite(value):
        return [f"{where}: the {what} is not finite ({value})"]
    try:
        scenario_from_dict(apply_overrides(cal.base, p.edits(value, p.name in cal.integer)), cal.source)
    except SpecError as exc:
        return [f"{where}: {p.field} = {value:g} ({what}) is rejected: {'; '.join(exc.problems)}"]
    return []


_MISSING = object()


def _schema_node(scenario: Scenario, parts: list[str]) -> Any:
    """The scenario's value at a dotted path (schema defaults included), or ``_MISSING``."""
    node: Any = scenario
    for part in parts:
        if isinstance(node, tuple) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, Strict) and part in type(node).model_fields:
            node = getattr(node, part)
        else:
            return _MISSING
    return node


def _schema_has(scenario: Scenario, field: str) -> bool:
    return _schema_node(scenario, field.split(".")) is not _MISSING


def _is_integer(scenario: Scenario, field: str) -> bool:
    """Whether the schema declares ``field`` a whole number (``int`` or ``int | None``)."""
    *path, last = field.split(".")
    node = _schema_node(scenario, path)
    if not isinstance(node, Strict) or last not in type(node).model_fields:
        return False
    ann = type(node).model_fields[last].annotation
    return ann is int or set(getattr(ann, "__args__", ())) == {int, type(None)}
