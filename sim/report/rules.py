"""The report's playbook section: when each rule fired across replications.

Self-contained (owned by the engine's rules, :mod:`sim.rules`): a pure function from the
tidy ``rules`` table and the scenario to an HTML fragment, empty without rules.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from sim.scenario import Scenario


def rule_firings(rules: pd.DataFrame, scenario: Scenario, replications: int) -> pd.DataFrame:
    """One row per declared rule: replications in which it fired (count and share), firings
    per replication (median and max), first firing day (median and range over the
    replications where it fired)."""
    rows = []
    for rule in scenario.rules:
        fired = rules[rules["rule"] == rule.name].drop_duplicates(["replication", "day"])
        per_rep = fired.groupby("replication")["day"]
        counts = per_rep.size().reindex(range(replications), fill_value=0).to_numpy()
        first = per_rep.min().to_numpy()
        rows.append(
            {
                "rule": rule.name,
                "note": rule.note,
                "replications_fired": int((counts > 0).sum()),
                "share_fired": float((counts > 0).mean()) if replications else np.nan,
                "fires_median": float(np.median(counts)) if replications else np.nan,
                "fires_max": int(counts.max()) if replications else 0,
                "first_day_median": float(np.median(first)) if first.size else np.nan,
                "first_day_min": int(first.min()) if first.size else -1,
                "first_day_max": int(first.max()) if first.size else -1,
            }
        )
    return pd.DataFrame(rows)


def rules_section(rules: pd.DataFrame | None, scenario: Scenario, replications: int) -> str:
    """``<h2>Playbook rules</h2>`` with :func:`rule_firings` as a table ("" without rules)."""
    if not scenario.rules or rules is None:
        return ""
    table = rule_firings(rules, scenario, replications)
    body = "".join(
        f"<tr><td>{html.escape(r.rule)}</td><td>{r.replications_fired} of {replications} "
        f"({r.share_fired:.0%})</td><td>{r.fires_median:g} (max {r.fires_max})</td>"
        f"<td>{_days(r)}</td><td>{html.escape(r.note)}</td></tr>"
        for r in table.itertuples()
    )
    return (
        "<h2>Playbook rules</h2><table><tr><th>rule</th><th>fired in</th><th>firings per run</th>"
        f"<th>first fired (day)</th><th>origin</th></tr>{body}</table>"
        '<p class="note">Rules are evaluated once a day, after the day\'s shocks and before marketing; '
        "every action taken is in rules.csv (replication, day, rule, action, target, value before and "
        "after). First-fired days: median and range over the replications where the rule fired.</p>"
    )


def _days(r: object) -> str:
    if r.first_day_min < 0:
        return "never"
    if r.first_day_min == r.first_day_max:
        return f"{r.first_day_min}"
    return f"{r.first_day_median:g} ({r.first_day_min}-{r.first_day_max})"
