"""While the database or Stripe is unreachable, the API answers 503 problems with Retry-After,
never a bare 500; when they come back it serves again with nothing more to do (issue 12, item 13)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from payouts.stripe_gateway import StripeGateway
from tests.api.builders import a_hosted_room, a_listener, assert_problem, buy, finance, get_room
from tests.support.tcp_proxy import CuttableProxy


def through(proxy: CuttableProxy, url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert_problem(response, 503, response.json()["type"])
    assert response.json()["type"] in ("service_unavailable", "payment_unavailable")
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.postgres
def test_while_postgresql_is_unreachable_every_request_is_a_503_and_service_resumes_after(make_services,
                                                                                            postgres_url):
    target = urlsplit(postgres_url)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 5432)
    services = make_services(through(proxy, postgres_url), read_your_writes_timeout=1.0,
                             db_connect_timeout_seconds=1)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        host, room = a_hosted_room(client)
        before = a_listener()
        assert buy(client, room["id"], before).status_code == 201

        proxy.down()
        during = {
            "purchase": buy(client, room["id"], a_listener(), key="during-outage"),
            "open room": client.post("/v1/rooms", json={"title": "x", "ticket_price": {"amount": 999, "currency": "USD"},
                                                       "capacity": 5}, headers=host.headers),
            "read room": client.get(f"/v1/rooms/{room['id']}", headers=host.headers),
            "my tickets": client.get("/v1/me/tickets", headers=before.headers),
            "ledger": client.get("/v1/ledger/accounts", headers=finance().headers),
        }
        proxy.up()
        # The pools reconnect on their own (with their backoff); until then a retry is a 503 again.
        late = a_listener()
        retries = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            after = buy(client, room["id"], late, key="after-outage")
            if after.status_code != 503:
                break
            retries.append(after)
            time.sleep(0.2)

    for name, response in during.items():
        assert response.status_code != 500, f"{name}: {response.text}"
        assert_unavailable(response)
    assert after.status_code == 201, after.text
    for response in retries:
        assert_unavailable(response)


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_while_stripe_is_unreachable_a_purchase_is_a_503_that_a_retry_resumes(make_services, sqlite_url):
    gateway = StripeGateway("sk_test_down", api_base=f"http://127.0.0.1:{closed_port()}", max_network_retries=0,
                            timeout=1.0)
    services = make_services(sqlite_url, gateway=gateway, stripe_secret_key="sk_test_down",
                             stripe_webhook_secret="whsec_down")
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        host, room = a_hosted_room(client)
        listener = a_listener()

        first = buy(client, room["id"], listener, key="k1")
        again = buy(client, room["id"], listener, key="k1")
        account = client.post(f"/v1/creators/{host.sub}/payout-account", headers=host.headers)
        held = get_room(client, room["id"])

    assert_unavailable(first)
    assert first.json()["ticket_id"] == again.json()["ticket_id"]
    assert_unavailable(again)
    assert_unavailable(account)
    assert held["held"] == 1  # the seat waits for the retry (or the hold's expiry), as before
