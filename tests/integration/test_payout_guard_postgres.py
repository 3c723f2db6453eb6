"""The payout guard holds across periods, runs and processes, on PostgreSQL, over HTTP.

Twelve creators' earnings are released; then four payout runs are sent at
once, to two API processes, with `as_of` one day apart on a daily schedule:
four different periods, so four different payout ids per creator. The guard
(one reservation per balance, `payout_reservations`) lets exactly one of them
pay each creator, and no balance goes below zero.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

CREATORS = 12
TICKETS, PRICE = 3, 2_000
SHARE = TICKETS * PRICE * 97 // 100  # 97% of a first sale, per ticket rounded down: 1,940 each


def _creator_with_released_earnings(http: httpx.Client, n: int) -> str:
    sub = f"creator-{n}"
    host = bearer(sub, "creator")
    r = http.post("/v1/creators", json={"display_name": f"Creator {n}", "follower_count": 5_000}, headers=host)
    assert r.status_code == 201, r.text
    r = http.post("/v1/rooms", headers=host, json={
        "title": f"Room {n}", "ticket_price": {"amount": PRICE, "currency": "USD"}, "capacity": TICKETS})
    assert r.status_code == 201, r.text
    room_id = r.json()["id"]
    for i in range(TICKETS):
        r = http.post(f"/v1/rooms/{room_id}/tickets", headers=bearer(f"listener-{n}-{i}", "listener"))
        assert r.status_code == 201 and r.json()["status"] == "paid", r.text
    assert http.post(f"/v1/rooms/{room_id}/start", headers=host).status_code == 200
    assert http.post(f"/v1/rooms/{room_id}/end", headers=host).status_code == 200
    return sub


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_four_overlapping_runs_on_two_processes_pay_each_creator_exactly_once(postgres_url: str) -> None:
    env = {"BOXOFFICE_PAYOUT_SCHEDULE": "daily", "BOXOFFICE_REFUND_WINDOW_DAYS": "0"}
    finance = bearer("finance-1", "finance")
    with running_server(postgres_url, SECRET, workers=2, extra_env=env) as base, \
            httpx.Client(base_url=base, timeout=120) as http:
        creators = [_creator_with_released_earnings(http, n) for n in range(CREATORS)]
        # A first run releases the earnings; nobody can be paid yet (no payout accounts).
        r = http.post("/v1/payout-runs", json={}, headers=finance)
        assert r.status_code == 201, r.text
        assert r.json()["payouts"] == []
        for sub in creators:
            r = http.post(f"/v1/creators/{sub}/payout-account", headers=bearer(sub, "creator"))
            assert r.status_code in (200, 201), r.text

        # Four runs at once, a day apart: four periods, so four payout ids per creator.
        now = datetime.now(UTC) - timedelta(seconds=1)
        moments = [now - timedelta(days=d) for d in range(4)]

        def run(as_of: datetime) -> httpx.Response:
            with httpx.Client(base_url=base, timeout=120) as own:
                return own.post("/v1/payout-runs", json={"as_of": _iso(as_of)}, headers=finance)

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(run, moments))

        assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
        r = http.get("/v1/payouts", params={"limit": 200}, headers=finance)
        assert r.status_code == 200, r.text
        payouts = r.json()["items"]
        per_creator = Counter(p["creator_id"] for p in payouts if p["status"] != "cancelled")
        assert per_creator == {sub: 1 for sub in creators}
        assert all(p["amount"] == {"amount": SHARE, "currency": "USD"} for p in payouts)
        for sub in creators:
            r = http.get(f"/v1/creators/{sub}/earnings", headers=bearer(sub, "creator"))
            assert r.status_code == 200, r.text
            (usd,) = [e for e in r.json()["earnings"] if e["currency"] == "USD"]
            assert (usd["available"], usd["in_transit"], usd["paid"], usd["lifetime"]) == (0, 0, SHARE, SHARE), usd
        r = http.get("/v1/ledger/accounts", params={"prefix": "creator:"}, headers=finance)
        assert r.status_code == 200, r.text
        # Debits are positive: a creator's available balance is a credit (owed to them) or zero, never a debit.
        available = {a["account"]: a["balance"] for a in r.json()["accounts"] if a["account"].endswith(":available")}
        assert available == {f"creator:{sub}:available": 0 for sub in creators}
