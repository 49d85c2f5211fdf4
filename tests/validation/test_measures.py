"""Tests for sim.validation.measures: each effect measure by hand, the paired bootstrap,
and the KPIs read off daily tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.validation.measures import MEASURES, check_kpi, effect, run_values
from tests.conftest import DEPOSIT, small


def stat(measure: str, **arms: list[float]) -> float:
    return MEASURES[measure].stat({k: np.asarray(v, dtype=float) for k, v in arms.items()})


def test_measures_by_hand() -> None:
    assert stat("relative_change", control=[10, 10], treatment=[12, 13]) == pytest.approx(25.0)
    assert stat("difference", control=[1, 3], treatment=[4, 4]) == pytest.approx(2.0)
    # rates 0.1 -> 0.2: logit difference 0.810930, times sqrt(3)/pi
    assert stat("logit_d", control=[0.1], treatment=[0.2]) == pytest.approx(0.447089, abs=2e-6)
    assert stat("level", control=[0.3, 0.5]) == pytest.approx(0.4)
    # -20% on the first pair, -5% on the second: contrast -15 pp
    assert stat("contrast", control=[10], treatment=[8], control_b=[20], treatment_b=[19]) == pytest.approx(
        -15.0
    )
    # gains 10 then 5: ratio 0.5 (diminishing)
    assert stat("increment_ratio", low=[100], mid=[110], high=[115]) == pytest.approx(0.5)
    # 30 > 20 > 15: gaps +50% and +33.3%; the smallest counts
    assert stat("ordering", a=[30], b=[20], c=[15]) == pytest.approx(100 / 3)
    assert stat("ordering", a=[30], b=[40], c=[15]) < 0


def test_bootstrap_interval_brackets_the_estimate_and_shrinks_with_pairing() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(100, 20, 40)  # shared by both arms: common random numbers
    paired = {"control": noise, "treatment": noise * 1.1 + rng.normal(0, 1, 40)}
    est, lo, hi = effect("relative_change", paired, resamples=500)
    assert lo < est < hi and lo > 5 and hi < 15
    unpaired = {"control": noise, "treatment": rng.normal(110, 22, 40)}
    _, lo2, hi2 = effect("relative_change", unpaired, resamples=500)
    assert hi2 - lo2 > 3 * (hi - lo)


def test_effect_is_reproducible() -> None:
    v = {"control": np.arange(1.0, 9.0), "treatment": np.arange(2.0, 10.0)}
    assert effect("relative_change", v, resamples=200, seed=3) == effect(
        "relative_change", v, resamples=200, seed=3
    )


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(1, 100), min_size=3, max_size=12), st.floats(0.5, 2.0))
def test_relative_change_of_a_scaled_arm_is_exact(xs: list[float], f: float) -> None:
    c = np.array(xs)
    est, lo, hi = effect("relative_change", {"control": c, "treatment": c * f}, resamples=50)
    assert est == pytest.approx(100 * (f - 1)) and lo == pytest.approx(est) and hi == pytest.approx(est)


def test_kpi_names() -> None:
    for ok in (
        "conversions",
        "rush_ratio",
        "adopted_by_day_45",
        "participation_young_digital",
        "rumour_reach",
    ):
        assert check_kpi(ok) is None
    assert "unknown KPI 'conversion'" in str(check_kpi("conversion"))


def test_daily_kpis_by_hand() -> None:
    sc = small(DEPOSIT, 100, ["calendar.days=12", "calendar.observation_days=0", "calendar.phases=[]"])
    new = [0.0, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3]  # last 3 days 3 a day, the 7 before 1 a day
    left = [5.0, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0]
    daily = pd.DataFrame(
        {"replication": 0, "day": range(12), "new_conversions": new, "quota_remaining": left}
    )
    summary = pd.DataFrame({"replication": [0]})
    real = sc.population.size * sc.population.scale
    assert run_values("rush_ratio", sc, summary, daily)[0] == pytest.approx(3.0)
    assert run_values("sellout_day", sc, summary, daily)[0] == 5
    assert run_values("t50", sc, summary, daily)[0] == 9  # cumsum 8 on day 8, 11 >= 17 / 2 on day 9
    assert run_values("adopted_by_day_2", sc, summary, daily)[0] == pytest.approx(2 / real)
    assert math.isclose(run_values("adoption_curve", sc, summary, daily)[0][-1], 17 / real)
