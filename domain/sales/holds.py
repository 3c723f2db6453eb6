"""Holds: a reserved seat waits for its payment until its hold expires, then comes back.

A sweep (the API's background loop, or a buyer finding the room sold out)
releases every expired hold: the processor's payment is cancelled first (it
may have succeeded meanwhile: then it is recorded instead), and the seat, its
tier's seat and its code's use come back in the release's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.clock import Clock
from domain.errors import NotFoundError
from domain.guards import WriteGuards
from domain.payments import PaymentGateway, PaymentGatewayError, PaymentSession
from domain.sales.code_uses import code_of
from domain.sales.model import Ticket, TicketStatus
from domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class HoldCommands:
    """`record_payment` is the sales command that records a payment outcome (an expired hold's
    payment may have succeeded meanwhile), passed in by the application."""

    def __init__(self, uow: UnitOfWork, clock: Clock, gateway: PaymentGateway, *,
                 record_payment: Callable[[PaymentSession, UUID], Any]) -> None:
        self.uow, self.clock, self.gateway = uow, clock, gateway
        self.record_payment = record_payment

    def expire_holds(self, room_id: UUID | None = None) -> int:
        """Release reserved tickets whose hold has passed; returns how many seats came back."""
        now = self.clock.now()
        released = 0
        for hold in self.uow.guards.expired_holds(now, room_id=room_id):
            try:
                ticket = self.uow.load(Ticket, hold.ticket_id, "ticket")
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
                self.record_payment(session, ticket.id)
                continue
            if self._release_expired(ticket.id):
                released += 1
        return released

    def _release_expired(self, ticket_id: UUID) -> bool:
        try:
            ticket = self.uow.load(Ticket, ticket_id, "ticket")
        except NotFoundError:
            return False
        if ticket.status is not TicketStatus.RESERVED:
            return False
        ticket.release("hold_expired", self.clock.now())

        def decide(guards: WriteGuards) -> tuple[bool, list[Ticket]]:
            return guards.release_seat(ticket.id, ticket.room_id, code_of(ticket)), [ticket]

        released, _ = self.uow.transact(decide)
        return released
