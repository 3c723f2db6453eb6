"""Many rooms of a few creators selling at once, on two API processes and PostgreSQL.

A batch of purchases spans many rooms and the revenue rows of their creators;
two processes commit such batches at the same time. Every guard row is locked
in one global order, so PostgreSQL never detects a deadlock (its own counter,
`pg_stat_database.deadlocks`, is the oracle: a deadlock hidden by the group
commit's one-by-one retry still counts there).
"""

from __future__ import annotations

import json
import random
from collections import Counter

import httpx
import psycopg
import pytest

from bench.loadgen import Request, run_in_process
from domain.money import Money
from domain.policies import CommissionPolicy
from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

CREATORS, ROOMS_PER_CREATOR, CAPACITY, BUYERS = 3, 20, 4, 1200
PRICE = 99_900  # 999.00: a creator crosses the 50,000.00 threshold on the 51st sale


def _open_rooms(http: httpx.Client) -> dict[str, str]:
    """room id -> creator id"""
    rooms = {}
    for c in range(CREATORS):
        creator = f"series-host-{c}"
        r = http.post("/v1/creators", json={"display_name": f"Host {c}", "follower_count": 5000},
                      headers=bearer(creator, "creator"))
        assert r.status_code == 201, r.text
        for n in range(ROOMS_PER_CREATOR):
            r = http.post("/v1/rooms", headers=bearer(creator, "creator"), json={
                "title": f"Episode {n}", "ticket_price": {"amount": PRICE, "currency": "USD"}, "capacity": CAPACITY})
            assert r.status_code == 201, r.text
            rooms[r.json()["id"]] = creator
    return rooms


def _deadlocks(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


def test_buyers_spread_over_many_rooms_of_a_few_creators_on_two_processes_never_deadlock(postgres_url: str) -> None:
    rng = random.Random(14)
    with running_server(postgres_url, SECRET, workers=2) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            rooms = _open_rooms(http)
        room_ids = sorted(rooms)
        wanted = [(f"fan-{i}", rng.choice(room_ids)) for i in range(BUYERS)]
        before = _deadlocks(postgres_url)

        host, port = base.removeprefix("http://").split(":")
        # The lean load generator of the benchmarks: 64 keep-alive connections, so that the
        # group commits of both processes carry batches of many rooms at the same moment.
        raw = run_in_process(host, int(port), [
            Request("POST", f"/v1/rooms/{room_id}/tickets", tuple(bearer(listener, "listener").items()))
            for listener, room_id in wanted], connections=64, keep_bodies=True)
        results = []
        for status, _, body, _ in raw["results"]:  # in the order they finished
            answer = json.loads(body)
            room_id = answer["room_id"] if status == 201 else answer["instance"].split("/")[3]
            results.append((room_id, status, answer.get("type", answer.get("status", ""))))
        with httpx.Client(base_url=base, timeout=60) as http:
            earned = {c: http.get(f"/v1/creators/{c}/earnings", headers=bearer(c, "creator")).json()["earnings"]
                      for c in sorted(set(rooms.values()))}

    demand = Counter(room for _, room in wanted)
    sold = Counter(room for room, status, _ in results if status == 201)
    assert Counter((status, kind) for _, status, kind in results) == {
        (201, "paid"): sum(min(CAPACITY, n) for n in demand.values()),
        (409, "sold_out"): sum(max(n - CAPACITY, 0) for n in demand.values()),
    }
    assert sold == Counter({room: min(CAPACITY, n) for room, n in demand.items()})
    assert _deadlocks(postgres_url) - before == 0

    with psycopg.connect(postgres_url) as conn:
        live = dict(conn.execute("SELECT room_id, count(*) FROM seat_holds WHERE live GROUP BY room_id").fetchall())
        lifetimes = dict(conn.execute(  # the row plus what the rooms sold within their slices
            "SELECT r.creator_id, r.lifetime + COALESCE((SELECT sum(s.used) FROM revenue_slices s"
            " WHERE s.creator_id = r.creator_id AND s.currency = r.currency), 0) FROM creator_revenue r").fetchall())
    assert live == dict(sold)
    # Each creator's lifetime counter is exactly the gross of their paid tickets.
    per_creator = Counter()
    for room, n in sold.items():
        per_creator[rooms[room]] += n * PRICE
    assert lifetimes == dict(per_creator)
    # ... and the 97/80 threshold split the creator's sales exactly as one sale after another would.
    for creator, gross in per_creator.items():
        lifetime, share = 0, 0
        for _ in range(gross // PRICE):
            share += CommissionPolicy().split(Money(PRICE, "USD"), lifetime).creator_share
            lifetime += PRICE
        assert [(e["currency"], e["lifetime"]) for e in earned[creator]] == [("USD", share)], creator
