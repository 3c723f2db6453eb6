"""Sold-out marks: a room a claim just found sold out refuses the next plain purchases without a claim.

Why. Once a room is sold out, every further purchase is a refusal, and in an evening of
many rooms selling at once a third of all purchases are. Each cost a place in a group-
committed claim (a row lock, reads of the room's inventory, tiers and holds) only to hear
what the last claim said. A mark answers it on the event loop instead.

Safe. A mark only ever refuses; it never sells a seat, so it cannot oversell or give a
listener two tickets. What it may do is refuse a purchase that a claim would have let
through, and only in these windows, each bounded:
- a seat freed by an event (a payment failed, a hold swept, a refund, a cancellation, a
  bigger cap, a tier added or resized, an offer passed on): the process that commits it
  drops the room's mark at once (`saw`, a listener of the unit of work), and the admission
  tail of every other API process as it applies the event, so there for at most one tail
  poll plus its apply (BOXOFFICE_ADMISSION_POLL_SECONDS);
- a change by time alone (the room's or a tier's sales window, an unpaid hold's
  expiry, after which a sweep can free its seat): never; the claim says when the first
  such change falls (`SeatClaim.stable_until`) and the mark lapses then;
- anything else: the mark's lifetime (`ttl`, BOXOFFICE_SOLD_OUT_MARK_SECONDS) bounds it.

Which purchases. A mark answers only the purchase it was made from: plain (no
Idempotency-Key, which may be a replay of a paid purchase; no tier, code or amount named,
whose own refusals come before `sold_out`) and from a listener who holds no live ticket
for the room (who must hear `already_holds`, with the ticket), as the caller's
`holds_live_ticket` tells (the admission index: every API process has it in memory).
Without that check marks are never used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.clock import Clock
from domain.guards import SeatClaim, TierInventory
from domain.sales.purchases import ReserveRequest

# Ticket events that only take seats: every other event of a room may free one, or change what a claim answers.
TAKES_SEATS = frozenset({"Ticket.Reserved", "Ticket.PaymentStarted", "Ticket.Paid", "Ticket.Sold"})
ROOM_SCOPED = ("Ticket.", "Offer.", "WaitlistEntry.")  # events of a room's seats besides the room's own
SOLD_OUT = SeatClaim("sold_out", expired_holds=False)


def stable_until(now: datetime, sales_end: datetime | None, tiers: Iterable[TierInventory],
                 next_hold_expiry: datetime | None) -> datetime | None:
    """When a sold-out claim's answer may first change by time alone: the room's sales end, a tier's
    sales start or end still ahead, or the soonest unpaid hold's expiry; None: never."""
    windows = [t for tier in tiers for t in (tier.sales_start, tier.sales_end)]
    ahead = [t for t in (sales_end, next_hold_expiry, *windows) if t is not None and t > now]
    return min(ahead, default=None)


class SoldOutMarks:
    """Per process, in memory: room -> the moment its mark lapses."""

    def __init__(self, clock: Clock, ttl: timedelta) -> None:
        self.clock, self.ttl = clock, ttl
        self.holds_live_ticket: Callable[[UUID, str], bool] | None = None  # set by the composition root
        self._until: dict[UUID, datetime] = {}
        self._lock = threading.Lock()
        self.refused = 0  # purchases a mark answered (the tests count them)

    @staticmethod
    def plain(request: ReserveRequest) -> bool:
        return (request.idempotency_key is None and request.tier_id is None and request.code is None
                and request.amount is None)

    def note(self, request: ReserveRequest, claim: object, claimed_at: datetime) -> None:
        """Mark the room if a plain request's claim found it sold out with no hold to sweep."""
        if (self.ttl <= timedelta(0) or not isinstance(claim, SeatClaim) or claim.status != "sold_out"
                or claim.expired_holds or not self.plain(request)):
            return
        until = claimed_at + self.ttl
        if claim.stable_until is not None:
            until = min(until, claim.stable_until)
        with self._lock:
            self._until[request.room_id] = until

    def refusal(self, request: ReserveRequest) -> SeatClaim | None:
        """`sold_out` for this purchase if a live mark answers it; None: ask a claim."""
        until = self._until.get(request.room_id)
        if until is None or not self.plain(request):
            return None
        check = self.holds_live_ticket
        if check is None or check(request.room_id, request.holder_id):
            return None
        if self.clock.now() >= until:
            self.forget(request.room_id)
            return None
        self.refused += 1
        return SOLD_OUT

    @staticmethod
    def frees_seats(kind: str) -> bool:
        """May an event of this kind (`Ticket.Released`) free a seat, or change a claim's answer?"""
        return kind not in TAKES_SEATS and (kind.startswith("Room.") or kind.startswith(ROOM_SCOPED))

    def saw(self, events: Iterable[Any]) -> None:
        """Events this process committed: drop the marks of the rooms they may have freed a seat in."""
        if self._until:
            for event in events:
                self.forget_for(type(event).__qualname__, event.originator_id, lambda: event)

    def forget_for(self, kind: str, originator_id: UUID, event: Callable[[], Any]) -> None:
        """Drop the mark an event of this kind may end: a room's own events name the room by their
        originator; ticket, offer and waitlist events by their `room_id` (`event()`, asked only then)."""
        if not self.frees_seats(kind):
            return
        room_id = originator_id if kind.startswith("Room.") else getattr(event(), "room_id", None)
        if room_id is not None:
            self.forget(room_id if isinstance(room_id, UUID) else UUID(str(room_id)))

    def forget(self, room_id: UUID) -> None:
        """An event of the room may have freed a seat: the next purchase asks a claim."""
        if room_id in self._until:
            with self._lock:
                self._until.pop(room_id, None)

    def active(self) -> bool:
        """Is any room marked (else an event needs no look)?"""
        return bool(self._until)
