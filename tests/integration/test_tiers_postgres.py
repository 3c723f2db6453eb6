"""The room's cap and every tier's cap hold under concurrency across two API processes on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

HOST = bearer("tier-host", "creator")


def _tiered_room(base: str, capacity: int, *caps: int) -> tuple[str, list[str]]:
    r = httpx.post(f"{base}/v1/creators", json={"display_name": "Host", "follower_count": 5000}, headers=HOST, timeout=60)
    assert r.status_code in (201, 200), r.text
    tiers = [{"name": f"Tier {i}", "price": {"amount": 1000 + i, "currency": "USD"}, "capacity": cap}
             for i, cap in enumerate(caps)]
    r = httpx.post(f"{base}/v1/rooms", headers=HOST, json={"title": "Tiers", "capacity": capacity, "tiers": tiers}, timeout=60)
    assert r.status_code == 201, r.text
    room = r.json()
    return room["id"], [t["id"] for t in room["tiers"]]


def _buy(base: str, room_id: str, listener: str, tier_id: str) -> tuple[int, dict[str, Any]]:
    with httpx.Client(base_url=base, timeout=60) as http:  # a fresh connection: either process may answer
        r = http.post(f"/v1/rooms/{room_id}/tickets", json={"tier_id": tier_id}, headers=bearer(listener, "listener"))
    return r.status_code, r.json()


def _counters(url: str, room_id: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """(room taken, tier taken by tier, live holds by tier) as the guards and the holds say."""
    with psycopg.connect(url) as conn:
        (room_taken,) = conn.execute("SELECT taken FROM seat_inventory WHERE room_id = %s", (room_id,)).fetchone()
        tiers = dict(conn.execute("SELECT tier_id, taken FROM tier_inventory WHERE room_id = %s", (room_id,)).fetchall())
        holds = dict(conn.execute("SELECT tier_id, count(*) FROM seat_holds WHERE room_id = %s AND live"
                                  " GROUP BY tier_id", (room_id,)).fetchall())
    return room_taken, tiers, holds


def _paid_events(url: str) -> int:
    with psycopg.connect(url) as conn:
        (n,) = conn.execute("SELECT count(*) FROM boxoffice_events WHERE topic LIKE %s OR topic LIKE %s",
                            ("%Ticket.Paid", "%Ticket.Sold")).fetchone()
    return n


def test_30_concurrent_buyers_on_a_tier_of_10_inside_a_room_of_15_get_exactly_10(postgres_url: str) -> None:
    with running_server(postgres_url, SECRET, workers=2) as base:
        room_id, (small, other) = _tiered_room(base, 15, 10, 15)

        with ThreadPoolExecutor(max_workers=30) as pool:
            results = list(pool.map(lambda i: _buy(base, room_id, f"fan-{i}", small), range(30)))

        statuses = Counter(status for status, _ in results)
        types = Counter(body.get("type") for status, body in results if status >= 400)
        assert statuses == {201: 10, 409: 20}, statuses
        assert types == {"tier_sold_out": 20}
        room = httpx.get(f"{base}/v1/rooms/{room_id}", headers=HOST, timeout=60).json()
        assert [(t["sold"], t["available"]) for t in room["tiers"]] == [(10, 0), (0, 5)]

    assert _counters(postgres_url, room_id) == (10, {small: 10, other: 0}, {small: 10})
    assert _paid_events(postgres_url) == 10


def test_40_buyers_across_two_tiers_whose_caps_exceed_the_room_get_exactly_the_rooms_cap(postgres_url: str) -> None:
    with running_server(postgres_url, SECRET, workers=2) as base:
        room_id, (a, b) = _tiered_room(base, 15, 12, 12)

        with ThreadPoolExecutor(max_workers=40) as pool:
            results = list(pool.map(lambda i: _buy(base, room_id, f"fan-{i}", (a, b)[i % 2]), range(40)))

        sold = Counter(body["tier_id"] for status, body in results if status == 201)
        refused = Counter(body.get("type") for status, body in results if status >= 400)
        assert sum(sold.values()) == 15, sold
        assert sold[a] <= 12 and sold[b] <= 12
        assert sum(refused.values()) == 25 and set(refused) <= {"sold_out", "tier_sold_out"}, refused

    room_taken, tiers, holds = _counters(postgres_url, room_id)
    assert room_taken == 15
    assert tiers == {a: sold[a], b: sold[b]} and holds == {a: sold[a], b: sold[b]}
    assert _paid_events(postgres_url) == 15
