"""Signed deliveries to integrators: the dispatcher enqueues once per event and endpoint and
delivers at least once, in order per room, retrying on the configured schedule.

The test drives the dispatcher as its worker would (`services.reactors.run_once()`); the
clock stands at the wall time so `standardwebhooks`' own timestamp check accepts deliveries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from api.main import create_app
from domain.clock import FrozenClock
from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket, an_admin, finance
from tests.integration.integrations.receiver import Receiver

COMPRESSED = "0,0,0"  # three retries, each due at once


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def wh_services(make_services, sqlite_url):
    return make_services(sqlite_url, reactors="worker", webhook_retry_schedule=COMPRESSED)


@pytest.fixture
def wh_client(wh_services) -> Iterator[TestClient]:
    with TestClient(create_app(wh_services), raise_server_exceptions=False) as http:
        yield http


def an_endpoint(client, receiver, events, caller=None):
    response = client.post("/v1/webhook-endpoints", headers=(caller or an_admin()).headers,
                           json={"url": receiver.url(), "events": events})
    assert response.status_code == 201, response.text
    return response.json()


def drive(services, rounds=6):
    for _ in range(rounds):
        services.app  # noqa: B018
        services.projector.catch_up()
        services.reactors.run_once()


def payloads(receiver):
    return [json.loads(r.body) for r in receiver.received]


def test_a_paid_ticket_reaches_the_endpoint_signed_with_its_secret(wh_client, wh_services, receiver):
    endpoint = an_endpoint(wh_client, receiver, ["ticket.paid"])
    _, room = a_hosted_room(wh_client)
    listener = a_listener()
    ticket = a_paid_ticket(wh_client, room["id"], listener)

    drive(wh_services)

    [got] = receiver.received
    verified = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert (verified["type"], verified["data"]["id"], verified["data"]["status"]) == ("ticket.paid", ticket["id"],
                                                                                      "paid")
    assert verified["data"]["holder_id"] == listener.sub
    assert {"id", "type", "created_at", "data"} == verified.keys()
    assert got.headers["webhook-id"] == verified["id"]


def test_a_receiver_that_fails_twice_gets_the_delivery_on_the_third_try(wh_client, wh_services, receiver):
    endpoint = an_endpoint(wh_client, receiver, ["room.opened"])
    receiver.answer(500, 500)
    a_hosted_room(wh_client)

    drive(wh_services)

    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # one message, three tries
    Webhook(endpoint["secret"]).verify(receiver.received[2].body, receiver.received[2].headers)
    [delivery] = wh_client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                               headers=an_admin().headers).json()["items"]
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempts"])


def test_a_delivery_is_failed_after_the_last_retry_of_the_schedule(wh_client, wh_services, receiver):
    endpoint = an_endpoint(wh_client, receiver, ["room.opened"])
    receiver.answer(500, 500, 500, 500, 500)
    a_hosted_room(wh_client)

    drive(wh_services, rounds=8)

    assert len(receiver.received) == 4  # the first try and three retries
    [delivery] = wh_client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                               headers=an_admin().headers).json()["items"]
    assert (delivery["status"], delivery["next_try_at"]) == ("failed", None)


def test_a_retry_waits_for_its_delay(make_services, sqlite_url, receiver, clock):
    services = make_services(sqlite_url, reactors="worker", webhook_retry_schedule="60")
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        an_endpoint(client, receiver, ["room.opened"])
        receiver.answer(500)
        a_hosted_room(client)
        drive(services)
        assert len(receiver.received) == 1

        clock.advance(seconds=61)
        drive(services)

    assert len(receiver.received) == 2


def test_events_of_one_room_arrive_in_order_even_when_the_first_needs_retries(wh_client, wh_services, receiver):
    an_endpoint(wh_client, receiver, ["room.opened", "room.started", "room.ended"])
    receiver.answer(500)
    host, room = a_hosted_room(wh_client)
    wh_client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers)
    wh_client.post(f"/v1/rooms/{room['id']}/end", headers=host.headers)

    drive(wh_services)

    delivered = [p["type"] for p in payloads(receiver)]
    assert delivered == ["room.opened", "room.opened", "room.started", "room.ended"]


def test_an_endpoint_gets_only_the_events_it_subscribed_to_and_none_from_before_it_existed(wh_client, wh_services,
                                                                                          receiver):
    host, before = a_hosted_room(wh_client)
    an_endpoint(wh_client, receiver, ["room.cancelled"])
    _, other = a_hosted_room(wh_client)
    wh_client.post(f"/v1/rooms/{before['id']}/cancel", headers=host.headers)

    drive(wh_services)

    assert [(p["type"], p["data"]["id"]) for p in payloads(receiver)] == [("room.cancelled", before["id"])]


def test_410_gone_disables_the_endpoint_and_finance_sees_why(wh_client, wh_services, receiver):
    endpoint = an_endpoint(wh_client, receiver, ["room.opened"])
    receiver.answer(410)
    a_hosted_room(wh_client)
    a_hosted_room(wh_client)

    drive(wh_services)

    assert len(receiver.received) == 1
    [seen] = wh_client.get("/v1/webhook-endpoints", headers=finance().headers).json()["items"]
    assert (seen["id"], seen["enabled"]) == (endpoint["id"], False)
    assert "410" in seen["disabled_reason"]


def test_an_endpoint_failing_for_five_days_is_disabled(make_services, sqlite_url, receiver, clock):
    services = make_services(sqlite_url, reactors="worker", webhook_retry_schedule="86400,86400,86400,86400,86400,86400")
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        endpoint = an_endpoint(client, receiver, ["room.opened"])
        receiver.answer(*[503] * 10)
        a_hosted_room(client)
        for _ in range(6):
            drive(services, rounds=1)
            clock.advance(days=1, seconds=1)
        drive(services, rounds=1)
        seen = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=finance().headers).json()

    assert len(receiver.received) == 6  # day 0 .. day 5: then disabled, no sixth retry
    assert seen["enabled"] is False
    assert "failing since" in seen["disabled_reason"]


def test_after_a_rotation_deliveries_carry_both_signatures_for_a_day(wh_client, wh_services, receiver):
    endpoint = an_endpoint(wh_client, receiver, ["room.opened"])
    rotated = wh_client.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=an_admin().headers).json()
    a_hosted_room(wh_client)

    drive(wh_services)

    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint["secret"]).verify(got.body, got.headers)
    Webhook(rotated["secret"]).verify(got.body, got.headers)


def test_redirects_are_not_followed(wh_client, wh_services, receiver):
    endpoint = an_endpoint(wh_client, receiver, ["room.opened"])
    receiver.script.redirect_to = receiver.url("/elsewhere")
    receiver.answer(302, 302, 302, 302)
    a_hosted_room(wh_client)

    drive(wh_services)

    assert {r.path for r in receiver.received} == {"/hooks"}
    [delivery] = wh_client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                               headers=an_admin().headers).json()["items"]
    assert delivery["status"] == "failed"
    assert "redirect" in delivery["last_error"]


def test_retry_sends_one_delivery_again_with_the_same_message_id(wh_client, wh_services, receiver):
    endpoint = an_endpoint(wh_client, receiver, ["room.opened"])
    a_hosted_room(wh_client)
    drive(wh_services)
    admin = an_admin()
    [delivery] = wh_client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=admin.headers).json()["items"]

    retried = wh_client.post(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry",
                             headers=admin.headers)
    drive(wh_services)

    assert retried.status_code == 202, retried.text
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery["message_id"]] * 2


def test_replay_since_sends_the_range_again(wh_client, wh_services, receiver, clock):
    endpoint = an_endpoint(wh_client, receiver, ["room.opened"])
    a_hosted_room(wh_client)
    clock.advance(minutes=1)
    since = clock.now()
    a_hosted_room(wh_client)
    drive(wh_services)

    replayed = wh_client.post(f"/v1/webhook-endpoints/{endpoint['id']}/replay", params={"since": since.isoformat()},
                              headers=an_admin().headers)
    drive(wh_services)

    assert replayed.json()["requeued"] == 1
    assert len(receiver.received) == 3


def test_a_finance_endpoint_hears_of_differences_in_reconciliation_only(wh_client, wh_services, receiver):
    an_endpoint(wh_client, receiver, ["reconciliation.differences_found"], caller=finance())
    a_hosted_room(wh_client)

    drive(wh_services)

    assert receiver.received == []  # nothing finance subscribed to happened


def test_readyz_shows_the_dispatchers_lag_and_failures(wh_client, wh_services, receiver):
    an_endpoint(wh_client, receiver, ["room.opened"])
    receiver.answer(500)
    a_hosted_room(wh_client)
    drive(wh_services, rounds=1)

    ready = wh_client.get("/readyz").json()["checks"]["reactors"]["webhooks"]

    assert ready["enabled"] is True
    assert (ready["lag"], ready["retrying"], ready["failed"]) == (0, 1, 0)
    assert "HTTP 500" in ready["last_error"]


def test_metrics_show_each_reactors_lag(wh_client):
    scrape = wh_client.get("/metrics")

    assert scrape.status_code == 200
    assert 'boxoffice_reactor_lag_events{reactor="webhooks"}' in scrape.text


def test_metrics_count_delivery_attempts_by_outcome(wh_client, wh_services, receiver):
    def count(text: str, outcome: str) -> float:
        line = next((x for x in text.splitlines()
                     if x.startswith(f'boxoffice_webhook_deliveries_total{{outcome="{outcome}"}} ')), None)
        return float(line.split()[-1]) if line else 0.0

    before = wh_client.get("/metrics").text
    an_endpoint(wh_client, receiver, ["room.opened"])
    receiver.answer(500, 500)
    a_hosted_room(wh_client)

    drive(wh_services)
    after = wh_client.get("/metrics").text

    assert count(after, "http_5xx") - count(before, "http_5xx") == 2
    assert count(after, "delivered") - count(before, "delivered") == 1
