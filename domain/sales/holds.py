"""Holds: a reserved seat waits for its payment until its hold expires, then comes back.

A sweep (the API's background loop, or a buyer finding the room sold out)
releases every expired hold: the processor's payment is cancelled first (it
may have succeeded meanwhile: then it is recorded instead), and the seat, its
tier's seat and its code's use come back in the release's transaction.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.errors import NotFoundError
from domain.guards import WriteGuards
from domain.payments import PaymentGatewayError
from domain.sales.commands import Settlement
from domain.sales.model import Ticket, TicketStatus

if TYPE_CHECKING:
    from domain.application import BoxOffice

log = logging.getLogger(__name__)


class HoldCommands:
    def expire_holds(self: BoxOffice, room_id: UUID | None = None) -> int:
        """Release reserved tickets whose hold has passed; returns how many seats came back."""
        now = self.clock.now()
        released = 0
        for hold in self.guards.expired_holds(now, room_id=room_id):
            try:
                ticket = self.get_ticket(hold.ticket_id)
            except NotFoundError:
                continue
            if ticket.status is not TicketStatus.RESERVED:
                continue
            session = None
            if ticket.payment_id and ticket.provider == self.gateway.name:
                try:  # cancel at the processor first; it may have succeeded meanwhile
                    session = self.gateway.cancel_payment(ticket.payment_id)
                except PaymentGatewayError as exc:
                    # The hold expires all the same: should the payment still succeed,
                    # the late-payment rule honours it if a seat is free and refunds it if not.
                    log.warning("could not cancel %s payment %s of expired ticket %s: %s",
                                self.gateway.name, ticket.payment_id, ticket.id, exc)
            if session is not None and session.status == "succeeded":
                self.settlements.run(Settlement(ticket.id, session))
                continue
            if self._release_expired(ticket.id):
                released += 1
        return released

    def _release_expired(self: BoxOffice, ticket_id: UUID) -> bool:
        try:
            ticket = self.get_ticket(ticket_id)
        except (NotFoundError, AggregateNotFoundError):
            return False
        if ticket.status is not TicketStatus.RESERVED:
            return False
        ticket.release("hold_expired", self.clock.now())

        def decide(guards: WriteGuards) -> tuple[bool, list[Ticket]]:
            return guards.release_seat(ticket.id, ticket.room_id, self.code_of(ticket)), [ticket]

        released, _ = self.transact(decide)
        return released
