"""Waitlist commands: join or leave a sold-out room's line, buy with an offer, let offers expire.

Offers are made in the transaction that frees the seat, not by a process that
follows the log. The unit of work ends every transaction by asking the guards
to serve the lines of the rooms that got a seat back or a larger cap in it
(`serve_waitlists`, through `offers_for_freed_seats`, a finisher of
domain/unit_of_work.py), and appends an `Offer.Made` for each seat held. So a freed
seat is never free while someone in line could take it: a buyer outside the
line cannot take it in between (no line jumping, no window to close), every
freeing path (hold expired, payment failed, refund, lost dispute, cap raised,
tier resized, offer expired or declined) serves the line without knowing of it,
and no process has to be kept running or caught up. The price is a few reads
of the line's rows in a transaction that frees a seat of a room with a line.

Imports only the domain.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.errors import (
    AlreadyHoldsTicketError,
    BelowMinimumPriceError,
    FixedPriceError,
    IdempotencyConflictError,
    NotFoundError,
    NotOnSaleError,
    TierNotOnSaleError,
    InvalidPriceError,
    TierRequiredError,
    UnknownTierError,
)
from domain.clock import Clock
from domain.guards import ExactRevenueNeeded, WriteGuards
from domain.ids import derive_id
from domain.money import Money
from domain.payments import PaymentGateway
from domain.policies import Policies
from domain.sales.commands import SalesCommands
from domain.sales.purchases import Purchase, ReserveRequest
from domain.sales.exact_revenue import ATTEMPTS, fold_revenue_slices
from domain.sales.model import Seat
from domain.sales.settling import record_seat
from domain.sales.waitlist import (
    AlreadyOnWaitlistError,
    NotOnWaitlistError,
    NotSoldOutError,
    Offer,
    OfferExpiredError,
    WaitlistEntry,
    offer_ticket_id,
)
from domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

JOIN_ERRORS = {
    "already_on_waitlist": AlreadyOnWaitlistError,
    "already_holds": AlreadyHoldsTicketError,
    "not_sold_out": NotSoldOutError,
    "not_on_sale": NotOnSaleError,
    "unknown_room": NotFoundError,
    "unknown_tier": UnknownTierError,
    "tier_required": TierRequiredError,
    "tier_not_on_sale": TierNotOnSaleError,
}


class WaitlistCommands:
    """Registers `offers_for_freed_seats` with the unit of work, which runs it at the end of every
    transaction; buys through the sales commands (`sales`)."""

    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies, gateway: PaymentGateway,
                 sales: SalesCommands) -> None:
        self.uow, self.clock, self.policies, self.gateway, self.sales = uow, clock, policies, gateway, sales
        uow.finishers.append(self.offers_for_freed_seats)

    @property
    def offer_window(self) -> timedelta:
        return self.policies.waitlist_offer

    def offers_for_freed_seats(self, guards: WriteGuards) -> list[Offer]:
        """Called at the end of every transaction: an offer for each seat it freed that someone waits for."""
        now = self.clock.now()
        return [Offer.make(id=g.offer_id, entry_id=g.entry_id, room_id=g.room_id, tier_id=g.tier_id,
                           holder_id=g.holder_id, place=g.place, made_at=now, expires_at=now + self.offer_window)
                for g in guards.serve_waitlists(now, now + self.offer_window)]

    def join_waitlist(self, holder_id: str, room_id: UUID, tier_id: UUID | None = None,
                      idempotency_key: str | None = None) -> tuple[WaitlistEntry, int | None]:
        """Join the line of a sold-out tier (None: the room's default or only tier); refused unless sold out.

        With an `idempotency_key` the same key again is the same place in line (position None: nothing
        written); the same key for another tier is refused with IdempotencyConflictError."""
        now = self.clock.now()
        entry_id = derive_id("waitlist", room_id, holder_id, idempotency_key) if idempotency_key else uuid4()
        if idempotency_key and (earlier := self._joined(entry_id, tier_id)) is not None:
            return earlier, None

        def decide(guards: WriteGuards) -> tuple[WaitlistEntry, list[WaitlistEntry]]:
            joined = guards.join_waitlist(entry_id, room_id, tier_id, holder_id, now)
            if joined.status != "joined":
                raise JOIN_ERRORS[joined.status](f"room {room_id}: {joined.status.replace('_', ' ')}")
            assert joined.tier_id is not None
            entry = WaitlistEntry.join(id=entry_id, room_id=room_id, tier_id=joined.tier_id, holder_id=holder_id,
                                       place=joined.place, joined_at=now)
            return entry, [entry]

        # The twin of a request sent twice at once finds the listener in line, at the place this key made.
        return self.uow.transact_or_replay(
            decide, lambda: self._joined(entry_id, tier_id) if idempotency_key else None, AlreadyOnWaitlistError)

    def _joined(self, entry_id: UUID, tier_id: UUID | None) -> WaitlistEntry | None:
        """The place this key's entry id already holds (another tier named: IdempotencyConflictError)."""
        earlier = self.uow.find(WaitlistEntry, entry_id)
        if earlier is not None and tier_id is not None and tier_id != earlier.tier_id:
            raise IdempotencyConflictError("this Idempotency-Key joined the line of another tier")
        return earlier

    def leave_waitlist(self, holder_id: str, room_id: UUID) -> int | None:
        """Leave the room's line; an offer held is declined and its seat goes to the next in line."""
        spot = self.uow.guards.line_spot(room_id, holder_id)
        if spot is None:
            raise NotOnWaitlistError(f"{holder_id} is not in the line of room {room_id}")
        now = self.clock.now()
        if spot.offer_id is not None:
            offer = self.uow.load(Offer, spot.offer_id, "offer")
            offer.decline(now)

            def decline(guards: WriteGuards) -> tuple[None, list[Offer]]:
                if not guards.drop_offer(offer.id, "declined"):
                    raise OfferExpiredError("the offer is no longer open")
                return None, [offer]

            return self.uow.transact(decline)[1]
        entry = self.uow.load(WaitlistEntry, spot.entry_id, "waitlist entry")
        entry.leave(now)

        def leave(guards: WriteGuards) -> tuple[None, list[WaitlistEntry]]:
            if not guards.leave_waitlist(entry.id):  # an offer came meanwhile: leave again to decline it
                raise NotOnWaitlistError("the listener is no longer waiting (an offer may have come): try again")
            return None, [entry]

        return self.uow.transact(leave)[1]

    def expire_offers(self) -> int:
        """Expire every offer whose time ran out; each seat goes to the next in line in the same transaction."""
        expired = 0
        for offer_id in self.uow.guards.expired_offers(self.clock.now()):
            expired += self._expire_offer(offer_id)
        return expired

    def _expire_offer(self, offer_id: UUID) -> bool:
        offer = self.uow.find(Offer, offer_id)
        if offer is None or offer.status != "offered":
            return False
        offer.expire(self.clock.now())

        def decide(guards: WriteGuards) -> tuple[bool, list[Offer]]:
            if not guards.drop_offer(offer_id, "expired"):
                raise NotOnWaitlistError("the offer is no longer open")  # taken meanwhile: nothing written
            return True, [offer]

        try:
            return self.uow.transact(decide)[0]
        except NotOnWaitlistError:
            return False

    def buy_with_offer(self, offer_id: UUID, holder_id: str, *, room_id: UUID | None = None,
                       payment_method: str | None = None, amount: int | None = None) -> Purchase:
        """Buy the seat an offer holds: the ticket takes it (no cap is counted twice). The same offer again
        is the same ticket (a replay); an offer past its time expires now and passes to the next in line."""
        for _ in range(ATTEMPTS):
            try:
                return self._buy_with_offer(offer_id, holder_id, room_id, payment_method, amount)
            except ExactRevenueNeeded as exc:  # nothing was written: fold the slices, then again from the start
                fold_revenue_slices(self, exc.keys)
        return self._buy_with_offer(offer_id, holder_id, room_id, payment_method, amount)

    def _buy_with_offer(self, offer_id: UUID, holder_id: str, room_id: UUID | None,
                        payment_method: str | None, amount: int | None) -> Purchase:
        offer = self.uow.find(Offer, offer_id)
        if offer is None or offer.holder_id != holder_id or (room_id is not None and offer.room_id != room_id):
            raise NotOnWaitlistError("no such offer for this listener and room")
        ticket_id, now = offer_ticket_id(offer_id), self.clock.now()
        request = ReserveRequest(offer.room_id, holder_id, ticket_id, None, payment_method, offer.tier_id, None, amount)
        if offer.status == "accepted":
            return self.sales.resume_purchase(request)
        if offer.status == "offered" and now >= offer.expires_at:
            self._expire_offer(offer_id)
        offer.check_open(now)
        expires = now + self.policies.holds.hold
        box: dict[str, Any] = {}

        def decide(guards: WriteGuards) -> tuple[None, list[object]]:
            seat = guards.take_offer_seat(offer_id, ticket_id, holder_id, now, expires)
            if seat.status == "replay":  # a concurrent request with this offer bought the ticket first
                box["replay"] = True
                return None, []
            if seat.status == "already_holds":
                raise AlreadyHoldsTicketError("the listener already holds a live ticket for this room")
            if seat.status != "claimed":
                raise OfferExpiredError(f"the offer is {seat.status.replace('_', ' ')}")
            assert seat.price is not None and seat.host_id is not None and seat.tier_id is not None
            named = self._offer_amount(seat.price, seat.minimum_amount, amount)
            held = Seat(id=ticket_id, room_id=offer.room_id, host_id=seat.host_id, holder_id=holder_id,
                        price_amount=named, price_currency=seat.price.currency, reserved_at=now,
                        hold_expires_at=expires, idempotency_key=None, tier_id=seat.tier_id, list_amount=named)
            offer.accept(ticket_id, now)
            if self.gateway.instant:  # in process, no I/O: pay in this same transaction, as a purchase does
                guards.plan_revenue([(held.host_id, held.price_currency, held.room_id, held.price_amount)],
                                    {held.price_currency: self.policies.commission.threshold(held.price_currency)})
                box["session"] = self.gateway.start_payment(self.sales.payment_request_for(held, payment_method))
            ticket = box["ticket"] = record_seat(guards, held, box.get("session"), now, self.policies.commission)
            return None, [ticket, offer]

        _, position = self.uow.transact(decide)
        if box.get("replay"):
            return self.sales.resume_purchase(request)
        return self.sales.complete_purchase(request, (box["ticket"], position, box.get("session"), None))

    def _offer_amount(self, price: Money, minimum: int | None, amount: int | None) -> int:
        """What the ticket costs: the tier's price, or for pay what you want the amount named (its default: the price)."""
        if minimum is None:
            if amount is not None and amount != price.amount:
                raise FixedPriceError("the tier has a fixed price")
            return price.amount
        named = price.amount if amount is None else amount
        if named < minimum:
            raise BelowMinimumPriceError(f"the amount is below the tier's minimum of {minimum}")
        if named > self.policies.price.ceilings.get(price.currency, named):
            raise InvalidPriceError("the amount is above the price policy's maximum")
        return named
