"""Targets (sim.targets): hits, the Wilson interval, P(hit) tables, summary columns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.runner import run_model
from sim.scenario import Target
from sim.targets import describe, evaluate, hit_columns, hits, p_hit, unknown_target_problems, wilson_interval
from tests.conftest import DEPOSIT, small


def test_hits_respect_bounds_inclusive_and_count_nan_as_miss() -> None:
    x = [1.0, 2.0, 3.0, np.nan, np.inf]
    assert hits(x, Target(at_least=2)).tolist() == [False, True, True, False, True]
    assert hits(x, {"at_most": 2.0}).tolist() == [True, True, False, False, False]
    assert hits(x, Target(at_least=1.5, at_most=3)).tolist() == [False, True, True, False, False]


def test_wilson_interval_by_hand() -> None:
    # k=8, n=10 at 95%: 0.4902 to 0.9433 (Brown, Cai and DasGupta 2001, Wilson interval)
    lo, hi = wilson_interval(8, 10, level=0.95)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(20, 20)[0] > 0.85  # all hits: still informative, unlike Wald
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


@given(n=st.integers(1, 500), data=st.data(), level=st.floats(0.5, 0.99))
def test_wilson_interval_contains_the_share_and_stays_in_unit_range(n: int, data, level: float) -> None:
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k, n, level)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    # more replications narrow it
    lo2, hi2 = wilson_interval(4 * k, 4 * n, level)
    assert hi2 - lo2 <= hi - lo + 1e-12


def test_p_hit_and_evaluate_table() -> None:
    r = p_hit([0.1, 0.2, np.nan, 0.4], Target(at_least=0.15))
    assert (r.hits, r.replications, r.p_hit) == (2, 4, 0.5)
    assert r.p_low < 0.5 < r.p_high
    summary = pd.DataFrame({"conversions": [10.0, 20.0, 30.0], "roi": [-0.1, 0.1, 0.2]})
    t = evaluate(summary, {"conversions": Target(at_least=15), "roi": Target(at_most=0.0)}, "CNY")
    assert t["p_hit"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert t.loc[0, "target"] == "conversions ≥ 15"
    assert t.loc[1, "target"] == "roi ≤ 0.0%"
    assert evaluate(summary, {}).empty


def test_describe_formats_money_with_currency() -> None:
    assert (
        describe("incremental_new_money", Target(at_least=2e8), "CNY") == "incremental new money ≥ 200M CNY"
    )
    assert "between" in describe("roi", Target(at_least=0, at_most=0.25))


def test_unknown_kpi_names_get_the_nearest_suggestion() -> None:
    assert unknown_target_problems(["conversions"]) == []
    (msg,) = unknown_target_problems(["incremental_roii"])
    assert msg == "targets.incremental_roii: unknown KPI; did you mean 'incremental_roi'?"


def test_run_summary_carries_hit_columns() -> None:
    sc = small(DEPOSIT, 1000, ["targets.conversions.at_least=0", "targets.roi.at_least=1e9"])
    s = run_model(sc, seed=3).summary
    assert s["hit_conversions"] == 1.0 and s["hit_roi"] == 0.0
    assert hit_columns({"roi": np.nan}, {"roi": Target(at_most=1)}) == {"hit_roi": 0.0}
