"""Gifts and transfers: the holder of a paid ticket gives it away before the room starts, one outcome a test.

The buyer stays the payer; the old holder is denied (`transferred`) and listed on the revocation
feed; the receiver is admitted and sees the ticket in `GET /v1/me/tickets`.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from tests.api.builders import (
    Caller,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    get_ticket,
    nothing_written,
    refunds_sent,
)
from tests.conftest import bearer
from tests.support.fakes import PendingGateway

MEDIA = bearer("media-server-1", "media")


def give(client: TestClient, ticket: dict[str, Any], holder: Caller, to: str, key: str | None = None):  # noqa: ANN201
    headers = dict(holder.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"/v1/tickets/{ticket['id']}/transfer", json={"to_user_id": to}, headers=headers)


def admission(client: TestClient, services: Any, room_id: str, user_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 2
    while services.admission_index.position < services.app.uow.position():  # the index follows the log
        assert time.monotonic() < deadline, "admission index behind the log"
        time.sleep(0.002)
    response = client.get(f"/v1/rooms/{room_id}/admissions/{user_id}", headers=MEDIA)
    assert response.status_code == 200, response.text
    return response.json()


def my_tickets(client: TestClient, caller: Caller) -> list[dict[str, Any]]:
    response = client.get("/v1/me/tickets", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_holder_gives_a_paid_ticket_and_the_receiver_holds_it(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)
    before = services.app.uow.position()

    response = give(client, ticket, giver, receiver.sub)

    assert response.status_code == 200, response.text
    given = response.json()
    assert (given["id"], given["holder_id"], given["status"], given["transfers"]) == (
        ticket["id"], receiver.sub, "paid", 1)
    assert given["price"] == ticket["price"]
    assert given["payment"]["payment_id"] == ticket["payment"]["payment_id"]  # the buyer paid, once
    assert services.app.uow.position() == before + 1  # one event: Ticket.Transferred, no money moved
    received = my_tickets(client, receiver)
    assert [(t["id"], t["tier_id"], t["status"]) for t in received] == [(ticket["id"], room["id"], "paid")]
    assert my_tickets(client, giver) == []


def test_the_old_holder_is_denied_as_transferred_and_the_new_holder_is_admitted(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)

    assert give(client, ticket, giver, receiver.sub).status_code == 200

    old, new = admission(client, services, room["id"], giver.sub), admission(client, services, room["id"], receiver.sub)
    assert (old["admit"], old["reason"]) == (False, "transferred")
    assert (new["admit"], new["reason"], new["ticket_id"]) == (True, "not_started", ticket["id"])
    services.admission_tail.load_snapshot()  # a process started now loads the same answers from the tables
    assert admission(client, services, room["id"], giver.sub)["reason"] == "transferred"
    assert admission(client, services, room["id"], receiver.sub)["admit"] is True


def test_the_old_holder_appears_on_the_revocation_feed_with_reason_transferred(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)

    assert give(client, ticket, giver, receiver.sub).status_code == 200
    feed = client.get(f"/v1/rooms/{room['id']}/revocations", headers=MEDIA)

    assert feed.status_code == 200, feed.text
    assert [(i["ticket_id"], i["user_id"], i["reason"]) for i in feed.json()["items"]] == [
        (ticket["id"], giver.sub, "transferred")]


def test_a_refund_after_a_transfer_goes_back_to_the_buyers_payment(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)
    assert give(client, ticket, giver, receiver.sub).status_code == 200

    refunded = client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"
    assert refunds_sent(services) == 1
    assert services.gateway._refunded == {ticket["payment"]["payment_id"]: ticket["price"]["amount"]}  # the buyer's


def test_the_same_idempotency_key_is_the_same_transfer(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)
    first = give(client, ticket, giver, receiver.sub, key="gift-1")

    with nothing_written(services):
        again = give(client, ticket, giver, receiver.sub, key="gift-1")

    assert first.status_code == again.status_code == 200, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["holder_id"] == receiver.sub and again.json()["transfers"] == 1


def test_the_same_idempotency_key_to_another_receiver_is_a_conflict(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    giver = a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)
    assert give(client, ticket, giver, a_listener().sub, key="gift-1").status_code == 200

    with nothing_written(services):
        response = give(client, ticket, giver, a_listener().sub, key="gift-1")

    assert_problem(response, 409, "idempotency_conflict")


def refused(response, rule: str) -> None:  # noqa: ANN001
    body = assert_problem(response, 409, "not_transferable")
    assert body["rule"] == rule, body


def test_a_ticket_is_not_given_to_its_own_holder(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    holder = a_listener()
    ticket = a_paid_ticket(client, room["id"], holder)

    with nothing_written(services):
        refused(give(client, ticket, holder, holder.sub), "to_self")


def test_an_unpaid_ticket_is_not_given_away(make_services, sqlite_url) -> None:  # noqa: ANN001
    from api.main import create_app

    services = make_services(sqlite_url, gateway=PendingGateway())
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        _, room = a_hosted_room(client)
        holder = a_listener()
        reserved = client.post(f"/v1/rooms/{room['id']}/tickets", headers=holder.headers)
        assert reserved.status_code == 201 and reserved.json()["status"] == "reserved", reserved.text

        with nothing_written(services):
            refused(give(client, reserved.json(), holder, a_listener().sub), "not_paid")


def test_a_refunded_ticket_is_not_given_away(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    holder = a_listener()
    ticket = a_paid_ticket(client, room["id"], holder)
    assert client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers).status_code == 200

    with nothing_written(services):
        refused(give(client, ticket, holder, a_listener().sub), "not_paid")


def test_a_ticket_is_not_given_away_once_the_room_has_started(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    holder = a_listener()
    ticket = a_paid_ticket(client, room["id"], holder)
    assert client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers).status_code == 200

    with nothing_written(services):
        refused(give(client, ticket, holder, a_listener().sub), "room_started")


def test_a_ticket_is_given_away_at_most_max_transfers_times(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    first, second = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], first)
    assert give(client, ticket, first, second.sub).status_code == 200  # BOXOFFICE_MAX_TRANSFERS: 1 by default

    with nothing_written(services):
        refused(give(client, ticket, second, a_listener().sub), "transfer_limit")


def test_a_setting_allows_more_transfers(make_services, sqlite_url) -> None:  # noqa: ANN001
    from api.main import create_app

    services = make_services(sqlite_url, max_transfers=2)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        _, room = a_hosted_room(client)
        a, b, c = a_listener(), a_listener(), a_listener()
        ticket = a_paid_ticket(client, room["id"], a)

        assert give(client, ticket, a, b.sub).status_code == 200
        assert give(client, ticket, b, c.sub).json()["holder_id"] == c.sub
        refused(give(client, ticket, c, a.sub), "transfer_limit")


def test_a_receiver_who_holds_a_ticket_for_the_room_is_refused(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)
    a_paid_ticket(client, room["id"], receiver)

    with nothing_written(services):
        refused(give(client, ticket, giver, receiver.sub), "receiver_holds_ticket")

    assert get_ticket(client, ticket["id"])["holder_id"] == giver.sub


def test_only_the_holder_gives_a_ticket_away(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    holder = a_listener()
    ticket = a_paid_ticket(client, room["id"], holder)

    with nothing_written(services):
        response = give(client, ticket, host, a_listener().sub)

    assert_problem(response, 403, "forbidden")


def test_the_old_holder_may_buy_again_after_giving_their_ticket_away(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], giver)
    assert give(client, ticket, giver, receiver.sub).status_code == 200

    again = a_paid_ticket(client, room["id"], giver)

    assert again["id"] != ticket["id"]
    assert admission(client, services, room["id"], giver.sub)["reason"] == "not_started"
