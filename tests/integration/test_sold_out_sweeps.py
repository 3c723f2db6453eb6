"""A sold-out purchase sweeps expired holds only when its claim saw one, on every store.

The reservation's claim says whether the room holds a live unpaid hold whose hold has passed
(tests/integration/test_guard_contract_expired_holds.py). With one, the purchase sweeps the room
and buys the seat that came back; without, it is refused at once: no sweep, and the API answers
it on its event loop (`purchase_is_settled`, api/routers/purchase.py). Payments wait for the test
(the fake gateway, tests/support/fakes.py); a hold lasts 15 minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from domain.application import BoxOffice
from domain.clock import FrozenClock
from domain.errors import SoldOutError, TierSoldOutError
from domain.rooms.tiers import TierSpec
from domain.sales.model import TicketStatus
from store.env import MEMORY_URL, eventsourcing_env
from tests.support.fakes import PendingGateway
from tests.unit.builders import open_room, usd


class Sweeps:
    """Counts the sweeps a purchase asks for: the sales commands' `expire_holds`, as the application passes it."""

    def __init__(self, box: BoxOffice) -> None:
        self.rooms: list[UUID | None] = []
        sweep = box._sales.expire_holds

        def counted(room_id: UUID | None = None) -> int:
            self.rooms.append(room_id)
            return sweep(room_id=room_id)

        box._sales.expire_holds = counted


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pending_box(request: pytest.FixtureRequest, clock: FrozenClock, gateway: PendingGateway) -> Iterator[BoxOffice]:
    url = {"memory": lambda: MEMORY_URL, "sqlite": lambda: request.getfixturevalue("sqlite_url"),
           "postgres": lambda: request.getfixturevalue("postgres_url")}[request.param]()
    box = BoxOffice(env=eventsourcing_env(url), gateway=gateway, clock=clock)
    try:
        yield box
    finally:
        box.close()


@pytest.fixture
def gateway(clock: FrozenClock) -> PendingGateway:
    return PendingGateway(clock)


def refused(box: BoxOffice, room_id: UUID, holder: str, **kw: Any) -> tuple[bool, Exception]:
    """Purchase as the API does, expecting a refusal: (answered without more I/O?, the refusal)."""
    request = box.purchase_request(room_id, holder, **kw)
    outcome = box.reservations.run(request)
    settled = box.purchase_is_settled(outcome)
    with pytest.raises(Exception) as refusal:
        box.complete_purchase(request, outcome)
    return settled, refusal.value


def test_a_sold_out_room_sweeps_only_once_a_hold_has_passed(pending_box: BoxOffice, gateway: PendingGateway,
                                                            clock: FrozenClock) -> None:
    box, sweeps = pending_box, Sweeps(pending_box)
    room = open_room(box, capacity=2)
    paid = box.buy_ticket(room.id, "ann").ticket
    box.record_payment(gateway.succeed(paid.id))
    waiting = box.buy_ticket(room.id, "ben").ticket

    # Ten minutes on: ann's seat is paid, ben's hold still runs. Refused at once, without a sweep.
    clock.advance(minutes=10)
    settled, refusal = refused(box, room.id, "cat")
    assert settled is True and isinstance(refusal, SoldOutError)
    assert sweeps.rooms == []

    # Sixteen minutes on, ben's hold has passed: the purchase sweeps the room and takes his seat.
    clock.advance(minutes=6)
    request = box.purchase_request(room.id, "dan")
    outcome = box.reservations.run(request)
    assert box.purchase_is_settled(outcome) is False
    bought = box.complete_purchase(request, outcome).ticket

    assert sweeps.rooms == [room.id]
    assert bought.status is TicketStatus.RESERVED
    assert box.get_ticket(waiting.id).status is TicketStatus.RELEASED
    assert box.get_ticket(paid.id).status is TicketStatus.PAID
    assert box.uow.guards.inventory(room.id).taken == 2


def test_a_sold_out_tier_sweeps_only_once_a_hold_has_passed(pending_box: BoxOffice, clock: FrozenClock) -> None:
    box, sweeps = pending_box, Sweeps(pending_box)
    room = open_room(box, capacity=5, tiers=[TierSpec("Early", usd(500), 1), TierSpec("Late", usd(900), 4)])
    early = next(UUID(t.id) for t in room.tiers.values() if t.name == "Early")
    waiting = box.buy_ticket(room.id, "ann", tier_id=early).ticket

    # Ten minutes on, ann's hold still runs: the tier is refused at once, without a sweep.
    clock.advance(minutes=10)
    settled, refusal = refused(box, room.id, "ben", tier_id=early)
    assert settled is True and isinstance(refusal, TierSoldOutError)
    assert sweeps.rooms == []

    # Sixteen minutes on, it has passed: the purchase sweeps the room and takes the tier's seat.
    clock.advance(minutes=6)
    bought = box.buy_ticket(room.id, "cat", tier_id=early).ticket

    assert sweeps.rooms == [room.id]
    assert (bought.status, bought.tier_id) == (TicketStatus.RESERVED, early)
    assert box.get_ticket(waiting.id).status is TicketStatus.RELEASED
