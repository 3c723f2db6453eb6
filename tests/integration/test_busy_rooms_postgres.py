"""A batch over many rooms does not queue behind a room another process holds (PostgreSQL).

Two processes' batches each span dozens of rooms, so they nearly always share
one, and each used to wait for the other's whole batch. Now a batch locks the
rooms it can at once (`FOR UPDATE SKIP LOCKED`, which never waits and so can
join no deadlock), claims their seats, and reserves the skipped rooms' requests
in a second transaction right after, waiting its turn as before; or, in the group
committer, in the flusher's next batch (carried `BUSY_SKIPS` times at most, then waited for).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.rows import dict_row

from api.bootstrap import build_services
from api.settings import Settings
from domain.money import Money
from domain.sales.purchases import BUSY_SKIPS
from domain.sales.group_commit import Again
from domain.sales.model import Ticket
from store.guards_sql import SqlGuards
from store.lock_order import ROOMS

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def _open(url: str, rooms: list[UUID]) -> None:
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.transaction():
        guards = SqlGuards(conn.cursor(), "%s")
        for room in rooms:
            guards.open_inventory(room, "host-1", 10, Money(500, "USD"), None)


def test_a_batch_skips_a_room_another_transaction_holds_and_claims_the_others_at_once(postgres_url: str) -> None:
    held, free = sorted([uuid4(), uuid4()], key=str)
    _open(postgres_url, [held, free])
    with psycopg.connect(postgres_url) as other, psycopg.connect(postgres_url, row_factory=dict_row) as conn:
        other.execute("SELECT 1 FROM seat_inventory WHERE room_id = %s FOR UPDATE", (str(held),))

        with conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '2s'")  # waiting for the held room would fail the test
            guards = SqlGuards(conn.cursor(), "%s")
            claimed = guards.claim_rooms({held: [("fan-1", uuid4())], free: [("fan-2", uuid4())]},
                                         NOW, NOW + timedelta(minutes=15), skip_busy=True)
            locked = [guards._locks.holds(ROOMS, str(room)) for room in (held, free)]
            guards.flush()
        other.rollback()
        taken = {r["room_id"]: r["taken"] for r in conn.execute("SELECT room_id, taken FROM seat_inventory")}

    assert [claimed[held][0].status, claimed[free][0].status] == ["busy", "claimed"]
    assert locked == [False, True]
    assert taken == {str(held): 0, str(free): 1}


def test_the_requests_of_a_busy_room_are_reserved_right_after_the_rest_of_their_batch(postgres_url: str) -> None:
    services = build_services(Settings(database_url=postgres_url, log_level="WARNING"))
    try:
        app = services.app
        app.register_creator("host-1", "Host", 5_000)
        rooms = [app.open_room("host-1", title=f"Room {n}", scheduled_start=None, price=Money(500, "USD"),
                               capacity=10)[0].id for n in range(3)]
        with psycopg.connect(postgres_url) as other:
            other.execute("SELECT 1 FROM seat_inventory WHERE room_id = %s FOR UPDATE", (str(rooms[1]),))
            timer = threading.Timer(0.5, other.rollback)  # the other process commits a little later
            timer.start()
            requests = [app.purchase_request(room, f"fan-{n}") for n, room in enumerate(rooms)]
            outcomes = app._sales._reserve_batch(requests)
            timer.join()
    finally:
        services.close()

    assert [type(o[0]) for o in outcomes] == [Ticket] * 3
    assert [o[0].room_id for o in outcomes] == rooms
    assert all(o[0].status.value == "paid" for o in outcomes)


def test_the_group_committers_batch_carries_a_busy_rooms_request_on_then_waits_for_it(postgres_url: str) -> None:
    services = build_services(Settings(database_url=postgres_url, log_level="WARNING"))
    try:
        app = services.app
        app.register_creator("host-1", "Host", 5_000)
        rooms = [app.open_room("host-1", title=f"Room {n}", scheduled_start=None, price=Money(500, "USD"),
                               capacity=10)[0].id for n in range(3)]
        requests = [app.purchase_request(room, f"fan-{n}") for n, room in enumerate(rooms)]
        with psycopg.connect(postgres_url) as other:
            other.execute("SELECT 1 FROM seat_inventory WHERE room_id = %s FOR UPDATE", (str(rooms[1]),))
            first = app._sales._reserve_queued(requests)  # the held room's request: carried, not reserved
            carried = first[1]
            assert isinstance(carried, Again)
            again = app._sales._reserve_queued([carried.item, app.purchase_request(rooms[2], "fan-9")])
            assert isinstance(again[0], Again)  # still held: carried once more
            timer = threading.Timer(0.5, other.rollback)  # the other process commits a little later
            timer.start()
            last = app._sales._reserve_queued([again[0].item, app.purchase_request(rooms[0], "fan-8")])
            timer.join()
    finally:
        services.close()

    assert [type(o[0]) for o in (first[0], first[2])] == [Ticket, Ticket]
    assert again[0].item.skipped == BUSY_SKIPS  # then its batch waited for the room
    assert [type(o[0]) for o in last] == [Ticket, Ticket]
    assert last[0][0].room_id == rooms[1] and last[0][0].id == requests[1].ticket_id
