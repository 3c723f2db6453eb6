"""One event per sale on an instant gateway: `Ticket.Sold` (domain/sales/sold.py).

A sandbox purchase pays inside its reservation's transaction; when the payment succeeds the ticket is
recorded as one `Sold` instead of `Reserved` then `Paid`, and is the same ticket after it. Anything
else (a decline, a paced or asynchronous gateway) records what it always did.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.money import Money
from domain.policies import CommissionPolicy
from domain.sales.model import Seat, Ticket, TicketStatus
from tests.support.old_sales import reserved_and_paid
from tests.unit.builders import events_since, names, open_room

AT = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
BOOKKEEPING = ("_version", "_created_on", "_modified_on", "_pending_events")


def state(ticket: Ticket) -> dict[str, Any]:
    """Every attribute of the ticket but its version and timestamps."""
    return {k: v for k, v in vars(ticket).items() if k not in BOOKKEEPING}


def replayed(*events: Any) -> Ticket:
    ticket = None
    for event in events:
        ticket = event.mutate(ticket)
    assert isinstance(ticket, Ticket)
    return ticket


def a_seat(price: int = 1_500, discount: int = 0, code: str | None = None) -> Seat:
    room_id = uuid4()
    return Seat(id=uuid4(), room_id=room_id, host_id="host", holder_id="ann", price_amount=price - discount,
                price_currency="EUR", reserved_at=AT, hold_expires_at=AT + timedelta(minutes=10),
                idempotency_key="k1", tier_id=room_id, list_amount=price, discount_amount=discount, code=code)


# --- the aggregate -------------------------------------------------------------------------------------


def test_a_ticket_sold_is_the_ticket_reserved_then_paid() -> None:
    seat = a_seat(discount=300, code="SPRING")
    split = CommissionPolicy().split(seat.price, 4_999_000)  # crosses the threshold
    payment: dict[str, Any] = {"split": split, "fee": Money(64, "USD"), "net": Money(1_240, "USD"),
                               "exchange_rate": "1.0893", "provider": "sandbox", "payment_id": "pi_1",
                               "charge_id": "ch_1", "balance_transaction_id": "txn_1", "lifetime_before": 4_999_000,
                               "at": AT}

    sold = Ticket.sell(seat, **payment)
    old = Ticket.reserve(**seat.reservation())
    old.pay(**payment, seat_held=True)

    assert (sold.version, old.version) == (1, 2)
    assert state(sold) == state(old)
    assert sold.status is TicketStatus.PAID and sold.split == split


def test_a_stored_sale_loads_as_the_ticket_reserved_then_paid(box: Any) -> None:
    room = open_room(box, capacity=3, price=1_500)
    start = box.uow.position()

    bought = box.buy_ticket(room.id, "ann", idempotency_key="k1").ticket

    (sold,) = events_since(box, start)
    assert state(box.get_ticket(bought.id)) == state(bought) == state(replayed(*reserved_and_paid(sold)))


def test_the_sold_event_answers_every_field_of_reserved_and_of_paid(box: Any) -> None:
    room = open_room(box, capacity=3, price=1_500)
    start = box.uow.position()
    box.buy_ticket(room.id, "ann")

    (sold,) = events_since(box, start)
    reserved, paid = reserved_and_paid(sold)

    for event in (reserved, paid):
        fields = {k: v for k, v in vars(event).items() if k not in ("originator_version", "timestamp")}
        assert {k: getattr(sold, k) for k in fields} == fields, type(event).__qualname__


def test_a_split_of_another_amount_than_the_seats_price_is_refused() -> None:
    seat = a_seat()

    with pytest.raises(ValueError, match="split"):
        Ticket.sell(seat, split=CommissionPolicy().split(Money(1_000, "EUR"), 0), fee=None, provider="sandbox",
                    payment_id="pi_1", charge_id=None, balance_transaction_id=None, lifetime_before=0, at=AT)


# --- what a purchase appends ---------------------------------------------------------------------------


def test_a_sandbox_purchase_appends_one_event_for_its_ticket(box: Any) -> None:
    room = open_room(box, capacity=3)
    start = box.uow.position()

    purchase = box.buy_ticket(room.id, "ann")

    assert purchase.ticket.status is TicketStatus.PAID
    events = events_since(box, start)
    assert names(events) == ["Ticket.Sold"]
    assert events[0].originator_id == purchase.ticket.id
    assert box.uow.guards.lifetime_revenue(room.host_id, "USD") == purchase.ticket.price_amount


def test_a_declined_sandbox_purchase_is_still_reserved_then_released(box: Any) -> None:
    room = open_room(box, capacity=3)
    start = box.uow.position()

    purchase = box.buy_ticket(room.id, "ann", payment_method="pm_card_chargeDeclined")

    assert purchase.ticket.status is TicketStatus.RELEASED
    assert names(events_since(box, start)) == ["Ticket.Reserved", "Ticket.Released"]
    assert box.uow.guards.inventory(room.id).available == 3


def test_a_gateway_that_is_not_instant_still_reserves_then_starts_the_payment(pending_box: Any) -> None:
    room = open_room(pending_box, capacity=3)
    start = pending_box.uow.position()

    pending_box.buy_ticket(room.id, "ann")

    assert names(events_since(pending_box, start)) == ["Ticket.Reserved", "Ticket.PaymentStarted"]


def test_a_waitlist_offer_bought_on_the_sandbox_is_one_sold_event(box: Any) -> None:
    room = open_room(box, capacity=1)
    first = box.buy_ticket(room.id, "ann").ticket
    box.join_waitlist("ben", room.id)
    start = box.uow.position()
    box.refund_ticket(room.host_id, first.id, amount=None, reason="requested_by_customer", key="full")
    (offer,) = [e for e in events_since(box, start) if names([e]) == ["Offer.Made"]]
    start = box.uow.position()

    purchase = box.buy_with_offer(offer.originator_id, "ben")

    assert purchase.ticket.status is TicketStatus.PAID
    assert sorted(names(events_since(box, start))) == ["Offer.Accepted", "Ticket.Sold"]
