"""Every event that may free a seat drops the room's sold-out mark: at once in the process that commits
it, and in every other process as its admission tail applies it.

Through the composition root (api/bootstrap.py), as API processes run: the sandbox gateway, the admission
index as the marks' holder check, the tail dropping marks. `other` is a second API process on the same
database. The tail is caught up by the test, so the window between another process's event and the drop
is visible: until the tail has read it, the mark still refuses (in a running process at most one poll,
BOXOFFICE_ADMISSION_POLL_SECONDS).
"""

from __future__ import annotations

from uuid import UUID

import pytest

from api.bootstrap import Services
from domain.errors import NotOnSaleError, SoldOutError
from domain.rooms.commands import RoomChanges
from domain.sales.model import TicketStatus
from tests.conftest import ServicesFactory
from tests.unit.builders import open_room


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def services(database_url: str, make_services: ServicesFactory) -> Services:
    services = make_services(database_url)
    assert services.app.sold_out.holds_live_ticket is not None and services.app.sold_out.ttl.total_seconds() > 0
    return services


@pytest.fixture
def other(database_url: str, make_services: ServicesFactory) -> Services:
    return make_services(database_url)


HOST = "host-1"


def full_room(services: Services) -> tuple[UUID, UUID]:
    """A room of one seat, paid by ann, and the mark ben's refusal made: (room, ann's ticket)."""
    app = services.app
    app.register_creator(HOST, "Host", 10_000)
    room = open_room(app, capacity=1, host_id=HOST)
    ticket = app.buy_ticket(room.id, "ann").ticket
    services.admission_tail.catch_up()
    with pytest.raises(SoldOutError):
        app.buy_ticket(room.id, "ben")
    with pytest.raises(SoldOutError):
        app.buy_ticket(room.id, "cat")
    assert app.sold_out.refused == 1
    return room.id, ticket.id


def test_a_refund_in_this_process_drops_the_mark_at_once(services: Services) -> None:
    app = services.app
    room, ticket = full_room(services)

    app.refund_ticket(HOST, ticket, amount=None, reason="requested_by_customer", key="refund-1")
    bought = app.buy_ticket(room, "dan").ticket

    assert bought.status is TicketStatus.PAID
    assert app.sold_out.refused == 1


def test_a_refund_in_another_process_drops_the_mark_once_the_tail_has_read_it(services: Services,
                                                                               other: Services) -> None:
    app = services.app
    room, ticket = full_room(services)

    other.app.refund_ticket(HOST, ticket, amount=None, reason="requested_by_customer", key="refund-1")
    with pytest.raises(SoldOutError):  # the tail has not read the refund yet: the mark still answers
        app.buy_ticket(room, "dan")
    services.admission_tail.catch_up()
    bought = app.buy_ticket(room, "dan").ticket

    assert bought.status is TicketStatus.PAID
    assert app.sold_out.refused == 2


def test_a_bigger_cap_drops_the_mark(services: Services, other: Services) -> None:
    app = services.app
    room, _ = full_room(services)

    other.app.change_room(HOST, room, RoomChanges(capacity=2))
    services.admission_tail.catch_up()

    assert app.buy_ticket(room, "dan").ticket.status is TicketStatus.PAID


def test_a_cancelled_room_is_not_on_sale_rather_than_sold_out(services: Services, other: Services) -> None:
    app = services.app
    room, _ = full_room(services)

    other.app.cancel_room(HOST, room)
    services.admission_tail.catch_up()

    with pytest.raises(NotOnSaleError):
        app.buy_ticket(room, "dan")


def test_sales_in_other_rooms_keep_the_mark(services: Services) -> None:
    app = services.app
    room, _ = full_room(services)
    other = open_room(app, capacity=5, host_id=HOST)

    app.buy_ticket(other.id, "dan")
    services.admission_tail.catch_up()
    with pytest.raises(SoldOutError):
        app.buy_ticket(room, "erin")

    assert app.sold_out.refused == 2
