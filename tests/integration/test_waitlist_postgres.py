"""The waitlist under concurrency, two API processes on PostgreSQL: concurrent frees never hold one seat
twice, and the line is served in order; offers' seats are never sold to anyone else."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

HOST = bearer("line-host", "creator")
SEATS, LINE = 10, 15


def _post(base: str, path: str, headers: dict[str, str], json: dict | None = None) -> tuple[int, dict]:
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post(path, json=json, headers=headers)
    return r.status_code, r.json()


def test_concurrent_refunds_offer_each_seat_once_to_the_first_in_line(postgres_url: str) -> None:
    with running_server(postgres_url, SECRET, workers=2) as base:
        assert _post(base, "/v1/creators", HOST, {"display_name": "Host", "follower_count": 5000})[0] in (200, 201)
        status, room = _post(base, "/v1/rooms", HOST, {
            "title": "Line", "ticket_price": {"amount": 2000, "currency": "USD"}, "capacity": SEATS})
        assert status == 201, room
        rid = room["id"]
        tickets = []
        for i in range(SEATS):
            status, ticket = _post(base, f"/v1/rooms/{rid}/tickets", bearer(f"buyer-{i}", "listener"))
            assert status == 201, ticket
            tickets.append(ticket["id"])
        for i in range(LINE):  # places 1..15, in this order
            status, entry = _post(base, f"/v1/rooms/{rid}/waitlist", bearer(f"fan-{i}", "listener"))
            assert (status, entry.get("place")) == (201, i + 1), entry

        # Every seat frees at once, through both processes.
        with ThreadPoolExecutor(max_workers=SEATS) as pool:
            refunds = list(pool.map(lambda t: _post(base, f"/v1/tickets/{t}/refund", HOST), tickets))
        assert [s for s, _ in refunds] == [200] * SEATS, refunds

        offers = {}
        for i in range(LINE):
            with httpx.Client(base_url=base, timeout=60) as http:
                items = http.get("/v1/me/offers", headers=bearer(f"fan-{i}", "listener")).json()["items"]
            offers[f"fan-{i}"] = items
        assert [len(offers[f"fan-{i}"]) for i in range(LINE)] == [1] * SEATS + [0] * (LINE - SEATS)
        assert {o["status"] for i in range(SEATS) for o in offers[f"fan-{i}"]} == {"offered"}

        # The offered buy while outsiders try to buy the same seats: only the offers get them.
        steps = [(f"fan-{i}", {"offer_id": offers[f"fan-{i}"][0]["id"]}) for i in range(SEATS)]
        steps += [(f"outsider-{i}", None) for i in range(SEATS)]
        with ThreadPoolExecutor(max_workers=len(steps)) as pool:
            bought = list(pool.map(lambda s: (s[0], *_post(base, f"/v1/rooms/{rid}/tickets",
                                                           bearer(s[0], "listener"), s[1])), steps))

        outcome = Counter((who.split("-")[0], status, body.get("type")) for who, status, body in bought)
        assert outcome == {("fan", 201, None): SEATS, ("outsider", 409, "sold_out"): SEATS}, outcome

    with psycopg.connect(postgres_url) as conn:
        (taken, capacity) = conn.execute("SELECT taken, capacity FROM seat_inventory WHERE room_id = %s",
                                         (rid,)).fetchone()
        lines = dict(conn.execute("SELECT status, count(*) FROM waitlist WHERE room_id = %s GROUP BY status",
                                  (rid,)).fetchall())
        (live,) = conn.execute("SELECT count(*) FROM seat_holds WHERE room_id = %s AND live", (rid,)).fetchone()
    assert taken == live == capacity == SEATS
    assert lines == {"accepted": SEATS, "waiting": LINE - SEATS}
