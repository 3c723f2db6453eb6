"""Guard rows are locked in one global order (domain/guards.py); a wrong order fails at once.

On SQLite the whole database is one lock, so nothing could deadlock there; the
order is checked all the same, so that a command written in the wrong order
fails in every test run rather than deadlocking one PostgreSQL run in a hundred.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.guards import LockOrderError
from domain.money import Money
from store.guards_sql import SqlGuards

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
ROOM_A, ROOM_B = UUID(int=1), UUID(int=2)


@pytest.fixture
def guards(sqlite_url: str):
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.row_factory = sqlite3.Row
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    setup = SqlGuards(cursor, "?")
    for room in (ROOM_A, ROOM_B):
        setup.open_inventory(room, "host-1", 10, Money(500, "USD"), None)
    yield SqlGuards(cursor, "?")
    conn.rollback()
    conn.close()


def test_rooms_then_revenue_rows_is_the_order(guards: SqlGuards) -> None:
    claimed = guards.claim_rooms({ROOM_B: [("fan-1", UUID(int=11))], ROOM_A: [("fan-2", UUID(int=12))]},
                                 NOW, NOW + timedelta(minutes=15))
    guards.lock_revenue([("host-1", "USD")])
    assert guards.accrue_revenue("host-1", "USD", 500) == 0
    assert [c.status for c in claimed[ROOM_A] + claimed[ROOM_B]] == ["claimed", "claimed"]


def test_a_room_locked_after_a_revenue_row_is_refused(guards: SqlGuards) -> None:
    guards.accrue_revenue("host-1", "USD", 500)
    with pytest.raises(LockOrderError, match="seat_inventory"):
        guards.claim_seats(ROOM_A, [("fan-1", UUID(int=11))], NOW, NOW + timedelta(minutes=15))


def test_a_room_that_sorts_before_one_already_locked_is_refused(guards: SqlGuards) -> None:
    guards.lock_rooms([ROOM_B])
    with pytest.raises(LockOrderError):
        guards.close_sales(ROOM_A)


def test_a_row_already_locked_may_be_touched_again_in_any_order(guards: SqlGuards) -> None:
    guards.lock_rooms([ROOM_A, ROOM_B])
    guards.accrue_revenue("host-1", "USD", 500)
    guards.close_sales(ROOM_A)  # held since lock_rooms: no new lock
    assert guards.accrue_revenue("host-1", "USD", 500) == 500


def test_a_dedupe_key_after_a_room_is_refused(guards: SqlGuards) -> None:
    guards.lock_rooms([ROOM_A])
    with pytest.raises(LockOrderError, match="processed_keys"):
        guards.first_time("evt_1")
