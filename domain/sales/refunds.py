"""Refunds, room cancellation and disputes.

A refund is first recorded (`RefundRequested`, carrying the reversal of the
split), then sent to the processor with an idempotency key derived from our
refund id and attempt, then settled or failed. Cancelling a room again, or
replaying a webhook, finds every refund already requested and sends nothing
twice; failed refunds are retried with a new attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from domain.clock import Clock
from domain.errors import ForbiddenError, IdempotencyConflictError
from domain.guards import WriteGuards
from domain.ids import client_refund_id_for, refund_id_for
from domain.payments import PaymentGateway, PaymentGatewayError, PaymentSession, RefundRequest, RefundResult
from domain.policies import Policies
from domain.rooms.model import Room
from domain.sales.code_uses import code_of
from domain.sales.model import RefundState, Ticket, TicketStatus
from domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CancellationReport:
    room: Room
    refunds_requested: int
    refunds_succeeded: int
    refunds_pending: int
    refunds_failed: int
    holds_released: int
    position: int | None


def attempt_id(state: RefundState) -> UUID:
    """The id (and so the processor idempotency key) of one attempt of a refund."""
    return state.refund_id if state.attempt == 1 else uuid5(state.refund_id, f"attempt-{state.attempt}")


class RefundCommands:
    """`record_payment` is the sales command that records a payment outcome (a cancelled room's
    unpaid ticket may turn out paid at the processor), passed in by the application."""

    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies, gateway: PaymentGateway, *,
                 record_payment: Callable[[PaymentSession, UUID], Any]) -> None:
        self.uow, self.clock, self.policies, self.gateway = uow, clock, policies, gateway
        self.record_payment = record_payment

    def cancel_room(self, actor_id: str, room_id: UUID, reason: str = "cancelled_by_host") -> CancellationReport:
        """Cancel the room, close sales, release holds and refund every paid ticket in full.

        Safe to run again: nothing is refunded twice, failed refunds are retried.
        """
        room = self.uow.load(Room, room_id, "room")
        room.check_host(actor_id)
        newly = room.cancel(self.clock.now(), reason)
        position = None
        if newly:
            def decide(guards: WriteGuards) -> tuple[None, list[Room]]:
                guards.close_sales(room.id)
                return None, [room]

            _, position = self.uow.transact(decide)
        released = requested = 0
        for ticket_id in self.uow.guards.tickets_of_room(room_id):
            ticket = self.uow.load(Ticket, ticket_id, "ticket")
            if ticket.status is TicketStatus.RESERVED:
                released += self._release_for_cancellation(ticket)
            elif ticket.status in (TicketStatus.PAID, TicketStatus.REVOKED) and ticket.refundable > 0:
                self.refund_ticket(room.host_id, ticket.id, amount=None, reason="room_cancelled", key="room_cancelled",
                                   as_admin=True, execute=False)
                requested += 1
        counts = {"succeeded": 0, "requested": 0, "failed": 0}
        for ticket_id in self.uow.guards.tickets_of_room(room_id):
            ticket = self.uow.load(Ticket, ticket_id, "ticket")
            if ticket.refunds:
                self.execute_refunds(ticket, retry_failed=True)
                ticket = self.uow.load(Ticket, ticket_id, "ticket")
            for state in ticket.refunds.values():
                counts[state.status] += 1
        return CancellationReport(room, requested, counts["succeeded"], counts["requested"], counts["failed"], released,
                                  self.uow.position())

    def _release_for_cancellation(self, ticket: Ticket) -> int:
        if ticket.payment_id and ticket.provider == self.gateway.name:
            try:
                session = self.gateway.cancel_payment(ticket.payment_id)
            except PaymentGatewayError as exc:
                log.warning("could not cancel payment %s: %s", ticket.payment_id, exc)
                return 0
            if session.status == "succeeded":  # paid meanwhile: record it, the refund follows
                self.record_payment(session, ticket.id)
                return 0
        ticket.release("room_cancelled", self.clock.now())

        def decide(guards: WriteGuards) -> tuple[None, list[Ticket]]:
            guards.release_seat(ticket.id, ticket.room_id, code_of(ticket))  # unpaid: the use comes back
            return None, [ticket]

        self.uow.transact(decide)
        return 1

    def code_back_on_refund(self, ticket: Ticket) -> UUID | None:
        """The code whose use a refund after payment gives back: none, unless the code policy says so."""
        return code_of(ticket) if self.policies.codes.use_back_on_refund else None

    def refund_ticket(
        self,
        actor_id: str,
        ticket_id: UUID,
        *,
        amount: int | None,
        reason: str,
        key: str,
        as_admin: bool = False,
        execute: bool = True,
        client_key: bool = False,
    ) -> tuple[Ticket, int | None]:
        """Refund a paid ticket: the host refunds in full, an admin any part.

        `key` makes the request idempotent: the same key is the same refund, and the
        same key with another amount (or, for a caller's key, another reason) is
        refused with IdempotencyConflictError, as Stripe does. `client_key`: the key
        is the caller's Idempotency-Key, kept apart from the keys the system makes.
        """
        ticket = self.uow.load(Ticket, ticket_id, "ticket")
        if not as_admin:
            if actor_id != ticket.host_id:
                raise ForbiddenError("only the room's host or an admin may refund a ticket")
            if amount is not None and amount != ticket.refundable:
                raise ForbiddenError("a host refunds tickets in full; partial refunds need an admin")
        refund_id = client_refund_id_for(ticket.id, key) if client_key else refund_id_for(ticket.id, key)
        if (earlier := ticket.refunds.get(str(refund_id))) is not None:
            same_amount = earlier.full if amount is None else amount == earlier.amount
            if not same_amount or (client_key and reason != earlier.reason):
                raise IdempotencyConflictError(
                    f"this Idempotency-Key made a refund of {earlier.amount} ({earlier.reason}); "
                    "send a new key for another refund")
            return ticket, None
        state = ticket.request_refund(refund_id, amount, reason, actor_id, self.clock.now())

        def decide(guards: WriteGuards) -> tuple[None, list[Ticket]]:
            if ticket.status is TicketStatus.REFUNDED:  # the room before the revenue row: the lock order
                guards.release_seat(ticket.id, ticket.room_id, self.code_back_on_refund(ticket))
            guards.accrue_revenue(ticket.host_id, ticket.price_currency, -state.amount)
            return None, [ticket]

        _, position = self.uow.transact(decide)
        if execute:
            ticket = self.execute_refunds(ticket) or ticket
        return ticket, position

    def execute_refunds(self, ticket: Ticket, retry_failed: bool = False) -> Ticket | None:
        """Send every requested (and, if asked, failed) refund of the ticket to the processor."""
        if retry_failed and any(s.status == "failed" for s in ticket.refunds.values()):
            for state in ticket.refunds.values():
                if state.status == "failed":
                    ticket.retry_refund(state.refund_id, self.clock.now())
            self.uow.save(ticket)
        changed = False
        for state in list(ticket.refunds.values()):
            if state.status != "requested":
                continue
            request = RefundRequest(
                refund_id=attempt_id(state),
                ticket_id=ticket.id,
                payment_id=ticket.payment_id or "",
                amount=ticket.price.__class__(state.amount, ticket.price_currency),
                reason=state.reason,
            )
            try:
                result = self.gateway.refund(request)
            except PaymentGatewayError as exc:
                log.warning("refund %s of ticket %s not sent: %s", state.refund_id, ticket.id, exc)
                if not exc.retryable:
                    self.record_refund(ticket.id, state.refund_id, None, failure=str(exc))
                    changed = True
                continue
            self.record_refund(ticket.id, state.refund_id, result)
            changed = True
        return self.uow.load(Ticket, ticket.id, "ticket") if changed else None

    def record_refund(
        self, ticket_id: UUID, refund_id: UUID, result: RefundResult | None, failure: str | None = None,
        dedupe_key: str | None = None,
    ) -> tuple[Ticket, int | None]:
        """Record a refund's outcome (from the gateway's answer or a webhook)."""
        ticket = self.uow.load(Ticket, ticket_id, "ticket")
        now = self.clock.now()
        if result is None or result.status in ("failed", "canceled"):
            ticket.fail_refund(refund_id, failure or (result.failure_reason if result else None) or "failed", now)
        elif result.status == "succeeded":
            ticket.settle_refund(refund_id, result.refund_id, result.balance_transaction_id, now)
        return self.uow.transact(lambda guards: (ticket, [ticket]), dedupe_key)

    def record_processor_refund(
        self, ticket_id: UUID, result: RefundResult, our_refund_id: str | None = None,
        dedupe_key: str | None = None,
    ) -> tuple[Ticket, int | None]:
        """A refund the processor reports (webhook). One we asked for is settled or
        failed; one made elsewhere (the processor's dashboard) is recorded as a
        refund first, with its reversal of the split, then settled."""
        ticket = self.uow.load(Ticket, ticket_id, "ticket")
        now = self.clock.now()
        known = self.find_refund(ticket, result.refund_id, our_refund_id)
        released = False
        if known is None:
            if result.status in ("failed", "canceled") or ticket.split is None:
                return ticket, None
            known = refund_id_for(ticket.id, f"processor:{result.refund_id}")
            amount = min(result.amount.amount, ticket.refundable)
            if amount <= 0:
                return ticket, None
            ticket.request_refund(known, amount, "processor_refund", "processor", now)
            released = ticket.status is TicketStatus.REFUNDED
            accrual = amount
        else:
            accrual = 0
        if result.status == "succeeded":
            ticket.settle_refund(known, result.refund_id, result.balance_transaction_id, now)
        elif result.status in ("failed", "canceled"):
            ticket.fail_refund(known, result.failure_reason or result.status, now)

        def decide(guards: WriteGuards) -> tuple[Ticket, list[Ticket]]:
            if released:  # the room before the revenue row: the lock order
                guards.release_seat(ticket.id, ticket.room_id, self.code_back_on_refund(ticket))
            if accrual:
                guards.accrue_revenue(ticket.host_id, ticket.price_currency, -accrual)
            return ticket, [ticket]

        return self.uow.transact(decide, dedupe_key)

    def find_refund(self, ticket: Ticket, processor_refund_id: str | None, our_id: str | None) -> UUID | None:
        for state in ticket.refunds.values():
            if our_id and (str(state.refund_id) == our_id or str(attempt_id(state)) == our_id):
                return state.refund_id
            if processor_refund_id and state.processor_refund_id == processor_refund_id:
                return state.refund_id
        return None

    def refund_summary(self, room_id: UUID) -> dict[str, int]:
        """How the room's refunds stand: requested (in flight), succeeded, failed."""
        counts = {"requested": 0, "succeeded": 0, "failed": 0}
        for ticket_id in self.uow.guards.tickets_of_room(room_id):
            for state in self.uow.load(Ticket, ticket_id, "ticket").refunds.values():
                counts[state.status] = counts.get(state.status, 0) + 1
        return counts

    # --- disputes ----------------------------------------------------------------

    def open_dispute(
        self, ticket_id: UUID, dispute_id: str, amount: int, dedupe_key: str | None = None
    ) -> tuple[Ticket, int | None]:
        """The buyer disputed the charge: access is revoked while it is open."""
        ticket = self.uow.load(Ticket, ticket_id, "ticket")
        ticket.open_dispute(dispute_id, amount, self.clock.now())
        return self.uow.transact(lambda guards: (ticket, [ticket]), dedupe_key)

    def close_dispute(
        self, ticket_id: UUID, dispute_id: str, won: bool, dedupe_key: str | None = None
    ) -> tuple[Ticket, int | None]:
        """Won: access comes back. Lost: the money is gone and the split is reversed."""
        ticket = self.uow.load(Ticket, ticket_id, "ticket")
        before = ticket.refunded_amount
        if ticket.dispute_id != dispute_id:  # the close arrived first: open it now
            ticket.open_dispute(dispute_id, ticket.refundable, self.clock.now())
        ticket.close_dispute(dispute_id, won, self.clock.now())
        lost = ticket.refunded_amount - before

        def decide(guards: WriteGuards) -> tuple[None, list[Ticket]]:
            if lost:
                guards.release_seat(ticket.id, ticket.room_id, self.code_back_on_refund(ticket))  # before revenue
                guards.accrue_revenue(ticket.host_id, ticket.price_currency, -lost)
            return ticket, [ticket]

        return self.uow.transact(decide, dedupe_key)

