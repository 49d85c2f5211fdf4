"""Sobol analysis: known indices on a synthetic response, seed-noise share, failed points
refused or dropped explicitly, convergence sizes, and a real small design that ranks an
obviously dominant lever first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments.design import expand_design, run_plan
from sim.experiments.sobol import AnalysisError, analyse, convergence_sizes, rank_warnings
from sim.experiments.spec import load_experiment
from sim.experiments.study import run_sweep

SOBOL = """
kpis = ["net_value"]
[design]
kind = "sobol"
n = {n}
[analysis]
resamples = 100
[factors.a]
role = "lever"
path = "referral.accept_probability"
low = 0
high = 1
[factors.b]
role = "lever"
path = "offer.bonus_bp"
low = 0
high = 1
[factors.c]
role = "uncertainty"
path = "referral.inviter_reward"
low = 0
high = 1
"""


def synthetic(write_experiment, n: int = 256, noise: float = 0.0, replications: int = 2, **kw):
    exp = load_experiment(write_experiment(SOBOL.format(n=n), replications=replications), **kw)
    design = expand_design(exp)
    plan = run_plan(exp, design)
    sign = np.where(plan["replication"] % 2 == 0, 1.0, -1.0)
    y = 10 * plan["a"] + plan["b"] + noise * sign  # c has no effect
    runs = pd.DataFrame({"run_id": plan["run_id"], "status": "ok", "error": "", "net_value": y})
    return exp, design, plan, runs


def test_known_indices_of_a_linear_response(write_experiment) -> None:
    exp, design, plan, runs = synthetic(write_experiment)
    ix = analyse(exp, design, plan, runs).indices.set_index("factor")
    # Var = (100 + 1) / 12: S1 = ST = 100/101, 1/101 and 0
    assert ix.loc["a", "ST"] == pytest.approx(100 / 101, abs=0.05)
    assert ix.loc["b", "S1"] == pytest.approx(1 / 101, abs=0.02)
    assert abs(ix.loc["c", "ST"]) < 0.01
    assert (
        (ix["ST_conf"] >= 0).all() and ix.loc["a", "role"] == "lever" and ix.loc["c", "role"] == "uncertainty"
    )


def test_seed_noise_share(write_experiment) -> None:
    quiet = analyse(*synthetic(write_experiment)).variance.iloc[0]
    assert quiet["noise_share"] == pytest.approx(0.0, abs=1e-12)
    noisy = analyse(*synthetic(write_experiment, noise=1.0)).variance.iloc[0]
    # within-point variance of (+1, -1) is 2; the analysed means carry none of it here
    assert noisy["noise_var"] == pytest.approx(2.0)
    assert 0 < noisy["noise_share"] < 1


def test_failed_point_is_refused_or_its_base_sample_dropped(write_experiment) -> None:
    exp, design, plan, runs = synthetic(write_experiment, n=16)
    runs.loc[plan["point"] == 7, "status"] = "error"
    with pytest.raises(AnalysisError, match=r"points 7\b"):
        analyse(exp, design, plan, runs)
    exp_drop = load_experiment(
        write_experiment(SOBOL.format(n=16), replications=2), ["analysis.failures='drop'"]
    )
    result = analyse(exp_drop, design, plan, runs)
    assert set(result.indices["base_samples"]) == {15} and set(result.indices["dropped"]) == {1}
    assert any("dropped 1 of 16" in w for w in result.warnings)


def test_convergence_uses_growing_prefixes(write_experiment) -> None:
    assert convergence_sizes(64) == [8, 16, 32, 64]
    assert convergence_sizes(15) == [8, 15]
    conv = analyse(*synthetic(write_experiment, n=32)).convergence
    assert sorted(set(conv["n"])) == [8, 16, 32]


def test_rank_warning_when_intervals_overlap() -> None:
    ix = pd.DataFrame({"factor": ["x", "y"], "ST": [0.5, 0.4], "ST_conf": [0.2, 0.05]})
    warnings = rank_warnings(ix, max_conf=0.1, kpi="roi")
    assert any("cannot rank x above y" in w for w in warnings)
    assert any("±0.20" in w for w in warnings)
    clear = pd.DataFrame({"factor": ["x", "y"], "ST": [0.9, 0.1], "ST_conf": [0.05, 0.05]})
    assert rank_warnings(clear, max_conf=0.1, kpi="roi") == []


@pytest.mark.timeout(180)
def test_real_model_ranks_the_dominant_lever_first(write_experiment, tmp_path) -> None:
    body = """
kpis = ["marketing_spend"]
[design]
kind = "sobol"
n = 8
[factors.marketing_share]
role = "lever"
path = "budget.marketing_share"
low = 0.05
high = 0.6
[factors.invitee_reward]
role = "lever"
path = "referral.invitee_reward"
low = 0
high = 5
[factors.outage_complaints]
role = "uncertainty"
path = "complaints.outage"
low = 0
high = 0.05
"""
    exp = load_experiment(write_experiment(body))
    sweep = run_sweep(exp, tmp_path / "out", jobs=1)
    ix = analyse(exp, sweep.design, sweep.plan, sweep.runs).indices.sort_values("ST", ascending=False)
    assert ix["factor"].iloc[0] == "marketing_share"
    # N = 8 gives a rough ST, but the other two levers do not move marketing spend at all
    assert ix["ST"].iloc[0] > 5 * max(ix["ST"].iloc[1:].max(), 0.01)
