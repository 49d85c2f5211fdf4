"""The what-if session behind the page, usable without a browser.

>>> s = Session("scenarios/deposit_sprint.toml", ["population.size=2000"], replications=8)
>>> s.set("offer.bonus_bp", 60)          # validated; starts replications in the background
>>> s.batch.join(); s.outcome().headline["net_value"]
>>> s.pin()                              # plan A: later edits are compared with it (CRN)
>>> s.save("what_if.toml")               # runs from the command line with the same numbers

A session holds the scenario as loaded (``raw``: bases resolved, ``--set`` applied), the
lever values, the problems of the last edit by lever, the current plan's :class:`Batch` and
up to four pinned plans. Every plan runs replication ``r`` from child ``r`` of the session
seed, so plans are compared under common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.app import views
from sim.app.levers import Checked, Lever, check, levers_for, rebalance
from sim.app.runs import SHIPPED, Batch, pool
from sim.loading import apply_overrides, dump_scenario, resolve_bases, scenario_from_dict
from sim.scenario import Scenario

MAX_PLANS = 4
PLAN_NAMES = "ABCD"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario files by name (``scenarios/*.toml``)."""
    return {p.stem: p for p in sorted(SHIPPED.glob("*.toml"))}


def resolve_path(name_or_path: str | Path) -> Path:
    """A shipped scenario's name or a local file path."""
    shipped = shipped_scenarios()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    return Path(name_or_path)


def save_path(folder: str | Path, name: str | Path) -> Path:
    """``name`` as a ``.toml`` path inside ``folder`` (relative names are placed there); the page
    never writes elsewhere, even when served to other machines with ``--host``."""
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if path.suffix != ".toml":
        raise ValueError(f"a scenario file name ends in .toml, got {path.name!r}")
    if not path.is_relative_to(root):
        raise ValueError(f"the page saves only inside {root} (campaign-sim app --save-dir)")
    return path


@dataclass
class Plan:
    """A pinned plan: its lever values, validated scenario and replications."""

    name: str
    values: dict[str, Any]
    scenario: Scenario
    batch: Batch


@dataclass
class Session:
    """See the module docstring. ``jobs`` sizes the shared worker pool (1 = a thread);
    ``on_update`` is called (from a worker thread) whenever a result arrives."""

    path: str | Path
    overrides: Iterable[str] = ()
    replications: int = 20
    seed: int = 0
    jobs: int = 2
    executor: Executor | None = None
    on_update: Callable[[Batch], None] | None = None
    raw: dict[str, Any] = field(init=False)
    levers: list[Lever] = field(init=False)
    values: dict[str, Any] = field(init=False)
    problems: dict[str, list[str]] = field(init=False, default_factory=dict)
    scenario: Scenario = field(init=False)
    batch: Batch | None = field(init=False, default=None)
    plans: list[Plan] = field(init=False, default_factory=list)
    edits: int = field(init=False, default=0)  # valid edits so far (the page shows it for tests)

    def __post_init__(self) -> None:
        self.overrides = list(self.overrides)
        self.load(self.path, self.overrides)

    # ---------------------------------------------------------------- scenario
    def load(self, path: str | Path, overrides: Iterable[str] = ()) -> None:
        """Switch to another scenario (a shipped name or a file); raises ``SpecError`` if it
        is invalid, leaving the session as it was. Pinned plans are dropped."""
        p = resolve_path(path)
        overrides = list(overrides)
        raw = apply_overrides(resolve_bases(p), overrides)
        source = f"{p} (with --set {' '.join(overrides)})" if overrides else str(p)
        scenario = scenario_from_dict(raw, source)
        self.close()
        self.path, self.overrides, self.raw, self.scenario = p, overrides, raw, scenario
        self.levers = levers_for(raw)
        self.values = {lv.key: lv.base for lv in self.levers}
        self.problems = {}
        self.plans = []
        self._start()

    def lever(self, key: str) -> Lever:
        return next(lv for lv in self.levers if lv.key == key)

    def set(self, key: str, value: Any) -> Checked:
        """Move one lever: validate the edited scenario with the file schema; if it is valid,
        cancel the current plan's stale work and start its replications. Channel-mix levers
        rescale the other channels so the mix sums to one."""
        return self.set_many({key: value})

    def set_many(self, edits: dict[str, Any]) -> Checked:
        values = dict(self.values)
        for key, value in edits.items():
            lv = self.lever(key)
            if lv.group == "mix":
                mix = {k: float(v) for k, v in values.items() if k.startswith("channels.")}
                values.update(rebalance(mix, key, float(value)))
            else:
                values[key] = value
        checked = check(self.raw, values, self.levers, self._source())
        self.values, self.problems = values, checked.problems
        if checked.scenario is not None:
            self.scenario = checked.scenario
            self.edits += 1
            self._start()
        return checked

    def _source(self) -> str:
        return f"{Path(self.path).name} (page levers)"

    def _start(self) -> None:
        if self.batch is not None and not self._pinned(self.batch):
            self.batch.cancel()
        ex = self.executor or pool(self.jobs)
        self.batch = Batch(self.scenario, self.replications, self.seed, ex, self.on_update)

    def _pinned(self, batch: Batch) -> bool:
        return any(p.batch is batch for p in self.plans)

    # ---------------------------------------------------------------- plans
    def pin(self) -> Plan:
        """Pin the current plan as the next letter (A first); the oldest of four is replaced."""
        assert self.batch is not None
        if len(self.plans) >= MAX_PLANS:
            self.unpin(self.plans[0].name)
        name = next(n for n in PLAN_NAMES if n not in {p.name for p in self.plans})
        plan = Plan(name, dict(self.values), self.scenario, self.batch)
        self.plans.append(plan)
        self.plans.sort(key=lambda p: p.name)
        return plan

    def unpin(self, name: str) -> None:
        gone = [p for p in self.plans if p.name == name]
        self.plans = [p for p in self.plans if p.name != name]
        for p in gone:
            if p.batch is not self.batch:
                p.batch.cancel()

    def restore(self, name: str) -> None:
        """Move the levers back to a pinned plan's values."""
        plan = next(p for p in self.plans if p.name == name)
        self.set_many({k: v for k, v in plan.values.items() if not k.startswith("channels.")})
        mix = {k: v for k, v in plan.values.items() if k.startswith("channels.")}
        if mix:
            self.values.update(mix)
            self.set_many({})

    # ---------------------------------------------------------------- results
    def outcome(self) -> views.Outcome:
        """What the page shows now: the current plan's progress and results so far, against
        plan A (the first pinned plan) where there is one."""
        assert self.batch is not None
        ref = self.plans[0] if self.plans else None
        ref_frames = ref.batch.frames() if ref is not None and ref.batch is not self.batch else None
        return views.outcome(self.scenario, self.batch, ref.name if ref else None, ref_frames)

    def comparison(self):
        """Pinned plans and the current one side by side (see :func:`views.comparison`)."""
        assert self.batch is not None
        plans = [(p.name, p.scenario, p.batch) for p in self.plans]
        if not self._pinned(self.batch):
            plans.append(("current", self.scenario, self.batch))
        return views.comparison(plans)

    # ---------------------------------------------------------------- files
    def scenario_toml(self) -> str:
        """The current plan as a scenario file: runs from the command line and, with the
        session's seed and replications, reproduces the page's numbers."""
        head = (
            f"# Saved from the campaign-sim what-if page ({Path(self.path).name}).\n"
            f"# Reproduce the page's numbers: campaign-sim run THIS_FILE "
            f"--replications {self.replications} --seed {self.seed}\n"
        )
        return head + dump_scenario(self.scenario)

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(self.scenario_toml(), encoding="utf-8")
        return p

    def close(self) -> None:
        """Cancel all outstanding work of this session."""
        if self.batch is not None:
            self.batch.cancel()
        for p in self.plans:
            p.batch.cancel()
