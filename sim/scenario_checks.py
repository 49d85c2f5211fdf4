"""Rules that span sections of a scenario (segment and channel shares, names that refer to
other sections, targets, rules), checked on plain data so that they are reported alongside
field errors, validated or not (:meth:`sim.scenario.Scenario.raw_problems`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.rules_schema import rule_problems


def cross_field_problems(data: Mapping[str, Any]) -> list[str]:
    """Rules that span sections, checked on plain data (validated or raw). A rule whose
    inputs are malformed is skipped: the field errors already say what is wrong there."""
    problems: list[str] = []
    segments = [x for x in _items(data.get("segments")) if isinstance(x, Mapping)]
    shares = [x.get("share") for x in segments]
    if segments and all(_is_number(v) for v in shares) and abs(sum(shares) - 1) > 1e-6:
        problems.append(f"segments: shares must sum to 1, they sum to {sum(shares):.4g}")
    names = [x.get("name") for x in segments]
    if len(set(map(str, names))) != len(names):
        problems.append("segments: names must be unique")
    channels = data.get("channels") if isinstance(data.get("channels"), Mapping) else {}
    budget = [c.get("budget_share") for c in channels.values() if isinstance(c, Mapping)]
    complete = channels and len(budget) == len(channels) and all(_is_number(v) for v in budget)
    if complete and abs(sum(budget) - 1) > 1e-6:
        problems.append(f"channels: budget_share must sum to 1, they sum to {sum(budget):.4g}")
    for cname, ch in channels.items():
        reach = ch.get("reach") if isinstance(ch, Mapping) else None
        for seg in reach if isinstance(reach, Mapping) else ():
            if seg not in names:
                problems.append(f"channels.{cname}.reach: unknown segment {seg!r}")
    for i, shock in enumerate(_items(data.get("shocks"))):
        ch = shock.get("channel") if isinstance(shock, Mapping) else None
        if isinstance(ch, str) and ch != "app" and ch not in channels:
            problems.append(f"shocks.{i}.channel: unknown channel {ch!r}")
    network = data.get("network")
    if isinstance(network, Mapping) and network.get("kind") == "homophily" and len(segments) < 2:
        problems.append("network.kind: homophily needs at least two segments")
    targets = data.get("targets")
    if isinstance(targets, Mapping) and targets:
        from sim.targets import unknown_target_problems  # lazily: it reads the KPI names

        problems.extend(unknown_target_problems(targets))
    return problems + rule_problems(data)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
