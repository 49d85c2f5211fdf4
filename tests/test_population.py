"""Tests for sim.population's offer rate: hand cases of the pass-through equation."""

from __future__ import annotations

import pytest

from sim.population import offer_rate
from sim.scenario import Offer


def test_offer_rate_follows_the_market_by_its_pass_through() -> None:
    deposit = Offer(product="term_deposit", base_rate_pp=2.0, rate_pass_through=0.4)
    assert offer_rate(deposit) == 2.0
    assert offer_rate(deposit, -1.5) == pytest.approx(2.0 - 0.4 * 1.5)  # 1.4
    fixed = Offer(product="term_deposit", base_rate_pp=2.0)
    assert offer_rate(fixed, -1.5) == 2.0  # the default keeps the rate where it was set


def test_a_risky_product_moves_its_expected_return() -> None:
    fund = Offer(
        product="fund_etf", guaranteed=False, base_rate_pp=1.0, expected_return_pp=5.0, rate_pass_through=1.0
    )
    assert offer_rate(fund, 0.75) == pytest.approx(5.75)
