"""Holds on the in-memory store: a reserved seat waits for its payment until the hold expires.

The fake gateway (tests/support/fakes.py) keeps payments pending until the
test settles them; the frozen clock moves the time. A hold lasts 15 minutes
(HoldPolicy's default).
"""

from __future__ import annotations

import pytest

from domain.errors import SoldOutError
from domain.sales.model import TicketStatus
from tests.unit.builders import events_since, names, open_room


def test_a_reserved_seat_is_held_for_its_payment_and_counts_against_the_cap(pending_box) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=1)

    waiting = pending_box.buy_ticket(room.id, "ann").ticket

    assert waiting.status is TicketStatus.RESERVED and waiting.payment_id is not None
    with pytest.raises(SoldOutError):
        pending_box.buy_ticket(room.id, "ben")
    inventory = pending_box.uow.guards.inventory(room.id)
    assert (inventory.taken, inventory.paid) == (1, 0)


def test_an_expired_hold_releases_its_seat_and_cancels_its_payment(pending_box, gateway, clock) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=1)
    waiting = pending_box.buy_ticket(room.id, "ann").ticket
    clock.advance(minutes=15)
    start = pending_box.uow.position()

    released = pending_box.expire_holds()

    assert released == 1
    events = events_since(pending_box, start)
    assert names(events) == ["Ticket.Released"] and events[0].reason == "hold_expired"
    assert gateway.canceled == [waiting.payment_id]
    assert pending_box.get_ticket(waiting.id).status is TicketStatus.RELEASED
    assert pending_box.uow.guards.inventory(room.id).taken == 0


def test_a_hold_is_kept_until_the_last_moment_of_its_fifteen_minutes(pending_box, clock) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=1)
    pending_box.buy_ticket(room.id, "ann")
    clock.advance(minutes=14, seconds=59)

    assert pending_box.expire_holds() == 0
    assert pending_box.uow.guards.inventory(room.id).taken == 1


def test_a_sold_out_purchase_takes_the_seat_of_an_expired_hold(pending_box, clock) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=1)
    expired = pending_box.buy_ticket(room.id, "ann").ticket
    clock.advance(minutes=16)

    taken = pending_box.buy_ticket(room.id, "ben").ticket

    assert taken.status is TicketStatus.RESERVED
    assert pending_box.get_ticket(expired.id).status is TicketStatus.RELEASED


def test_a_payment_that_succeeds_confirms_the_hold_and_it_never_expires(pending_box, gateway, clock) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=1, price=999)
    waiting = pending_box.buy_ticket(room.id, "ann").ticket
    start = pending_box.uow.position()

    paid, _ = pending_box.record_payment(gateway.succeed(waiting.id))
    clock.advance(hours=1)

    assert names(events_since(pending_box, start)) == ["Ticket.Paid"]
    assert paid.status is TicketStatus.PAID and paid.split.creator_share == 969
    assert pending_box.expire_holds() == 0
    inventory = pending_box.uow.guards.inventory(room.id)
    assert (inventory.taken, inventory.paid) == (1, 1)


def test_the_same_payment_reported_twice_is_recorded_once(pending_box, gateway) -> None:  # noqa: ANN001
    room = open_room(pending_box)
    waiting = pending_box.buy_ticket(room.id, "ann").ticket
    session = gateway.succeed(waiting.id)
    pending_box.record_payment(session)
    start = pending_box.uow.position()

    pending_box.record_payment(session)

    assert events_since(pending_box, start) == []
    assert pending_box.uow.guards.lifetime_revenue(room.host_id, "USD") == 1000


def test_a_declined_payment_releases_the_seat_at_once(pending_box, gateway) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=1)
    waiting = pending_box.buy_ticket(room.id, "ann").ticket

    released, _ = pending_box.record_payment(gateway.fail(waiting.id))

    assert released.status is TicketStatus.RELEASED
    assert pending_box.buy_ticket(room.id, "ben").ticket.status is TicketStatus.RESERVED


def test_a_late_payment_takes_a_free_seat_again(pending_box, gateway, clock) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=2)
    late = pending_box.buy_ticket(room.id, "ann").ticket
    clock.advance(minutes=16)
    pending_box.expire_holds()

    paid, _ = pending_box.record_payment(gateway.succeed(late.id))

    assert paid.status is TicketStatus.PAID
    assert pending_box.uow.guards.inventory(room.id).paid == 1


def test_a_late_payment_without_a_free_seat_is_refunded(pending_box, gateway, clock) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=1)
    late = pending_box.buy_ticket(room.id, "ann").ticket
    clock.advance(minutes=16)
    pending_box.expire_holds()
    pending_box.buy_ticket(room.id, "ben")

    pending_box.record_payment(gateway.succeed(late.id))

    refunded = pending_box.get_ticket(late.id)
    assert refunded.status is TicketStatus.REFUNDED
    assert [r.reason for r in refunded.refunds.values()] == ["seat_unavailable"]
    assert pending_box.uow.guards.lifetime_revenue(room.host_id, "USD") == 0
    assert pending_box.uow.guards.inventory(room.id).taken == 1  # ben's seat
