"""Flash sales in Stripe mode: Stripe's rate limit, the SDK's retries, and pacing shared by all processes.

The stand-in answers 429 beyond its configured rate, as Stripe does. Without
pacing, a burst is answered 429s that the gateway retries (same idempotency
key) until every purchase has its PaymentIntent. With pacing, seats are held
at once, the buyer learns their place in the queue, and the PaymentIntents
are created at the bucket's rate, which two API processes share.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from payouts.stripe_gateway import StripeGateway
from tests.conftest import SECRET, bearer
from tests.stripe_standin import StripeStandIn
from tests.stripe_standin.rate_limit import busiest_second
from tests.support.server import running_server

KEY, WHSEC = "sk_test_pacing", "whsec_pacing"
HOST = bearer("host", "creator")


def a_room(http: Any, capacity: int) -> str:
    assert http.post("/v1/creators", json={"display_name": "Host", "follower_count": 5000},
                     headers=HOST).status_code in (200, 201)
    r = http.post("/v1/rooms", headers=HOST, json={
        "title": "Flash sale", "ticket_price": {"amount": 1500, "currency": "USD"}, "capacity": capacity})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def buy_all(http: Any, room_id: str, buyers: int, threads: int = 8) -> list[Any]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda i: http.post(f"/v1/rooms/{room_id}/tickets", headers=bearer(f"b{i}", "listener")),
                             range(buyers)))


def creates(standin: StripeStandIn, status: int | None = 200) -> list[Any]:
    return [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/payment_intents")
            and (status is None or r.status == status)]


@pytest.fixture
def app_on(make_services: Any, postgres_url: str) -> Iterator[Any]:
    """The app in Stripe mode on PostgreSQL (concurrency matters here), against a given stand-in."""
    opened: list[Any] = []

    def open_(standin: StripeStandIn, **settings: Any) -> TestClient:
        gateway = StripeGateway(KEY, api_base=standin.url, max_network_retries=5, timeout=5.0)
        services = make_services(postgres_url, gateway=gateway, stripe_secret_key=KEY, stripe_webhook_secret=WHSEC,
                                 **settings)
        client = TestClient(create_app(services), raise_server_exceptions=False)
        opened.append(client.__enter__())
        return client

    yield open_
    for client in opened:
        client.__exit__(None, None, None)


@pytest.mark.postgres
def test_an_unpaced_burst_gets_429s_that_the_gateway_retries_and_no_purchase_fails(app_on: Any) -> None:
    with StripeStandIn(rate_limit=10) as standin:
        http = app_on(standin, stripe_ops_per_second=0)  # unpaced: every purchase calls Stripe at once
        room = a_room(http, capacity=40)

        answers = buy_all(http, room, 40)

        assert standin.rate_limited > 0  # the burst did hit Stripe's limit
        assert [a.status_code for a in answers] == [201] * 40
        assert all(a.json()["payment"]["client_secret"] for a in answers)  # every one retried to success
        assert len(creates(standin)) == 40 == len({r.idempotency_key for r in creates(standin, None)})
        assert http.get(f"/v1/rooms/{room}", headers=HOST).json()["held"] == 40  # no seat lost


@pytest.mark.postgres
def test_a_paced_burst_holds_every_seat_and_queued_buyers_get_their_payment_in_turn(app_on: Any) -> None:
    with StripeStandIn(rate_limit=20) as standin:
        http = app_on(standin, stripe_ops_per_second=10, stripe_pacer_workers=2)
        room = a_room(http, capacity=40)

        answers = buy_all(http, room, 40)

        assert [a.status_code for a in answers] == [201] * 40
        queued = [a.json() for a in answers if a.json()["payment"]["status"] == "payment_pending"]
        assert queued and all(t["status"] == "reserved" for t in queued)
        assert sorted(t["payment"]["position"] for t in queued)[0] == 0
        deadline = time.monotonic() + 120  # 30 PaymentIntents at 10/s, on a loaded machine
        while time.monotonic() < deadline:
            time.sleep(0.5)
            shown = [http.get(f"/v1/tickets/{t['id']}", headers=bearer(t["holder_id"], "listener")).json()
                     for t in queued]
            if all(s["payment"]["client_secret"] for s in shown):
                break
        assert all(s["payment"]["status"] == "pending" and s["payment"]["client_secret"] for s in shown)
        assert standin.rate_limited == 0 and len(creates(standin)) == 40
        assert http.get(f"/v1/rooms/{room}", headers=HOST).json()["held"] == 40


@pytest.mark.postgres
def test_the_pacing_bucket_holds_across_two_api_processes(postgres_url: str) -> None:
    with StripeStandIn(rate_limit=20) as standin, running_server(postgres_url, SECRET, workers=2, extra_env={
            "BOXOFFICE_STRIPE_SECRET_KEY": KEY, "BOXOFFICE_STRIPE_WEBHOOK_SECRET": WHSEC,
            "BOXOFFICE_STRIPE_API_BASE": standin.url, "BOXOFFICE_STRIPE_OPS_PER_SECOND": "15"}) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            room = a_room(http, capacity=60)
            answers = buy_all(http, room, 60)
            assert [a.status_code for a in answers] == [201] * 60
            deadline = time.monotonic() + 90
            while len(creates(standin)) < 60 and time.monotonic() < deadline:
                time.sleep(0.2)

        made = creates(standin)
        assert len(made) == 60
        assert standin.rate_limited == 0  # Stripe's limiter (a token bucket of 20/s) never had to refuse
        moments = [r.at for r in standin.requests]
        for window in (1.0, 2.0, 3.0):  # our shared bucket: at most its burst (15) plus 15/s, both processes together
            assert busiest_second(moments, window) <= 15 + 15 * window + 1
        span = max(r.at for r in made) - min(r.at for r in made)
        assert span >= (60 - 15) / 15 * 0.8  # paced at about 15/s, not all at once


def test_beyond_its_rate_the_stand_in_answers_stripes_429_and_executes_nothing() -> None:
    import stripe

    with StripeStandIn(rate_limit=2) as standin:
        client = stripe.StripeClient(KEY, base_addresses={"api": standin.url}, max_network_retries=0)
        for _ in range(2):
            client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

        with pytest.raises(stripe.RateLimitError) as limited:
            client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    assert limited.value.http_status == 429
    assert (limited.value.json_body["error"]["type"], limited.value.json_body["error"]["code"]) == (
        "invalid_request_error", "rate_limit")
    assert limited.value.headers["Stripe-Rate-Limited-Reason"] == "global-rate"
    assert len(standin.objects("payment_intent")) == 2 and standin.rate_limited == 1
