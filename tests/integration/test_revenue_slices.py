"""Revenue slices (store/revenue_guards_sql.py): rooms sell below the threshold without their creator's row.

Run on SQLite through `SqlGuards` itself, one transaction after another, with a
small threshold so that slices run out and sales cross it often. Every sale's
recorded lifetime must be the running total of the sales and refunds before it,
so its split is exactly the one a single counter would give.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.guards import ExactRevenueNeeded, SeatWanted, WriteGuards
from domain.money import Money
from domain.policies import CommissionPolicy
from store.guard_reads import SqlGuardReads
from store.guards_sql import SqlGuards
from store.lock_order import REVENUE
from tests.support.guard_store import Store

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
ROOMS = [UUID(int=n) for n in range(1, 5)]
LIMIT = 10_000  # the threshold in these tests, in minor units
HOST = "host-1"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.row_factory = sqlite3.Row
    with transaction(conn) as guards:
        for room in ROOMS:
            guards.open_inventory(room, HOST, 1_000, Money(500, "USD"), None)
    yield conn
    conn.close()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[SqlGuards]:
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    guards = SqlGuards(cursor, "?")
    try:
        yield guards
        guards.flush()
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def sell(conn: Any, sales: list[tuple[UUID, int]], seq: list[int], begin: Callable[[Any], Any] | None = None
         ) -> list[int]:
    """One batch: claim a seat per sale in its room, then accrue each; the lifetimes before each sale.
    `begin`: the store's transaction (SQLite's here; tests/integration/test_revenue_slices_postgres.py)."""
    with (begin or transaction)(conn) as guards:
        claims: dict[UUID, list[tuple[str, UUID]]] = {}
        for room, _ in sales:
            seq[0] += 1
            claims.setdefault(room, []).append((f"fan-{seq[0]}", UUID(int=10_000 + seq[0])))
        guards.claim_rooms(claims, NOW, NOW + timedelta(minutes=15))
        guards.plan_revenue([(HOST, "USD", room, gross) for room, gross in sales], {"USD": LIMIT})
        return [guards.accrue_revenue(HOST, "USD", gross, room) for room, gross in sales]


def fold(conn: Any, begin: Callable[[Any], Any] | None = None) -> bool:
    with (begin or transaction)(conn) as guards:
        return guards.fold_revenue_slices([(HOST, "USD")])


def invariants(conn: Any, ph: str = "?") -> None:
    row = conn.execute(f"SELECT lifetime, granted FROM creator_revenue WHERE creator_id = {ph}", (HOST,)).fetchone()
    slices = conn.execute(f"SELECT quota, used FROM revenue_slices WHERE creator_id = {ph}", (HOST,)).fetchall()
    lifetime, granted = (row["lifetime"], row["granted"]) if row else (0, 0)
    assert granted == sum(s["quota"] for s in slices)
    assert all(0 <= s["used"] <= s["quota"] for s in slices)
    assert granted == 0 or lifetime + granted <= LIMIT


def lifetime_of(conn: Any, ph: str = "?") -> int:
    return SqlGuardReads(lambda sql, params: conn.execute(sql.replace("%s", ph), params).fetchall(), ph
                         ).lifetime_revenue(HOST, "USD")


def sell_and_refund(conn: Any, batches: list[Any], begin: Callable[[Any], Any], ph: str) -> None:
    """Each batch in turn (sales, folding when one needs the exact figure; or a refund): every sale must
    record the running total of the sales and refunds before it, and the invariants hold after each."""
    running, seq = 0, [0]
    for batch in batches:
        if batch[0][0] == "refund":
            amount = min(batch[0][1], running)
            with begin(conn) as guards:
                guards.accrue_revenue(HOST, "USD", -amount)
            running -= amount
            continue
        for _ in range(6):
            try:
                befores = sell(conn, batch, seq, begin)
                break
            except ExactRevenueNeeded:
                fold(conn, begin)
        for (_, gross), before in zip(batch, befores, strict=True):
            assert before == running
            running += gross
        invariants(conn, ph)
        assert lifetime_of(conn, ph) == running


def test_a_room_sells_within_its_slice_without_locking_its_creators_row(db: sqlite3.Connection) -> None:
    seq = [0]
    assert sell(db, [(ROOMS[0], 500)], seq) == [0]  # the first sale takes a slice from the row

    with transaction(db) as guards:
        guards.claim_rooms({ROOMS[0]: [("fan-x", UUID(int=99))]}, NOW, NOW + timedelta(minutes=15))
        guards.plan_revenue([(HOST, "USD", ROOMS[0], 500)], {"USD": LIMIT})
        before = guards.accrue_revenue(HOST, "USD", 500, ROOMS[0])
        row_locked = guards._locks.holds(REVENUE, (HOST, "USD"))

    assert (before, row_locked) == (500, False)
    assert lifetime_of(db) == 1_000
    invariants(db)


def test_a_room_whose_seats_could_bring_little_beside_the_headroom_takes_its_slice_as_it_opens(sqlite_url: str) -> None:
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.row_factory = sqlite3.Row
    small, large = ROOMS[0], ROOMS[1]
    with transaction(conn) as guards:  # 1 seat at 5.00 (1/20 of the headroom); 1,000 seats at 5.00
        guards.open_inventory(small, HOST, 1, Money(500, "USD"), None)
        guards.open_inventory(large, HOST, 1_000, Money(500, "USD"), None)
        guards.plan_revenue([(HOST, "USD", small, 0), (HOST, "USD", large, 0)], {"USD": LIMIT})

    with transaction(conn) as guards:
        guards.claim_rooms({small: [("fan-1", UUID(int=1))]}, NOW, NOW + timedelta(minutes=15))
        guards.plan_revenue([(HOST, "USD", small, 500)], {"USD": LIMIT})
        before = guards.accrue_revenue(HOST, "USD", 500, small)
        row_locked = guards._locks.holds(REVENUE, (HOST, "USD"))

    assert [tuple(r) for r in conn.execute("SELECT room_id, quota, used FROM revenue_slices")] == [(str(small), 500, 500)]
    assert (before, row_locked) == (0, False)  # its first sale sold within the slice the opening took
    assert lifetime_of(conn) == 500
    invariants(conn)
    conn.close()


def test_a_sale_that_may_cross_while_another_room_holds_a_slice_asks_for_the_exact_figure(db: sqlite3.Connection) -> None:
    seq = [0]
    sell(db, [(ROOMS[0], 1_000)], seq)  # room 0 takes a slice (a quarter of the headroom, at least its need)
    sell(db, [(ROOMS[1], 2_000)] * 3, seq)  # room 1 another; the row's unallocated headroom shrinks

    with pytest.raises(ExactRevenueNeeded):
        sell(db, [(ROOMS[2], 3_900)], seq)  # 7,000 sold: only 3,000 lie below the threshold
    assert fold(db)
    befores = sell(db, [(ROOMS[2], 3_900)], seq)

    assert befores == [7_000]
    assert CommissionPolicy().split(Money(3_900, "USD"), 7_000).creator_share  # split at the exact figure
    assert lifetime_of(db) == 10_900
    invariants(db)


sales = st.lists(st.lists(st.tuples(st.sampled_from(ROOMS), st.integers(100, 4_000)), min_size=1, max_size=4)
                 | st.integers(1, 3_000).map(lambda refund: [("refund", refund)]), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=sales, openings=st.booleans())
def test_every_sale_records_the_running_total_before_it_whatever_the_rooms_and_refunds(sqlite_url: str, batches,
                                                                                      openings: bool) -> None:
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.row_factory = sqlite3.Row
    for table in ("revenue_slices", "creator_revenue", "seat_holds", "tier_inventory", "seat_inventory"):
        conn.execute(f"DELETE FROM {table}")  # the same database for every example: start afresh
    with transaction(conn) as guards:
        for room in ROOMS:  # `openings`: 600 seats at 0.01, the first room takes its slice as it opens
            guards.open_inventory(room, HOST, *((600, Money(1, "USD")) if openings else (1_000, Money(500, "USD"))),
                                  None)
        if openings:
            guards.plan_revenue([(HOST, "USD", room, 0) for room in ROOMS], {"USD": LIMIT})
    if openings:
        assert [tuple(r) for r in conn.execute("SELECT room_id, quota, used FROM revenue_slices")] == [(str(ROOMS[0]), 600, 0)]
    assert CommissionPolicy(threshold_major=100).threshold("USD") == LIMIT  # 100.00
    sell_and_refund(conn, batches, transaction, "?")
    conn.close()


def test_every_store_answers_the_running_total_for_planned_sales_and_a_fold_keeps_the_total(store: Store) -> None:
    a, b = store.open_room(capacity=10), store.open_room(capacity=10)

    def sale(room: UUID, gross: int) -> int:
        def act(g: WriteGuards) -> int:
            g.claim_rooms({room: [SeatWanted(f"fan-{gross}-{room}", UUID(int=gross + room.int % 1000))]}, NOW,
                          NOW + timedelta(minutes=15))
            g.plan_revenue([(HOST, "USD", room, gross)], {"USD": LIMIT})
            return g.accrue_revenue(HOST, "USD", gross, room)

        for _ in range(3):
            try:
                return store.run(act)
            except ExactRevenueNeeded:  # the SQL stores, when another room holds a slice: nothing was written
                assert store.run(lambda g: g.fold_revenue_slices([(HOST, "USD")]))
        raise AssertionError("the fold did not make the exact figure available")

    befores = [sale(a, 3_000), sale(b, 2_000), sale(a, 1_000)]
    store.run(lambda g: g.accrue_revenue(HOST, "USD", -1_000))
    befores += [sale(b, 6_000), sale(a, 500)]  # the fourth crosses the threshold at 5,000 + 5,000

    assert befores == [0, 3_000, 5_000, 5_000, 11_000]
    assert store.reads.lifetime_revenue(HOST, "USD") == 11_500
    assert store.run(lambda g: g.fold_revenue_slices([(HOST, "USD")]))
    assert store.reads.lifetime_revenue(HOST, "USD") == 11_500
