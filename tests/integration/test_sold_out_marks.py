"""Sold-out marks (domain/sales/sold_out.py): a room a plain purchase's claim found sold out refuses the
next plain purchases without a claim, on every store; never a listener who holds a ticket, never a purchase
naming a key, tier, code or amount; lapsing when an unpaid hold could be swept, or at its lifetime.

Claims are counted by the reservations committer (`items`). Payments wait for the test (PendingGateway,
tests/support/fakes.py); a hold lasts 15 minutes. The events that drop a mark: test_sold_out_marks_events.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

import pytest

from domain.application import BoxOffice
from domain.clock import FrozenClock
from domain.errors import AlreadyHoldsTicketError, SoldOutError
from domain.sales.model import TicketStatus
from store.env import MEMORY_URL, eventsourcing_env
from tests.support.fakes import PendingGateway
from tests.unit.builders import open_room

MARK = timedelta(seconds=10)


class Holders:
    """The admission index's answer to `holds_live_ticket`, as a test sets it."""

    def __init__(self) -> None:
        self.live: set[tuple[UUID, str]] = set()

    def __call__(self, room_id: UUID, holder: str) -> bool:
        return (room_id, holder) in self.live


@pytest.fixture
def holders() -> Holders:
    return Holders()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def box(request: pytest.FixtureRequest, clock: FrozenClock, holders: Holders) -> Iterator[BoxOffice]:
    url = {"memory": lambda: MEMORY_URL, "sqlite": lambda: request.getfixturevalue("sqlite_url"),
           "postgres": lambda: request.getfixturevalue("postgres_url")}[request.param]()
    box = BoxOffice(env=eventsourcing_env(url), gateway=PendingGateway(clock), clock=clock, sold_out_mark=MARK)
    box.sold_out.holds_live_ticket = holders
    try:
        yield box
    finally:
        box.close()


def claims(box: BoxOffice) -> int:
    return box.reservations.items


def sold_out_room(box: BoxOffice, holders: Holders) -> UUID:
    """A room of one seat, held by ann (unpaid), and a mark made by ben's refused purchase."""
    room = open_room(box, capacity=1)
    box.buy_ticket(room.id, "ann", idempotency_key="ann-1")
    holders.live.add((room.id, "ann"))
    with pytest.raises(SoldOutError):
        box.buy_ticket(room.id, "ben")
    return room.id


def test_a_room_found_sold_out_refuses_the_next_plain_purchases_without_a_claim(box: BoxOffice, holders: Holders,
                                                                                clock: FrozenClock) -> None:
    room = sold_out_room(box, holders)
    before = claims(box)

    # Within the mark's lifetime: refused as a claim would refuse, and no claim is made.
    clock.advance(seconds=9)
    with pytest.raises(SoldOutError):
        box.buy_ticket(room, "cat")
    assert (claims(box), box.sold_out.refused) == (before, 1)

    # At its end the next purchase asks a claim again (and marks the room again).
    clock.advance(seconds=1)
    with pytest.raises(SoldOutError):
        box.buy_ticket(room, "dan")
    assert (claims(box), box.sold_out.refused) == (before + 1, 1)


def test_a_mark_lapses_when_an_unpaid_hold_could_be_swept(box: BoxOffice, holders: Holders, clock: FrozenClock) -> None:
    box.sold_out.ttl = timedelta(hours=1)
    room = sold_out_room(box, holders)  # ann's hold runs until 18:15

    clock.advance(minutes=14, seconds=59)
    with pytest.raises(SoldOutError):
        box.buy_ticket(room, "cat")
    assert box.sold_out.refused == 1

    # 18:15: ann's hold has passed. The purchase asks a claim, which sweeps the room and sells the seat.
    clock.advance(seconds=1)
    bought = box.buy_ticket(room, "dan").ticket

    assert bought.status is TicketStatus.RESERVED
    assert box.sold_out.refused == 1


def test_a_mark_never_answers_a_listener_who_holds_a_ticket(box: BoxOffice, holders: Holders) -> None:
    room = sold_out_room(box, holders)

    with pytest.raises(AlreadyHoldsTicketError):
        box.buy_ticket(room, "ann")
    assert box.buy_ticket(room, "ann", idempotency_key="ann-1").replayed is True
    assert box.sold_out.refused == 0


def test_a_mark_never_answers_a_purchase_that_names_a_key_or_a_tier(box: BoxOffice, holders: Holders) -> None:
    room = sold_out_room(box, holders)
    tier = room  # the default tier of a room opened with one price has the room's id
    before = claims(box)

    for kw in ({"idempotency_key": "cat-1"}, {"tier_id": tier}):
        with pytest.raises(SoldOutError):
            box.buy_ticket(room, "cat", **kw)

    assert (claims(box), box.sold_out.refused) == (before + 2, 0)


def test_without_a_holder_check_every_purchase_is_claimed(box: BoxOffice, holders: Holders) -> None:
    room = sold_out_room(box, holders)
    box.sold_out.holds_live_ticket = None
    before = claims(box)

    with pytest.raises(SoldOutError):
        box.buy_ticket(room, "cat")

    assert (claims(box), box.sold_out.refused) == (before + 1, 0)


def test_a_lifetime_of_zero_makes_no_mark(box: BoxOffice, holders: Holders) -> None:
    box.sold_out.ttl = timedelta(0)
    room = sold_out_room(box, holders)
    before = claims(box)

    with pytest.raises(SoldOutError):
        box.buy_ticket(room, "cat")

    assert (claims(box), box.sold_out.refused) == (before + 1, 0)
