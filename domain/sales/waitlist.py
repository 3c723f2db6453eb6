"""The waitlist: listeners in line for a sold-out tier, and the offers that hold a freed seat for them.

A listener joins a room's line for one tier (`WaitlistEntry.Joined`, with its
place) while that tier or the room is sold out. When a seat frees, the first
listener in line whose tier then has a seat gets an `Offer` (`Offer.Made`): the
seat is held for them, a real hold in the guards (the room's and the tier's
counters count it, so nobody else can buy it), until the offer expires. They buy
with the offer (`Offer.Accepted`, and the ticket takes the offer's seat), let it
expire (`Offer.Expired`: the seat goes to the next in line) or decline it by
leaving (`Offer.Declined`). A waiting listener may leave (`WaitlistEntry.Left`).

The line itself (who waits, in which order, who holds an offer) is a guard
table written behind the room's lock (the port: `WaitlistGuards` in
domain/guards.py; store/waitlist_guards_sql.py implements it), in the
transactions that append these events; the offers are made in the transaction
that frees the seat (see domain/sales/waitlist_commands.py). Imports only eventsourcing
and the domain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError, NotFoundError, TicketStateError
from domain.ids import offer_id_for, offer_ticket_id  # noqa: F401  (re-exported)


class NotSoldOutError(ConflictError):
    """The tier and the room have seats: buy one instead of joining the line."""

    code = "not_sold_out"


class AlreadyOnWaitlistError(ConflictError):
    """The listener is already in this room's line (waiting, or holding an offer)."""

    code = "already_on_waitlist"


class NotOnWaitlistError(NotFoundError):
    """The listener is not in this room's line, or the offer is not theirs."""

    code = "not_on_waitlist"


class OfferExpiredError(ConflictError):
    """The offer's time ran out (or it was declined): its seat went to the next listener in line."""

    code = "offer_expired"


class WaitlistEntry(Aggregate):
    class Joined(Aggregate.Created):
        room_id: UUID
        tier_id: UUID
        holder_id: str
        place: int
        joined_at: datetime

    @classmethod
    def join(cls, id: UUID, room_id: UUID, tier_id: UUID, holder_id: str, place: int,  # noqa: A002
             joined_at: datetime) -> WaitlistEntry:
        """A listener's place in a tier's line, as the guard gave it."""
        return cls._create(cls.Joined, id=id, room_id=room_id, tier_id=tier_id, holder_id=holder_id, place=place,
                           joined_at=joined_at)

    @event(Joined)
    def __init__(self, room_id: UUID, tier_id: UUID, holder_id: str, place: int, joined_at: datetime) -> None:
        self.room_id, self.tier_id, self.holder_id, self.place = room_id, tier_id, holder_id, place
        self.joined_at = joined_at
        self.left = False

    def leave(self, at: datetime) -> None:
        self._leave(self.room_id, self.holder_id, at)

    @event("Left")
    def _leave(self, room_id: UUID, holder_id: str, at: datetime) -> None:
        self.left = True


OfferStatus = Literal["offered", "accepted", "expired", "declined"]


class Offer(Aggregate):
    class Made(Aggregate.Created):
        entry_id: UUID
        room_id: UUID
        tier_id: UUID
        holder_id: str
        place: int
        made_at: datetime
        expires_at: datetime

    @classmethod
    def make(cls, id: UUID, entry_id: UUID, room_id: UUID, tier_id: UUID, holder_id: str, place: int,  # noqa: A002
             made_at: datetime, expires_at: datetime) -> Offer:
        """A seat held for the first in line until `expires_at`, under the id the guard derived."""
        return cls._create(cls.Made, id=id, entry_id=entry_id, room_id=room_id, tier_id=tier_id, holder_id=holder_id,
                           place=place, made_at=made_at, expires_at=expires_at)

    @event(Made)
    def __init__(self, entry_id: UUID, room_id: UUID, tier_id: UUID, holder_id: str, place: int, made_at: datetime,
                 expires_at: datetime) -> None:
        self.entry_id, self.room_id, self.tier_id, self.holder_id, self.place = (
            entry_id, room_id, tier_id, holder_id, place)
        self.made_at, self.expires_at = made_at, expires_at
        self.status: OfferStatus = "offered"
        self.ticket_id: UUID | None = None

    def check_open(self, now: datetime) -> None:
        if self.status == "expired" or self.status == "declined" or (self.status == "offered" and now >= self.expires_at):
            raise OfferExpiredError(f"the offer expired at {self.expires_at.isoformat()}")
        if self.status == "accepted":
            raise TicketStateError("the offer was used")

    def accept(self, ticket_id: UUID, at: datetime) -> None:
        self._accept(self.entry_id, self.room_id, self.holder_id, ticket_id, at)

    @event("Accepted")
    def _accept(self, entry_id: UUID, room_id: UUID, holder_id: str, ticket_id: UUID, at: datetime) -> None:
        self.status, self.ticket_id = "accepted", ticket_id

    def expire(self, at: datetime) -> None:
        self._expire(self.entry_id, self.room_id, self.holder_id, at)

    @event("Expired")
    def _expire(self, entry_id: UUID, room_id: UUID, holder_id: str, at: datetime) -> None:
        self.status = "expired"

    def decline(self, at: datetime) -> None:
        self._decline(self.entry_id, self.room_id, self.holder_id, at)

    @event("Declined")
    def _decline(self, entry_id: UUID, room_id: UUID, holder_id: str, at: datetime) -> None:
        self.status = "declined"
