"""Revenue slices on PostgreSQL, as the sale runs them: in pipeline mode, the slices read with the claim.

On PostgreSQL a claim also sends, in its own round trip, the reads of its rooms' slices and
of their creators' lifetime revenue (`RevenueGuards._send_revenue_reads`); `plan_revenue`
then has nothing left to read. The property of tests/integration/test_revenue_slices.py
(every sale records the running total before it, whatever the rooms, refunds and folds) is
run here on that path too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from domain.money import Money
from domain.policies import CommissionPolicy
from store.guards_sql import SqlGuards
from store.lock_order import REVENUE
from tests.integration.test_revenue_slices import (HOST, LIMIT, NOW, ROOMS, invariants, lifetime_of, sales, sell,
                                                  sell_and_refund)

pytestmark = pytest.mark.postgres


@contextmanager
def transaction(conn: psycopg.Connection) -> Iterator[SqlGuards]:
    with conn.pipeline(), conn.transaction():
        guards = SqlGuards(conn.cursor(), "%s")
        yield guards
        guards.flush()


def fresh(conn: psycopg.Connection, openings: bool) -> None:
    conn.execute("TRUNCATE revenue_slices, creator_revenue, seat_holds, tier_inventory, seat_inventory")
    with transaction(conn) as guards:
        for room in ROOMS:
            guards.open_inventory(room, HOST, *((600, Money(1, "USD")) if openings else (1_000, Money(500, "USD"))),
                                  None)
        if openings:
            guards.plan_revenue([(HOST, "USD", room, 0) for room in ROOMS], {"USD": LIMIT})


@pytest.fixture
def conn(postgres_url: str) -> Iterator[psycopg.Connection]:  # one database for all of a test's examples
    with psycopg.connect(postgres_url, row_factory=dict_row, autocommit=True) as c:
        yield c


def test_a_sale_within_its_rooms_slice_reads_its_revenue_with_the_claim(conn: psycopg.Connection) -> None:
    fresh(conn, openings=False)
    seq = [0]
    assert sell(conn, [(ROOMS[0], 500)], seq, transaction) == [0]  # the first sale takes a slice from the row
    asked: list[Any] = []

    with transaction(conn) as guards:
        guards.claim_rooms({ROOMS[0]: [("fan-x", UUID(int=99))]}, NOW, NOW + timedelta(minutes=15))
        read = guards._read_slices

        def spy(slots: list[tuple[str, str]], keys: list[tuple[str, str]]) -> None:
            asked.append(([s for s in slots if s not in guards._slices], keys))
            read(slots, keys)

        guards._read_slices = spy  # type: ignore[method-assign]
        guards.plan_revenue([(HOST, "USD", ROOMS[0], 500)], {"USD": LIMIT})
        before = guards.accrue_revenue(HOST, "USD", 500, ROOMS[0])
        row_locked = guards._locks.holds(REVENUE, (HOST, "USD"))

    assert asked == [([], [])]  # nothing left to read: the claim's round trip brought the slice and the total
    assert (before, row_locked) == (500, False)
    assert lifetime_of(conn, "%s") == 1_000
    invariants(conn, "%s")


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=sales, openings=st.booleans())
def test_every_sale_records_the_running_total_before_it_on_postgresql(conn: psycopg.Connection, batches,
                                                                     openings: bool) -> None:
    fresh(conn, openings)
    assert CommissionPolicy(threshold_major=100).threshold("USD") == LIMIT
    sell_and_refund(conn, batches, transaction, "%s")
