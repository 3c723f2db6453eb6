"""A code's max_uses holds under concurrency across two API processes on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

HOST = bearer("code-host", "creator")


def _room_with_code(base: str, max_uses: int, creator_wide: bool) -> str:
    r = httpx.post(f"{base}/v1/creators", json={"display_name": "Host", "follower_count": 5000}, headers=HOST, timeout=60)
    assert r.status_code in (200, 201), r.text
    r = httpx.post(f"{base}/v1/rooms", headers=HOST, json={
        "title": "Codes", "ticket_price": {"amount": 2000, "currency": "USD"}, "capacity": 100}, timeout=60)
    assert r.status_code == 201, r.text
    room_id = r.json()["id"]
    url = f"{base}/v1/creators/code-host/codes" if creator_wide else f"{base}/v1/rooms/{room_id}/codes"
    r = httpx.post(url, headers=HOST, json={"code": "FIVE", "percent_off": 50, "max_uses": max_uses}, timeout=60)
    assert r.status_code == 201, r.text
    return room_id


def _buy(base: str, room_id: str, listener: str) -> tuple[int, dict]:
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post(f"/v1/rooms/{room_id}/tickets", json={"code": "five"}, headers=bearer(listener, "listener"))
    return r.status_code, r.json()


@pytest.mark.parametrize("creator_wide", [False, True], ids=["room code", "creator-wide code"])
def test_20_concurrent_buyers_with_a_code_of_max_uses_5_get_exactly_5_discounts(postgres_url: str, creator_wide) -> None:  # noqa: ANN001
    with running_server(postgres_url, SECRET, workers=2) as base:
        room_id = _room_with_code(base, 5, creator_wide)

        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(lambda i: _buy(base, room_id, f"fan-{i}"), range(20)))

        statuses = Counter(status for status, _ in results)
        discounted = [body for status, body in results if status == 201]
        assert statuses == {201: 5, 409: 15}, statuses
        assert {b.get("type") for s, b in results if s == 409} == {"code_exhausted"}
        assert [(b["price"]["amount"], b["discount"]) for b in discounted] == [(1000, 1000)] * 5

    with psycopg.connect(postgres_url) as conn:
        (used,) = conn.execute("SELECT used FROM code_inventory").fetchone()
        (holds,) = conn.execute("SELECT count(*) FROM seat_holds WHERE code_id IS NOT NULL AND live").fetchone()
    assert (used, holds) == (5, 5)
