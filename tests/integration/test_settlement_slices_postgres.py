"""Payments recorded for many rooms of one creator count in the rooms' revenue slices (PostgreSQL).

With Stripe a sale is paid in a second transaction, the settlement. It used to
count every payment on the creator's revenue row, so a creator's rooms were
paid one batch after another. Now a settlement holds the paid rooms' rows, if
free, and counts within their slices (store/revenue_guards_sql.py); a room
another transaction holds is not waited for: its payment counts on the row.
"""

from __future__ import annotations

import threading

import psycopg
import pytest

from api.bootstrap import build_services
from api.settings import Settings
from domain.money import Money
from domain.policies import CommissionPolicy
from domain.sales.purchases import Settlement
from tests.support.fakes import PendingGateway

pytestmark = pytest.mark.postgres

PRICE = 500


def test_a_settlement_counts_each_free_rooms_payment_in_its_slice_and_a_held_rooms_on_the_row(postgres_url: str) -> None:
    gateway = PendingGateway()
    services = build_services(Settings(database_url=postgres_url, log_level="WARNING"), gateway=gateway)
    try:
        app = services.app
        app.register_creator("host-1", "Host", 5_000)
        rooms = [app.open_room("host-1", title=f"Room {n}", scheduled_start=None, price=Money(PRICE, "USD"),
                               capacity=10)[0].id for n in range(4)]
        tickets = [app.buy_ticket(room, f"fan-{n}").ticket for n, room in enumerate(rooms)]
        with psycopg.connect(postgres_url) as conn:
            opened = conn.execute("SELECT lifetime, granted FROM creator_revenue").fetchone()
        held, free = rooms[0], rooms[1:]
        with psycopg.connect(postgres_url) as other:
            other.execute("SELECT 1 FROM seat_inventory WHERE room_id = %s FOR UPDATE", (str(held),))
            waited = threading.Event()
            timer = threading.Timer(30, lambda: (waited.set(), other.rollback()))  # Safeguard: never hang
            timer.start()
            outcomes = app._sales._settle_batch([Settlement(t.id, gateway.succeed(t.id)) for t in tickets])
            timer.cancel()
        with psycopg.connect(postgres_url) as conn:
            row = conn.execute("SELECT lifetime, granted FROM creator_revenue").fetchone()
            used = dict(conn.execute("SELECT room_id, used FROM revenue_slices").fetchall())
    finally:
        services.close()

    assert not waited.is_set()  # the held room was not waited for
    assert [o[0].status.value for o in outcomes] == ["paid"] * 4
    assert opened[1] > 0  # every room took its slice as it opened
    assert {r: used[str(r)] for r in free} == dict.fromkeys(free, PRICE)  # counted under the rooms' locks alone
    assert (used[str(held)], row[0]) == (0, PRICE)  # the held room's payment counted on the creator's row
    below = CommissionPolicy().split(Money(PRICE, "USD"), 0)  # far below the threshold: 97% whatever came before
    assert [o[0].split for o in outcomes] == [below] * 4
