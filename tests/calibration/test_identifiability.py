"""Identifiability report: width ratios against the prior, flags, correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.calibration.posterior import (
    correlations,
    effective_sample_size,
    identifiability_lines,
    parameter_table,
    prior_quantiles,
    width_ratio,
)
from sim.calibration.spec import Prior, load_calibration


def test_width_ratio_of_the_prior_itself_is_one():
    u = Prior(dist="uniform", low=0, high=10)
    assert width_ratio(u, 0.5, 9.5, 0.9) == pytest.approx(1.0)
    lu = Prior(dist="loguniform", low=0.001, high=0.1)
    lo, hi = prior_quantiles(lu, (0.05, 0.95))
    assert width_ratio(lu, lo, hi, 0.9) == pytest.approx(1.0)
    # on the log scale: a tenth of the decades is a tenth of the width
    assert width_ratio(lu, 0.01, 0.01 * 10 ** (0.9 * 2 / 10), 0.9) == pytest.approx(0.1)


@given(st.floats(0.01, 0.99), st.floats(0.1, 5))
def test_normal_prior_ratio_scales_with_the_interval(frac, sd):
    prior = Prior(dist="normal", mean=1.0, sd=sd)
    lo, hi = prior_quantiles(prior, (0.05, 0.95))
    half = frac * (hi - lo) / 2
    assert width_ratio(prior, 1.0 - half, 1.0 + half, 0.9) == pytest.approx(frac)


def test_flags_weak_parameters_and_ridges(make_spec, good_rows):
    spec = load_calibration(make_spec(good_rows)).spec
    rng = np.random.default_rng(0)
    p = rng.uniform(0.001, 0.05, 2000)  # as wide as its prior
    q = 0.2 + 2 * (p - 0.025) + rng.normal(0, 0.002, p.size)  # narrow, and tied to p
    sample = pd.DataFrame({"p": p, "q": q, "weight": 1 / p.size})
    table = parameter_table(sample, spec, 0.9).set_index("parameter")
    assert table.loc["p", "weak"] and not table.loc["q", "weak"]
    corr = correlations(sample, spec)
    assert corr.loc[0, ["a", "b"]].tolist() == ["p", "q"] and corr.loc[0, "ridge"]
    lines = identifiability_lines(table.reset_index(), corr)
    assert (
        lines[0].startswith("p: posterior 10") and "as wide as its prior" in lines[0] and "ridge" in lines[1]
    )


def test_effective_sample_size_by_hand():
    assert effective_sample_size(np.full(100, 0.01)) == pytest.approx(100)
    assert effective_sample_size(np.array([1.0, 0, 0, 0])) == pytest.approx(1)
    # weights 3, 1: 16 / 10
    assert effective_sample_size(np.array([0.75, 0.25])) == pytest.approx(1.6)


@given(st.lists(st.floats(1e-6, 1.0), min_size=1, max_size=50))
def test_effective_sample_size_lies_between_one_and_n(w):
    ess = effective_sample_size(np.array(w))
    assert 1 - 1e-9 <= ess <= len(w) + 1e-9


def test_a_posterior_on_few_particles_is_flagged(make_spec, good_rows):
    spec = load_calibration(make_spec(good_rows)).spec
    rng = np.random.default_rng(1)
    even = pd.DataFrame({"p": rng.uniform(0.01, 0.02, 100), "q": rng.uniform(0.1, 0.2, 100), "weight": 0.01})
    table, corr = parameter_table(even, spec, 0.9), correlations(even, spec)
    assert not any("effective particles" in line for line in identifiability_lines(table, corr, even))
    skewed = even.assign(weight=np.r_[0.9, np.full(99, 0.1 / 99)])
    lines = identifiability_lines(table, corr, skewed)
    assert lines[0].startswith("the posterior rests on 1.2 effective particles of 100")


def test_only_the_strongest_ridges_are_spelled_out():
    """A bank posterior on 3 effective particles made 40 of 66 pairs ridges; the summary
    names the five strongest, by absolute correlation, and counts the rest."""
    rows = [(f"a{i}", f"b{i}", c, True) for i, c in enumerate([0.71, -0.99, 0.8, 0.75, -0.9, 0.72, 0.85])]
    corr = pd.DataFrame(rows, columns=["a", "b", "correlation", "ridge"])
    corr.loc[len(corr)] = ["x", "y", 0.1, False]
    table = pd.DataFrame({"parameter": [], "width_ratio": [], "weak": []})
    lines = identifiability_lines(table, corr)
    named = [line.split(":")[0] for line in lines[:5]]
    assert named == ["a1 x b1", "a4 x b4", "a6 x b6", "a2 x b2", "a3 x b3"]
    assert lines[5] == "2 more ridges, weaker: correlations.csv" and len(lines) == 6
