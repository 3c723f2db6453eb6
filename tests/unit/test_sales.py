"""Selling seats: the cap, one ticket per listener, holds, late payments, refunds.

The cap is held by the store's write guards; these run the application on the
in-memory store (store/memory.py), which the guards' contract tests
(tests/integration/test_guard_contract_*.py) hold to the SQL stores' answers.
"""

from __future__ import annotations

from collections import Counter

import pytest

from domain.errors import (
    AlreadyHoldsTicketError,
    ForbiddenError,
    InvalidCapacityError,
    NotEligibleError,
    NotFoundError,
    NotOnSaleError,
    RoomStateError,
    SoldOutError,
    TicketStateError,
)
from domain.rooms.commands import RoomChanges
from domain.sales.model import TicketStatus
from tests.support.fakes import PendingGateway, usd


def open_room(box, capacity: int = 3, price: int = 1000, host: str = "host", **kw):  # noqa: ANN001, ANN201
    if box.find_creator(host) is None:
        box.register_creator(host, "Host", 1000)
    room, _ = box.open_room(host, title="Room", scheduled_start=None, price=usd(price), capacity=capacity, **kw)
    return room


def events_of(box) -> Counter:  # noqa: ANN001
    return Counter(type(e).__qualname__ for n in box.recorder.select_notifications(start=1, limit=100_000)
                   for e in [box.mapper.to_domain_event(n)])


def test_tickets_sell_to_the_cap_and_then_refuse_with_sold_out(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=2)

    first = box.buy_ticket(room.id, "ann")
    second = box.buy_ticket(room.id, "ben")
    with pytest.raises(SoldOutError):
        box.buy_ticket(room.id, "cat")

    assert first.ticket.status is TicketStatus.PAID and second.ticket.status is TicketStatus.PAID
    assert box.uow.guards.inventory(room.id).available == 0
    assert events_of(box)["Ticket.Sold"] == 2


def test_a_listener_holds_one_live_ticket_per_room(box) -> None:  # noqa: ANN001
    room = open_room(box)
    box.buy_ticket(room.id, "ann")

    with pytest.raises(AlreadyHoldsTicketError):
        box.buy_ticket(room.id, "ann")


def test_the_same_idempotency_key_returns_the_same_ticket(box) -> None:  # noqa: ANN001
    room = open_room(box)

    first = box.buy_ticket(room.id, "ann", idempotency_key="k1")
    again = box.buy_ticket(room.id, "ann", idempotency_key="k1")

    assert again.replayed and again.ticket.id == first.ticket.id
    assert events_of(box)["Ticket.Sold"] == 1


def test_the_sale_records_its_split_and_fee(box) -> None:  # noqa: ANN001
    room = open_room(box, price=999)

    ticket = box.buy_ticket(room.id, "ann").ticket

    assert (ticket.split.gross, ticket.split.creator_share, ticket.split.commission) == (999, 969, 30)
    assert ticket.fee == 59  # sandbox: 2.9% + 0.30
    assert ticket.split.policy_version == "tiered-97-80-v1"


def test_a_price_change_applies_to_later_sales_only(box) -> None:  # noqa: ANN001
    room = open_room(box, price=1000)
    early = box.buy_ticket(room.id, "ann").ticket

    box.change_room("host", room.id, RoomChanges(price=usd(2500)))
    late = box.buy_ticket(room.id, "ben").ticket

    assert (box.get_ticket(early.id).price_amount, late.price_amount) == (1000, 2500)


def test_capacity_never_drops_below_tickets_sold(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=5)
    for who in ("ann", "ben", "cat"):
        box.buy_ticket(room.id, who)

    with pytest.raises(InvalidCapacityError):
        box.change_room("host", room.id, RoomChanges(capacity=2))
    box.change_room("host", room.id, RoomChanges(capacity=3))

    assert box.get_room(room.id).capacity == 3
    with pytest.raises(SoldOutError):
        box.buy_ticket(room.id, "dan")


def test_only_the_host_changes_a_room(box) -> None:  # noqa: ANN001
    room = open_room(box)
    with pytest.raises(ForbiddenError):
        box.change_room("mallory", room.id, RoomChanges(title="mine"))
    with pytest.raises(ForbiddenError):
        box.start_room("mallory", room.id)


def test_an_ineligible_or_unregistered_creator_cannot_open_a_room(box) -> None:  # noqa: ANN001
    box.register_creator("small", "Small", 599)
    with pytest.raises(NotEligibleError):
        box.open_room("small", title="x", scheduled_start=None, price=usd(100), capacity=1)
    with pytest.raises(NotEligibleError):
        box.open_room("nobody", title="x", scheduled_start=None, price=usd(100), capacity=1)


def test_sales_close_when_the_room_ends_or_is_cancelled(box) -> None:  # noqa: ANN001
    ended, cancelled = open_room(box), open_room(box)
    box.start_room("host", ended.id)
    box.end_room("host", ended.id)
    box.cancel_room("host", cancelled.id)

    for room in (ended, cancelled):
        with pytest.raises(NotOnSaleError):
            box.buy_ticket(room.id, "ann")


def test_sales_close_at_sales_end(box, clock) -> None:  # noqa: ANN001
    room = open_room(box, sales_end=clock.now().replace(hour=19))
    box.buy_ticket(room.id, "ann")

    clock.advance(hours=1)

    with pytest.raises(NotOnSaleError):
        box.buy_ticket(room.id, "ben")


def test_room_lifecycle_scheduled_live_ended(box) -> None:  # noqa: ANN001
    room = open_room(box)
    with pytest.raises(RoomStateError):
        box.end_room("host", room.id)
    box.start_room("host", room.id)
    with pytest.raises(RoomStateError):
        box.start_room("host", room.id)
    box.end_room("host", room.id)
    with pytest.raises(RoomStateError):
        box.cancel_room("host", room.id)
    assert box.get_room(room.id).state.value == "ended"


def test_at_most_two_cohosts_and_ten_speakers(box) -> None:  # noqa: ANN001
    from domain.errors import TooManyCohostsError, TooManySpeakersError

    room = open_room(box)
    box.set_cohost("host", room.id, "c1", True)
    box.set_cohost("host", room.id, "c2", True)
    with pytest.raises(TooManyCohostsError):
        box.set_cohost("host", room.id, "c3", True)
    for i in range(10):
        box.set_speaker("host", room.id, f"s{i}", True)
    with pytest.raises(TooManySpeakersError):
        box.set_speaker("host", room.id, "s10", True)
    box.set_cohost("host", room.id, "c1", False)
    assert box.get_room(room.id).cohosts == ["c2"]


def test_unknown_room_is_not_found(box) -> None:  # noqa: ANN001
    import uuid

    with pytest.raises(NotFoundError):
        box.buy_ticket(uuid.uuid4(), "ann")


def test_cancelling_refunds_every_paid_ticket_once(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=3)
    for who in ("ann", "ben", "cat"):
        box.buy_ticket(room.id, who)

    first = box.cancel_room("host", room.id)
    second = box.cancel_room("host", room.id)

    assert first.refunds_requested == 3 and first.refunds_succeeded == 3
    assert second.refunds_requested == 0
    assert len(box.gateway._refunds) == 3
    assert events_of(box)["Ticket.RefundRequested"] == 3
    assert box.uow.guards.lifetime_revenue("host", "USD") == 0


def test_a_refund_releases_the_seat_and_reverses_lifetime_revenue(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=1)
    ticket = box.buy_ticket(room.id, "ann").ticket

    refunded, _ = box.refund_ticket("host", ticket.id, amount=None, reason="asked", key="r1")

    assert refunded.status is TicketStatus.REFUNDED
    assert refunded.refunds[next(iter(refunded.refunds))].status == "succeeded"
    assert box.buy_ticket(room.id, "ben").ticket.status is TicketStatus.PAID


def test_a_host_cannot_refund_part_of_a_ticket_but_an_admin_can(box) -> None:  # noqa: ANN001
    room = open_room(box, price=1000)
    ticket = box.buy_ticket(room.id, "ann").ticket

    with pytest.raises(ForbiddenError):
        box.refund_ticket("host", ticket.id, amount=300, reason="x", key="p1")
    partial, _ = box.refund_ticket("admin", ticket.id, amount=300, reason="x", key="p1", as_admin=True)

    assert partial.status is TicketStatus.PAID and partial.refunded_amount == 300
    with pytest.raises(TicketStateError):
        box.refund_ticket("admin", ticket.id, amount=800, reason="x", key="p2", as_admin=True)


# --- holds and late payments (a gateway whose payments stay pending) ---------------


@pytest.fixture
def pending(make_box, clock):  # noqa: ANN001, ANN201
    gateway = PendingGateway(clock)
    return make_box(gateway), gateway


def test_a_pending_payment_holds_the_seat(pending) -> None:  # noqa: ANN001
    box, _ = pending
    room = open_room(box, capacity=1)

    purchase = box.buy_ticket(room.id, "ann")

    assert purchase.ticket.status is TicketStatus.RESERVED
    assert purchase.session.client_secret
    with pytest.raises(SoldOutError):
        box.buy_ticket(room.id, "ben")


def test_an_expired_hold_gives_the_seat_back(pending, clock) -> None:  # noqa: ANN001
    box, gateway = pending
    room = open_room(box, capacity=1)
    held = box.buy_ticket(room.id, "ann").ticket

    clock.advance(minutes=15, seconds=1)
    second = box.buy_ticket(room.id, "ben")  # sold out, sweeps, then succeeds

    assert box.get_ticket(held.id).status is TicketStatus.RELEASED
    assert box.get_ticket(held.id).release_reason == "hold_expired"
    assert gateway.canceled == [held.payment_id]
    assert second.ticket.status is TicketStatus.RESERVED


def test_a_hold_one_second_before_expiry_is_kept(pending, clock) -> None:  # noqa: ANN001
    box, _ = pending
    room = open_room(box, capacity=1)
    box.buy_ticket(room.id, "ann")

    clock.advance(minutes=14, seconds=59)

    assert box.expire_holds() == 0
    with pytest.raises(SoldOutError):
        box.buy_ticket(room.id, "ben")


def test_a_failed_payment_releases_the_seat(pending) -> None:  # noqa: ANN001
    box, gateway = pending
    room = open_room(box, capacity=1)
    ticket = box.buy_ticket(room.id, "ann").ticket

    box.record_payment(gateway.fail(ticket.id))

    assert box.get_ticket(ticket.id).status is TicketStatus.RELEASED
    assert box.buy_ticket(room.id, "ben").ticket.status is TicketStatus.RESERVED


def test_a_late_payment_is_honoured_when_a_seat_is_free(pending, clock) -> None:  # noqa: ANN001
    box, gateway = pending
    room = open_room(box, capacity=2)
    ticket = box.buy_ticket(room.id, "ann").ticket
    clock.advance(minutes=16)
    box.expire_holds()
    gateway._payments[ticket.payment_id] = gateway._payments[ticket.payment_id].__class__(
        "fake", ticket.payment_id, "pending", usd(1000), metadata={"ticket_id": str(ticket.id)})

    paid, _ = box.record_payment(gateway.succeed(ticket.id))

    assert paid.status is TicketStatus.PAID
    assert box.uow.guards.inventory(room.id).taken == 1


def test_a_late_payment_on_a_full_room_is_refunded_automatically(pending, clock) -> None:  # noqa: ANN001
    box, gateway = pending
    room = open_room(box, capacity=1)
    late = box.buy_ticket(room.id, "ann").ticket
    clock.advance(minutes=16)
    taker = box.buy_ticket(room.id, "ben").ticket  # the expired seat goes to ben

    box.record_payment(gateway.succeed(late.id))

    late_now = box.get_ticket(late.id)
    assert late_now.status is TicketStatus.REFUNDED
    assert [r.reason for r in late_now.refunds.values()] == ["seat_unavailable"]
    assert [r.ticket_id for r in gateway.refund_requests] == [late.id]
    assert box.get_ticket(taker.id).status is TicketStatus.RESERVED
    assert box.uow.guards.inventory(room.id).taken == 1


def test_the_same_payment_outcome_twice_records_once(pending) -> None:  # noqa: ANN001
    box, gateway = pending
    room = open_room(box)
    ticket = box.buy_ticket(room.id, "ann").ticket
    session = gateway.succeed(ticket.id)

    box.record_payment(session)
    box.record_payment(session)
    box.record_payment(session)

    assert events_of(box)["Ticket.Paid"] == 1
    assert box.uow.guards.lifetime_revenue("host", "USD") == 1000
