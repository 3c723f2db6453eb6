"""Gifts under concurrency, two API processes on PostgreSQL: one live ticket per listener and room, always."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

HOST = bearer("gift-host", "creator")
GIVERS, RECEIVERS = 20, 4


def _room(base: str) -> str:
    r = httpx.post(f"{base}/v1/creators", json={"display_name": "Host", "follower_count": 5000}, headers=HOST, timeout=60)
    assert r.status_code in (200, 201), r.text
    r = httpx.post(f"{base}/v1/rooms", headers=HOST, json={
        "title": "Gifts", "ticket_price": {"amount": 2000, "currency": "USD"}, "capacity": 100}, timeout=60)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _act(base: str, room_id: str, step: tuple[str, str, str | None]) -> tuple[str, str, int, dict]:
    kind, user, arg = step
    with httpx.Client(base_url=base, timeout=60) as http:
        if kind == "give":
            r = http.post(f"/v1/tickets/{arg}/transfer", json={"to_user_id": _receiver_of(user)},
                          headers=bearer(user, "listener"))
        else:
            r = http.post(f"/v1/rooms/{room_id}/tickets", headers=bearer(user, "listener"))
    return kind, user, r.status_code, r.json()


def _receiver_of(giver: str) -> str:
    return f"receiver-{int(giver.split('-')[1]) % RECEIVERS}"


def test_concurrent_gifts_and_purchases_leave_every_receiver_exactly_one_live_ticket(postgres_url: str) -> None:
    with running_server(postgres_url, SECRET, workers=2) as base:
        room_id = _room(base)
        tickets = {}
        for i in range(GIVERS):
            r = httpx.post(f"{base}/v1/rooms/{room_id}/tickets", headers=bearer(f"giver-{i}", "listener"), timeout=60)
            assert r.status_code == 201 and r.json()["status"] == "paid", r.text
            tickets[f"giver-{i}"] = r.json()["id"]
        # Every receiver is sent five gifts and buys a ticket of their own, all at once.
        steps = [("give", giver, ticket_id) for giver, ticket_id in tickets.items()]
        steps += [("buy", f"receiver-{j}", None) for j in range(RECEIVERS)]

        with ThreadPoolExecutor(max_workers=len(steps)) as pool:
            results = list(pool.map(lambda step: _act(base, room_id, step), steps))

        won = Counter(_receiver_of(user) if kind == "give" else user for kind, user, status, _ in results
                      if status in (200, 201))
        refusals = Counter((body.get("type"), body.get("rule")) for _, _, status, body in results if status >= 400)
        assert won == {f"receiver-{j}": 1 for j in range(RECEIVERS)}, won
        assert sum(refusals.values()) == len(steps) - RECEIVERS, refusals
        assert set(refusals) <= {("not_transferable", "receiver_holds_ticket"), ("already_has_ticket", None)}, refusals

    with psycopg.connect(postgres_url) as conn:
        live = conn.execute("SELECT holder_id, count(*) FROM seat_holds WHERE live AND room_id = %s GROUP BY holder_id",
                            (room_id,)).fetchall()
        (taken,) = conn.execute("SELECT taken FROM seat_inventory WHERE room_id = %s", (room_id,)).fetchone()
    holders = dict(live)
    assert all(n == 1 for n in holders.values()), holders
    assert {f"receiver-{j}" for j in range(RECEIVERS)} <= set(holders)
    gifts = sum(1 for kind, _, status, _ in results if kind == "give" and status == 200)
    assert len(holders) == GIVERS - gifts + RECEIVERS == taken  # a gift moves a seat; it never takes one
