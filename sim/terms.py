"""What is on offer today: the live offer terms, one value computed each day like the
environment, and read by the journey and the conversion booking.

The scenario's ``[offer]`` gives the terms on day 0; rules (:mod:`sim.rules`) may change the
bonus, the cashback, the frame and the claims during the run (:class:`LiveOffer`), and the
ledger says whether incentives are being paid. :func:`offer_terms` turns these into
:class:`OfferTerms`, converting units once, here: bonus bp -> pp a year, bonus -> incentive
cost per unit of amount, cashback and perks -> money per customer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario import Offer


@dataclass
class LiveOffer:
    """The offer terms rules may change (starts as the scenario's ``[offer]``)."""

    bonus_bp: float
    cashback: float
    frame: str
    claims: tuple[str, ...]

    @classmethod
    def from_offer(cls, o: Offer) -> LiveOffer:
        return cls(bonus_bp=o.bonus_bp, cashback=o.cashback, frame=o.frame, claims=tuple(o.claims))


@dataclass(frozen=True)
class OfferTerms:
    """Today's terms, in the units the journey uses.

    ``bonus_pp``: bonus paid, % a year (0 while incentives are off); ``extras``: cashback +
    perks per customer, money (0 while off); ``cashback``: cashback booked per conversion;
    ``cost_per_amount``: bonus cost per unit of amount over the term
    (``bonus_bp / 1e4 * term_days / 365``), what the ledger books; ``loss_frame``: the offer
    is advertised as a loss avoided; ``claims``: the claims made today.
    """

    bonus_bp: float
    bonus_pp: float
    extras: float
    cashback: float
    cost_per_amount: float
    loss_frame: bool
    claims: tuple[str, ...]
    incentives_on: bool


def offer_terms(o: Offer, live: LiveOffer, incentives_on: bool) -> OfferTerms:
    """Today's :class:`OfferTerms` from the product (``o``), the live terms and whether the
    incentive pool still pays."""
    return OfferTerms(
        bonus_bp=live.bonus_bp,
        bonus_pp=live.bonus_bp / 100 if incentives_on else 0.0,
        extras=float(live.cashback + o.perk_value) if incentives_on else 0.0,
        cashback=live.cashback,
        cost_per_amount=live.bonus_bp / 1e4 * o.term_days / 365,
        loss_frame=live.frame == "loss",
        claims=live.claims,
        incentives_on=incentives_on,
    )
