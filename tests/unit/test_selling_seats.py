"""Selling seats on the in-memory store: the room's cap, each tier's cap, one live ticket per listener.

The rules are the write guards' (domain/guards.py); these tests drive them
through the application's commands, with the sandbox gateway (paid at once)
and a frozen clock.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from domain.errors import (
    AlreadyHoldsTicketError,
    InvalidCapacityError,
    SoldOutError,
    TierSoldOutError,
)
from domain.rooms.commands import RoomChanges
from domain.sales.model import TicketStatus
from domain.rooms.tiers import TierSpec
from tests.unit.builders import events_since, names, open_room, usd


def test_tickets_sell_up_to_the_rooms_capacity_and_then_refuse_with_sold_out(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=2)
    start = box.uow.position()

    first = box.buy_ticket(room.id, "ann").ticket
    second = box.buy_ticket(room.id, "ben").ticket
    with pytest.raises(SoldOutError):
        box.buy_ticket(room.id, "cat")

    assert first.status is TicketStatus.PAID and second.status is TicketStatus.PAID
    assert names(events_since(box, start)) == ["Ticket.Sold"] * 2  # one event a sale; the refusal wrote nothing
    inventory = box.uow.guards.inventory(room.id)
    assert (inventory.taken, inventory.paid, inventory.available) == (2, 2, 0)


def test_a_listener_holds_one_live_ticket_per_room(box) -> None:  # noqa: ANN001
    room, other = open_room(box), open_room(box)
    ticket = box.buy_ticket(room.id, "ann").ticket

    with pytest.raises(AlreadyHoldsTicketError) as refused:
        box.buy_ticket(room.id, "ann")
    elsewhere = box.buy_ticket(other.id, "ann").ticket

    assert refused.value.extra == {"ticket_id": str(ticket.id)}
    assert elsewhere.status is TicketStatus.PAID
    assert box.uow.guards.inventory(room.id).taken == 1


def test_a_refunded_listener_may_buy_again(box) -> None:  # noqa: ANN001
    room = open_room(box)
    first = box.buy_ticket(room.id, "ann").ticket
    box.refund_ticket(room.host_id, first.id, amount=None, reason="host", key="r1")

    again = box.buy_ticket(room.id, "ann").ticket

    assert again.id != first.id and again.status is TicketStatus.PAID
    assert box.uow.guards.inventory(room.id).taken == 1


def test_the_same_idempotency_key_returns_the_same_ticket_and_takes_one_seat(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=2)

    first = box.buy_ticket(room.id, "ann", idempotency_key="k1")
    again = box.buy_ticket(room.id, "ann", idempotency_key="k1")

    assert again.replayed and again.ticket.id == first.ticket.id
    assert box.uow.guards.inventory(room.id).taken == 1


def test_the_capacity_never_drops_below_the_seats_sold_and_a_larger_one_sells_more(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=2)
    box.buy_ticket(room.id, "ann")
    box.buy_ticket(room.id, "ben")

    with pytest.raises(InvalidCapacityError):
        box.change_room(room.host_id, room.id, RoomChanges(capacity=1))
    box.change_room(room.host_id, room.id, RoomChanges(capacity=3))
    third = box.buy_ticket(room.id, "cat").ticket

    assert third.status is TicketStatus.PAID
    assert box.get_room(room.id).capacity == 3
    with pytest.raises(SoldOutError):
        box.buy_ticket(room.id, "dan")


def test_a_tier_sells_up_to_its_own_cap_while_the_room_has_seats(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=3, tiers=[TierSpec("Early bird", usd(500), 1), TierSpec("Regular", usd(900), 3)])
    early, regular = (UUID(t.id) for t in sorted(room.tiers.values(), key=lambda t: t.price_amount))

    first = box.buy_ticket(room.id, "ann", tier_id=early).ticket
    with pytest.raises(TierSoldOutError):
        box.buy_ticket(room.id, "ben", tier_id=early)
    box.buy_ticket(room.id, "ben", tier_id=regular)
    box.buy_ticket(room.id, "cat", tier_id=regular)

    assert (first.price_amount, first.tier_id) == (500, early)
    with pytest.raises(SoldOutError):  # the tiers compete for the room's three seats
        box.buy_ticket(room.id, "dan", tier_id=regular)
    assert {t.tier_id: t.taken for t in box.uow.guards.inventory(room.id).tiers} == {early: 1, regular: 2}


def test_a_tier_cap_never_drops_below_what_the_tier_sold(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=5, tiers=[TierSpec("Regular", usd(900), 3)])
    tier = UUID(next(iter(room.tiers)))
    box.buy_ticket(room.id, "ann", tier_id=tier)
    box.buy_ticket(room.id, "ben", tier_id=tier)

    with pytest.raises(InvalidCapacityError):
        box.change_tier(room.host_id, room.id, str(tier), capacity=1)
    box.change_tier(room.host_id, room.id, str(tier), capacity=2)

    with pytest.raises(TierSoldOutError):
        box.buy_ticket(room.id, "cat", tier_id=tier)


def test_buyers_at_the_same_time_never_take_more_seats_than_the_capacity(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=7)

    def buy(holder: str) -> str:
        try:
            return box.buy_ticket(room.id, holder).ticket.status.value
        except SoldOutError:
            return "sold_out"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(buy, [f"listener-{i}" for i in range(20)]))

    assert sorted(outcomes) == ["paid"] * 7 + ["sold_out"] * 13
    inventory = box.uow.guards.inventory(room.id)
    assert (inventory.taken, inventory.paid) == (7, 7)
    assert len(box.uow.guards.tickets_of_room(room.id)) == 7
