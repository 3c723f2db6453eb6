"""Applying one payment outcome to a ticket, inside the settling transaction.

Kept apart from the purchase commands (domain/sales/commands.py), which batch
the outcomes: here is what one outcome does to one ticket and its guard rows
(the seat, the code's use, the creator's lifetime revenue and so the split),
and what an instant gateway's outcome does to a seat claimed in the same
transaction (`record_seat`: a success is one `Ticket.Sold`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.guards import WriteGuards
from domain.ids import refund_id_for
from domain.money import Money
from domain.payments import PaymentSession
from domain.policies import CommissionPolicy
from domain.sales.code_uses import code_of
from domain.sales.model import Seat, Ticket, TicketStatus


def may_move_seat(ticket: Ticket, session: PaymentSession) -> bool:
    """Could applying this outcome give the ticket's seat back or take one again?"""
    if session.status in ("failed", "canceled"):
        return ticket.status is TicketStatus.RESERVED
    return session.status == "succeeded" and ticket.split is None and ticket.status is not TicketStatus.RESERVED


def payment_facts(session: PaymentSession) -> dict[str, Any]:
    """What a paid ticket records of its payment: the processor's ids, and the fee, net and rate of its charge
    (None where the processor reported no charge: nothing was taken)."""
    charge = session.charge
    return {"provider": session.provider, "payment_id": session.payment_id,
            "fee": charge.fee if charge else None, "net": charge.net if charge else None,
            "exchange_rate": charge.exchange_rate if charge else None,
            "charge_id": charge.charge_id if charge else None,
            "balance_transaction_id": charge.balance_transaction_id if charge else None}


def apply_payment(guards: WriteGuards, ticket: Ticket, session: PaymentSession, now: datetime,
                  commission: CommissionPolicy) -> bool:
    """Apply one payment outcome; True if a refund must follow (no seat for a late payment)."""
    if session.status == "pending":
        if ticket.status is TicketStatus.RESERVED:
            ticket.start_payment(session.provider, session.payment_id)
        return False
    if session.status in ("failed", "canceled"):
        if ticket.status is TicketStatus.RESERVED and ticket.payment_id in (None, session.payment_id):
            ticket.release("payment_failed" if session.status == "failed" else "payment_canceled", now)
            guards.release_seat(ticket.id, ticket.room_id, code_of(ticket))
        return False
    # succeeded
    if ticket.split is not None:
        return False  # already recorded: a duplicate or late webhook
    if ticket.status is TicketStatus.RESERVED:
        seat_held = True
    else:  # released: the hold expired or the room was cancelled before the money came
        seat_held = guards.reclaim_seat(ticket.id, now)
    gross = Money(ticket.price_amount, ticket.price_currency)
    lifetime_before = guards.accrue_revenue(ticket.host_id, gross.currency, gross.amount, ticket.room_id)
    split = commission.split(gross, lifetime_before)
    ticket.pay(split=split, **payment_facts(session), lifetime_before=lifetime_before, at=now, seat_held=seat_held)
    if seat_held:
        guards.mark_paid(ticket.id)
        return False
    ticket.request_refund(refund_id_for(ticket.id, "seat_unavailable"), None, "seat_unavailable", "system", now)
    guards.accrue_revenue(ticket.host_id, gross.currency, -gross.amount)
    return True


def record_seat(guards: WriteGuards, seat: Seat, session: PaymentSession | None, now: datetime,
                commission: CommissionPolicy) -> Ticket:
    """The ticket of a seat claimed in this transaction, and the outcome of an instant payment started for it
    (`session`; None: the payment starts later). A success is recorded as one `Ticket.Sold`, through the same
    guards, in the same order, as `Reserved` then `apply_payment` (the seat is held: it was just claimed);
    any other outcome is `Reserved`, then what `apply_payment` records (a decline: `Released`)."""
    if session is None or session.status != "succeeded":
        ticket = Ticket.reserve(**seat.reservation())
        if session is not None:
            apply_payment(guards, ticket, session, now, commission)
        return ticket
    gross = seat.price
    lifetime_before = guards.accrue_revenue(seat.host_id, gross.currency, gross.amount, seat.room_id)
    ticket = Ticket.sell(seat, split=commission.split(gross, lifetime_before), **payment_facts(session),
                         lifetime_before=lifetime_before, at=now)
    guards.mark_paid(ticket.id)
    return ticket
