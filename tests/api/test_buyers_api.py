"""A room's buyers over HTTP (GET /v1/rooms/{id}/buyers): for the host and admins only."""

from __future__ import annotations

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    an_admin,
    assert_problem,
    buy,
    price,
    random_uuid,
)
from tests.api.ticket_actions import DECLINING_CARD


def test_the_host_sees_who_bought_a_ticket(client):
    host, room = a_hosted_room(client)
    ann, bob = a_listener(), a_listener()
    ann_ticket = a_paid_ticket(client, room["id"], ann)
    bob_ticket = a_paid_ticket(client, room["id"], bob)
    buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD)

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=host.headers)

    assert response.status_code == 200, response.text
    buyers = response.json()["items"]
    assert {(b["user_id"], b["ticket_id"]) for b in buyers} == {(ann.sub, ann_ticket["id"]), (bob.sub, bob_ticket["id"])}
    assert {b["price"]["amount"] for b in buyers} == {999}
    assert response.json()["next_cursor"] is None


def test_buyers_leave_out_refunded_tickets(client):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=host.headers)

    assert response.json()["items"] == []


def test_buyers_page_with_a_cursor(client, clock):
    host, room = a_hosted_room(client)
    sold = []
    for _ in range(3):
        sold.append(a_paid_ticket(client, room["id"])["id"])
        clock.advance(seconds=1)

    first = client.get(f"/v1/rooms/{room['id']}/buyers", params={"limit": 2}, headers=host.headers).json()
    second = client.get(f"/v1/rooms/{room['id']}/buyers", params={"limit": 2, "cursor": first["next_cursor"]},
                        headers=host.headers).json()

    assert [b["ticket_id"] for b in first["items"] + second["items"]] == sold
    assert second["next_cursor"] is None


def test_an_admin_sees_the_buyers_of_any_room(client):
    _, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=an_admin().headers)

    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 1


def test_another_creator_may_not_see_the_buyers(client):
    _, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=a_host(client).headers)

    assert_problem(response, 403, "forbidden")


def test_a_listener_may_not_see_the_buyers(client):
    _, room = a_hosted_room(client)

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=a_listener().headers)

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("room_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("room-1", id="non-uuid")])
def test_the_buyers_of_an_unknown_room_are_not_found(client, room_id):
    response = client.get(f"/v1/rooms/{room_id}/buyers", headers=a_host(client).headers)

    assert_problem(response, 404, "not_found")
