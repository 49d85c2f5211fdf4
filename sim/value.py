"""What the money a campaign brings is worth, and what getting conduct wrong costs.

Value horizon: the bank earns its margin on the net new money for one product term, then,
each time the term ends, the money rolls over with probability ``r`` (renewal); margin of
later terms is discounted at the annual rate ``d``. This is the standard customer-lifetime
value with constant retention and discounting (Gupta and Lehmann 2003, "Customers as assets",
J. Interactive Marketing 17(1); Gupta, Lehmann and Stuart 2004, J. Marketing Research 41(1)),
counted in product terms and cut at the declared horizon:

    CLV = m * sum_{k=0}^{N-1} q^k = m * (1 - q^N) / (1 - q),    q = r / (1 + d)^T

with m the margin of one term (margin_bp / 1e4 * amount * T), T the term in years and
N = max(1, floor(horizon / T)) terms. With no horizon (N = 1) this is the margin of one term,
as before; as N grows it tends to Gupta and Lehmann's margin multiple m (1 + d') / (1 + d' - r)
with d' the discount rate per term. When ``renewal`` is not given it comes from the
customer's own daily churn hazard h: r = (1 - h)^(term days).

Compliance: every complaint costs its handling; every mis-sold (unsuitable) sale costs its
redress and forfeits its margin (the product is unwound); a campaign that used a claim the
scenario counts as misleading risks the regulator's fine (expected value: probability times
fine). Together they make switching off suitability checks a loss, not a gain.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sim.scenario import Compliance


def terms_in_horizon(term_days: int, horizon_years: float | None) -> int:
    """N: whole product terms within the horizon, at least the first one."""
    if horizon_years is None:
        return 1
    return max(1, int(np.floor(horizon_years * 365 / term_days + 1e-9)))


def renewal_from_hazard(daily_hazard: ArrayLike, term_days: int) -> np.ndarray:
    """r = (1 - h)^term_days: P(the money is still there when the term ends)."""
    return (1.0 - np.asarray(daily_hazard, dtype=float)) ** term_days


def clv_multiple(renewal: ArrayLike, discount_rate: float, term_days: int, terms: int) -> np.ndarray:
    """sum_{k<N} q^k with q = r / (1 + d)^T: lifetime margin per unit of one term's margin."""
    q = np.asarray(renewal, dtype=float) / (1.0 + discount_rate) ** (term_days / 365)
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = (1.0 - q**terms) / (1.0 - q)
    return np.where(np.isclose(q, 1.0), float(terms), geometric)


def compliance_costs(
    complaints_expected: float, mis_selling: float, misleading_sales: float, c: Compliance
) -> dict[str, float]:
    """Expected complaint handling, mis-selling redress and regulatory fine, in currency."""
    return {
        "complaint_handling_cost": complaints_expected * c.complaint_cost,
        "remediation_cost": mis_selling * c.remediation_per_case,
        "expected_fine": c.fine_probability * c.misleading_claim_fine if misleading_sales > 0 else 0.0,
    }
