"""The seat cap holds under concurrency across several API processes on PostgreSQL."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.conftest import SECRET, bearer
from tests.support.server import projector_worker, running_server

pytestmark = pytest.mark.postgres


def _setup_room(base: str, capacity: int) -> str:
    host = bearer("host-1", "creator")
    r = httpx.post(f"{base}/v1/creators", json={"display_name": "Host", "follower_count": 5000}, headers=host, timeout=60)
    assert r.status_code == 201, r.text
    r = httpx.post(f"{base}/v1/rooms", headers=host, json={
        "title": "Flash sale", "ticket_price": {"amount": 1000, "currency": "USD"}, "capacity": capacity}, timeout=60)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _buy(base: str, room_id: str, listener: str) -> tuple[str, int, dict]:
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post(f"/v1/rooms/{room_id}/tickets", headers=bearer(listener, "listener"))
    return listener, r.status_code, r.json()


def _event_counts(url: str) -> Counter:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT topic, count(*) FROM boxoffice_events GROUP BY topic").fetchall()
    return Counter({topic.split(":")[-1]: n for topic, n in rows})


def _live_tickets_per_listener(url: str, room_id: str) -> Counter:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT holder_id FROM seat_holds WHERE room_id = %s AND live", (room_id,)).fetchall()
    return Counter(holder for (holder,) in rows)


def test_200_concurrent_buyers_on_two_processes_get_exactly_50_seats(postgres_url: str) -> None:
    with running_server(postgres_url, SECRET, workers=2) as base:
        room_id = _setup_room(base, capacity=50)

        with ThreadPoolExecutor(max_workers=64) as pool:
            results = list(pool.map(lambda i: _buy(base, room_id, f"listener-{i}"), range(200)))

        statuses = Counter(status for _, status, _ in results)
        types = Counter(body.get("type") for _, status, body in results if status >= 400)
        assert statuses == {201: 50, 409: 150}, statuses
        assert types == {"sold_out": 150}
        assert all(body["status"] == "paid" for _, status, body in results if status == 201)
        room = httpx.get(f"{base}/v1/rooms/{room_id}", headers=bearer("host-1", "creator"), timeout=60).json()
        assert (room["sold"], room["available"]) == (50, 0)

    # The event log agrees: 50 sales, each one event (reserved and paid at once), nothing released.
    events = _event_counts(postgres_url)
    assert events["Ticket.Sold"] == 50
    assert events["Ticket.Reserved"] == events["Ticket.Paid"] == 0
    assert events["Ticket.Released"] == 0
    assert max(_live_tickets_per_listener(postgres_url, room_id).values()) == 1


def test_a_listener_racing_themself_on_two_processes_holds_one_ticket(postgres_url: str) -> None:
    with running_server(postgres_url, SECRET, workers=2) as base:
        room_id = _setup_room(base, capacity=50)

        # 20 listeners, each sending 5 purchases at once without an idempotency key.
        attempts = [f"listener-{i % 20}" for i in range(100)]
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(lambda who: _buy(base, room_id, who), attempts))

        won = Counter(who for who, status, _ in results if status == 201)
        refused = Counter(body.get("type") for _, status, body in results if status >= 400)
        assert won == Counter({f"listener-{i}": 1 for i in range(20)})
        assert refused == {"already_has_ticket": 80}

    assert _event_counts(postgres_url)["Ticket.Sold"] == 20
    assert max(_live_tickets_per_listener(postgres_url, room_id).values()) == 1


def test_a_purchase_does_not_wait_for_the_projector_and_a_read_waits_for_the_purchase(postgres_url: str) -> None:
    """The purchase answers once committed; a read of the projections waits until they hold
    every write committed before it began, whichever API process made it."""
    env = {"BOXOFFICE_PROJECTOR": "worker", "BOXOFFICE_READ_YOUR_WRITES_TIMEOUT": "30"}
    with running_server(postgres_url, SECRET, workers=2, extra_env=env) as base:
        with projector_worker(postgres_url, env):
            room_id = _setup_room(base, capacity=10)
        # No projector now: the purchase must still answer at once.
        listener = bearer("patient-reader", "listener")
        bought = httpx.post(f"{base}/v1/rooms/{room_id}/tickets", headers=listener, timeout=10)
        assert bought.status_code == 201, bought.text
        with ThreadPoolExecutor(max_workers=1) as pool:
            read = pool.submit(lambda: httpx.get(f"{base}/v1/me/tickets", headers=listener, timeout=60))
            time.sleep(1.5)
            assert not read.done()  # waiting for the projections to reach the purchase
            with projector_worker(postgres_url, env):
                response = read.result(timeout=30)
        assert [t["id"] for t in response.json()["items"]] == [bought.json()["id"]]


def test_a_buyer_reads_their_ticket_at_once_from_any_process_with_the_projector_in_its_own_worker(
        postgres_url: str) -> None:
    """The purchase answers without waiting for the projector; reads wait for the log head instead."""
    env = {"BOXOFFICE_PROJECTOR": "worker"}
    with projector_worker(postgres_url, env), running_server(postgres_url, SECRET, workers=2, extra_env=env) as base:
        room_id = _setup_room(base, capacity=100)

        def buy_then_read(i: int) -> tuple[str, list[str], list[str]]:
            listener = f"reader-{i}"
            with httpx.Client(base_url=base, timeout=30) as http:  # fresh connections: any worker may answer
                bought = http.post(f"/v1/rooms/{room_id}/tickets", headers=bearer(listener, "listener"))
                assert bought.status_code == 201, bought.text
            with httpx.Client(base_url=base, timeout=30) as http:
                mine = http.get("/v1/me/tickets", headers=bearer(listener, "listener")).json()["items"]
                buyers = http.get(f"/v1/rooms/{room_id}/buyers", headers=bearer("host-1", "creator"),
                                  params={"limit": 1000}).json()["items"]
            return bought.json()["id"], [t["id"] for t in mine], [b["ticket_id"] for b in buyers]

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(buy_then_read, range(40)))

        for ticket_id, mine, buyers in results:
            assert mine == [ticket_id]
            assert ticket_id in buyers
