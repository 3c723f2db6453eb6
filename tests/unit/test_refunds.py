"""Refunds on the in-memory store: full (the seat comes back), partial (an admin's; the seat stays),
and a cancelled room, which refunds every paid ticket in full once and reverses the split.

Money invariant asserted throughout: what is reversed adds up to what is
refunded (creator reversal + commission reversal = refund), and the creator's
lifetime revenue (the 97/80 threshold's input) goes down by the refund.
"""

from __future__ import annotations

import pytest

from domain.errors import ForbiddenError, TicketStateError
from domain.sales.model import TicketStatus
from tests.unit.builders import events_since, names, open_room


def test_a_host_refunds_a_ticket_in_full_and_the_seat_and_the_split_come_back(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=1, price=999)
    sold = box.buy_ticket(room.id, "ann").ticket
    start = box.uow.position()

    refunded, _ = box.refund_ticket(room.host_id, sold.id, amount=None, reason="host", key="r1")

    events = events_since(box, start)
    assert names(events) == ["Ticket.RefundRequested", "Ticket.RefundSettled"]
    assert (events[0].amount, events[0].creator_reversal, events[0].commission_reversal, events[0].full) == (
        999, 969, 30, True)
    assert refunded.status is TicketStatus.REFUNDED
    assert box.uow.guards.inventory(room.id).available == 1
    assert box.uow.guards.lifetime_revenue(room.host_id, "USD") == 0


def test_the_same_refund_key_refunds_once(box) -> None:  # noqa: ANN001
    room = open_room(box, price=999)
    sold = box.buy_ticket(room.id, "ann").ticket
    box.refund_ticket(room.host_id, sold.id, amount=None, reason="host", key="r1")
    start = box.uow.position()

    box.refund_ticket(room.host_id, sold.id, amount=None, reason="host", key="r1")

    assert events_since(box, start) == []


def test_an_admin_refunds_part_of_a_ticket_and_the_holder_keeps_the_seat(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=1, price=999)
    sold = box.buy_ticket(room.id, "ann").ticket
    start = box.uow.position()

    part, _ = box.refund_ticket("admin", sold.id, amount=400, reason="goodwill", key="p1", as_admin=True)

    requested = events_since(box, start)[0]
    assert (requested.amount, requested.full) == (400, False)
    assert requested.creator_reversal == 400 * 969 // 999  # the creator's part rounds down
    assert requested.creator_reversal + requested.commission_reversal == 400
    assert part.status is TicketStatus.PAID and part.refundable == 599
    assert box.uow.guards.inventory(room.id).available == 0
    assert box.uow.guards.lifetime_revenue(room.host_id, "USD") == 599


def test_the_rest_of_a_partly_refunded_ticket_reverses_exactly_what_is_left(box) -> None:  # noqa: ANN001
    room = open_room(box, price=999)
    sold = box.buy_ticket(room.id, "ann").ticket
    box.refund_ticket("admin", sold.id, amount=400, reason="goodwill", key="p1", as_admin=True)

    rest, _ = box.refund_ticket(room.host_id, sold.id, amount=None, reason="host", key="r2")

    assert rest.status is TicketStatus.REFUNDED
    assert (rest.reversed_creator, rest.reversed_commission) == (969, 30)  # the whole split, no unit lost
    assert box.uow.guards.inventory(room.id).taken == 0


def test_a_host_may_not_refund_part_of_a_ticket_and_nothing_is_written(box) -> None:  # noqa: ANN001
    room = open_room(box, price=999)
    sold = box.buy_ticket(room.id, "ann").ticket
    start = box.uow.position()

    with pytest.raises(ForbiddenError):
        box.refund_ticket(room.host_id, sold.id, amount=400, reason="host", key="p1")
    with pytest.raises(ForbiddenError):
        box.refund_ticket("someone-else", sold.id, amount=None, reason="host", key="p2")

    assert events_since(box, start) == []


def test_more_than_what_is_left_cannot_be_refunded(box) -> None:  # noqa: ANN001
    room = open_room(box, price=999)
    sold = box.buy_ticket(room.id, "ann").ticket
    box.refund_ticket("admin", sold.id, amount=900, reason="goodwill", key="p1", as_admin=True)

    with pytest.raises(TicketStateError):
        box.refund_ticket("admin", sold.id, amount=100, reason="goodwill", key="p2", as_admin=True)


def test_cancelling_a_room_refunds_every_paid_ticket_in_full_and_reverses_the_split(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=5, price=999)
    sold = [box.buy_ticket(room.id, holder).ticket for holder in ("ann", "ben", "cat")]
    box.refund_ticket("admin", sold[0].id, amount=100, reason="goodwill", key="p1", as_admin=True)
    start = box.uow.position()

    report = box.cancel_room(room.host_id, room.id)

    events = events_since(box, start)
    assert names(events).count("Room.Cancelled") == 1
    assert names(events).count("Ticket.RefundRequested") == 3
    assert (report.refunds_requested, report.refunds_failed) == (3, 0)
    tickets = [box.get_ticket(t.id) for t in sold]
    assert all(t.status is TicketStatus.REFUNDED and t.refundable == 0 for t in tickets)
    assert sum(t.reversed_creator for t in tickets) == sum(t.split.creator_share for t in tickets)
    assert sum(t.reversed_commission for t in tickets) == sum(t.split.commission for t in tickets)
    assert box.uow.guards.lifetime_revenue(room.host_id, "USD") == 0
    assert box.uow.guards.inventory(room.id).on_sale is False


def test_cancelling_a_room_again_refunds_nothing_twice(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=5, price=999)
    box.buy_ticket(room.id, "ann")
    box.cancel_room(room.host_id, room.id)
    start = box.uow.position()

    box.cancel_room(room.host_id, room.id)

    assert names(events_since(box, start)) == []


def test_cancelling_a_room_releases_the_seats_still_waiting_for_a_payment(pending_box, gateway) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=5, price=999)
    waiting = pending_box.buy_ticket(room.id, "ann").ticket

    report = pending_box.cancel_room(room.host_id, room.id)

    assert report.holds_released == 1
    assert pending_box.get_ticket(waiting.id).status is TicketStatus.RELEASED
    assert gateway.canceled == [waiting.payment_id]
    assert pending_box.uow.guards.inventory(room.id).taken == 0
