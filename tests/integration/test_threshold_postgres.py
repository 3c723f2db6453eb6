"""Many rooms of one creator cross the 50,000.00 threshold at once, on two API processes and PostgreSQL.

Rooms sell below the threshold within their slices of the creator's headroom
(store/revenue_guards_sql.py) without waiting on the creator's row; the sale
that crosses needs the exact lifetime revenue, whatever room it is in and
whichever process commits it. The log is the oracle: read in log order, every
sale's split must be the policy's split at the running total of the sales
before it, and the creator's share the hand computation, to the cent.
"""

from __future__ import annotations

import random

import httpx
import psycopg
import pytest

from api.bootstrap import build_services
from api.settings import Settings
from bench.loadgen import Request, run_in_process
from domain.money import Money
from domain.policies import CommissionPolicy
from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

ROOMS, CAPACITY, PRICE = 40, 3, 99_900  # 120 seats at 999.00: the 51st sale crosses 50,000.00
WITHIN, BEYOND = PRICE * 97 // 100, PRICE * 80 // 100
CROSSING = 5_000 * 97 // 100 + 94_900 * 80 // 100  # 50.00 within the threshold, 949.00 beyond


def _buy(host: str, port: int, listeners: list[str], room_ids: list[str]) -> list[int]:
    raw = run_in_process(host, port, [
        Request("POST", f"/v1/rooms/{room}/tickets", tuple(bearer(listener, "listener").items()))
        for listener, room in zip(listeners, room_ids, strict=True)], connections=64)
    return [status for status, *_ in raw["results"]]


def _paid_in_log_order(url: str) -> list[object]:
    services = build_services(Settings(database_url=url, log_level="WARNING"))
    try:
        app = services.app
        notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
        events = [app.mapper.to_domain_event(n) for n in notifications]
    finally:
        services.close()
    return [e for e in events if type(e).__qualname__ in ("Ticket.Paid", "Ticket.Sold")]  # sold: paid at once


def test_rooms_of_one_creator_crossing_the_threshold_at_once_split_every_sale_exactly(postgres_url: str) -> None:
    rng = random.Random(1414)
    creator = "series-host"
    with running_server(postgres_url, SECRET, workers=2) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            r = http.post("/v1/creators", json={"display_name": "Host", "follower_count": 5000},
                          headers=bearer(creator, "creator"))
            assert r.status_code == 201, r.text
            room_ids = []
            for n in range(ROOMS):
                r = http.post("/v1/rooms", headers=bearer(creator, "creator"), json={
                    "title": f"Episode {n}", "ticket_price": {"amount": PRICE, "currency": "USD"},
                    "capacity": CAPACITY})
                assert r.status_code == 201, r.text
                room_ids.append(r.json()["id"])
        host, port = base.removeprefix("http://").split(":")
        with psycopg.connect(postgres_url) as conn:
            deadlocks = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
                                     ).fetchone()[0]

        # First wave: one sale in each of 20 rooms, far below the threshold: each room sells within its slice.
        first = room_ids[:20]
        assert _buy(host, int(port), [f"early-{i}" for i in range(len(first))], first) == [201] * len(first)
        with psycopg.connect(postgres_url) as conn:
            in_slices = conn.execute("SELECT count(*), COALESCE(sum(used), 0) FROM revenue_slices").fetchone()
        assert in_slices == (20, 20 * PRICE)

        # Second wave: 240 buyers, six per room in random order, buy the last 100 seats, crossing the threshold.
        late = room_ids * 6
        rng.shuffle(late)
        statuses = _buy(host, int(port), [f"late-{i}" for i in range(len(late))], late)
        assert sorted(statuses) == [201] * 100 + [409] * 140

    paid = _paid_in_log_order(postgres_url)
    assert len(paid) == ROOMS * CAPACITY
    running, policy = 0, CommissionPolicy()
    for e in paid:  # log order
        exact = policy.split(Money(e.gross, "USD"), running)
        assert (e.creator_share, e.commission) == (exact.creator_share, exact.commission), (e.lifetime_before, running)
        if running + e.gross > policy.threshold("USD"):  # the split depends on the figure: it is exact
            assert e.lifetime_before == running
        running += e.gross
    assert sum(e.creator_share for e in paid) == 50 * WITHIN + CROSSING + 69 * BEYOND
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
                            ).fetchone()[0] == deadlocks
        lifetime = conn.execute("SELECT lifetime FROM creator_revenue").fetchone()[0]
        in_slices = conn.execute("SELECT COALESCE(sum(used), 0) FROM revenue_slices").fetchone()[0]
    assert lifetime + in_slices == ROOMS * CAPACITY * PRICE
