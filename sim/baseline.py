"""The counterfactual: the same world with the campaign switched off.

Incrementality is measured against this arm: every replication of a scenario with
``baseline = true`` also runs ``campaign_off(scenario)`` from the same seed, so the same
customers, network and shocks face the product without the campaign. What "off" means for
each mechanism is listed in :data:`OFF` and in ``docs/baseline.md``; both say the same.
"""

from __future__ import annotations

from typing import Any

from sim.scenario import Scenario

#: What the campaign-off arm changes, mechanism by mechanism (the report's glossary and
#: docs/baseline.md repeat it). Everything not listed carries on unchanged.
OFF: dict[str, str] = {
    "paid contacts": "every channel's daily capacity is 0: no contact is bought or made, so no "
    "contact-driven awareness, consideration, re-engagement, fatigue or contact complaints",
    "budget": "total, fixed costs and risk reserve are 0: the campaign costs nothing",
    "bonus, cashback, perks": "bonus_bp, cashback and perk_value are 0: the product is sold at its "
    "base rate (or expected return) and fees",
    "price anchor and framing": "no advertised 'was' rate (list_rate_pp unset: references start from "
    "the base rate) and the neutral gain frame",
    "claims": "no campaign claims, so no misleading-claim complaints or hidden risk",
    "quota": "no quota: the standing product is not rationed, and no 'places left' scarcity",
    "referral programme": "no invitations and no referral rewards (invite_rate 0)",
    "playbook rules": "no rules: nothing adjusts a campaign that is not running (the arm runs as many "
    "days as its campaign, whose rules may have extended or ended it)",
}

#: What the campaign-off arm keeps, so its conversions are the business that comes anyway.
KEPT: dict[str, str] = {
    "customers and network": "the same population draw and social graph (same seed)",
    "organic awareness": "customers initially aware and Bass innovation/imitation diffusion",
    "word of mouth": "awareness from converted friends, social proof in decisions",
    "base-rate business": "aware customers consider and buy the product at its standing terms "
    "during the same window (the campaign calendar), with the same eligibility, suitability "
    "checks, minimum and maximum amounts, lock-up and fees",
    "deadline": "the sales window closes on the same day, so decisions keep their deadline "
    "urgency (conservative: the baseline is not made artificially slow)",
    "churn and retention": "the same churn hazard without the bonus-driven rate chasing",
    "shocks": "the same shock draws: competitor moves, macro changes, outages, rumours and "
    "regulatory bans still happen on the same days",
    "margin": "the same margin on the money that comes anyway",
}


def campaign_off(scenario: Scenario) -> Scenario:
    """The scenario with the campaign switched off (see :data:`OFF`); a pure transform that
    returns a new validated scenario and never touches the one given."""
    data: dict[str, Any] = scenario.model_dump()
    data["channels"] = {name: {**ch, "daily_capacity": 0} for name, ch in data["channels"].items()}
    data["budget"] = {**data["budget"], "total": 0.0, "fixed_costs": 0.0, "risk_reserve_share": 0.0}
    data["offer"] = {
        **data["offer"],
        "bonus_bp": 0.0,
        "cashback": 0.0,
        "perk_value": 0.0,
        "list_rate_pp": None,
        "frame": "gain",
        "claims": (),
        "quota": None,
    }
    data["referral"] = {**data["referral"], "invite_rate": 0.0, "inviter_reward": 0.0, "invitee_reward": 0.0}
    data["rules"] = ()
    data["baseline"] = False
    return Scenario.model_validate(data)
