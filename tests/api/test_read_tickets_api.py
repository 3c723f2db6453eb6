"""Reading tickets over HTTP: one ticket (GET /v1/tickets/{id}) and a listener's own (GET /v1/me/tickets)."""

from __future__ import annotations

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    buy,
    finance,
    price,
    random_uuid,
)
from tests.api.ticket_actions import DECLINING_CARD


def test_the_holder_reads_their_ticket(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=listener.headers)

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("id", "room_id", "holder_id", "status", "price")} == \
           {k: ticket[k] for k in ("id", "room_id", "holder_id", "status", "price")}


def test_the_host_reads_a_ticket_of_their_room(client):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=host.headers)

    assert response.status_code == 200, response.text


def test_finance_reads_any_ticket(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=finance().headers)

    assert response.status_code == 200, response.text


def test_another_listener_may_not_read_a_ticket(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=a_listener().headers)

    assert_problem(response, 403, "forbidden")


def test_another_creator_may_not_read_a_ticket(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=a_host(client).headers)

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("ticket_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("t-1", id="non-uuid")])
def test_reading_an_unknown_ticket_is_not_found(client, ticket_id):
    response = client.get(f"/v1/tickets/{ticket_id}", headers=finance().headers)

    assert_problem(response, 404, "not_found")


def test_reading_a_ticket_by_a_room_id_is_not_found(client):
    _, room = a_hosted_room(client)

    response = client.get(f"/v1/tickets/{room['id']}", headers=finance().headers)

    assert_problem(response, 404, "not_found")


# --- GET /v1/me/tickets ------------------------------------------------------------------------------


def my_tickets(client, caller, **query):
    response = client.get("/v1/me/tickets", params=query, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_my_tickets_lists_only_the_callers_tickets(client):
    _, first_room = a_hosted_room(client)
    _, second_room = a_hosted_room(client)
    me, someone_else = a_listener(), a_listener()
    mine = {a_paid_ticket(client, first_room["id"], me)["id"], a_paid_ticket(client, second_room["id"], me)["id"]}
    a_paid_ticket(client, first_room["id"], someone_else)

    listed = my_tickets(client, me)

    assert {t["id"] for t in listed["items"]} == mine
    assert {t["holder_id"] for t in listed["items"]} == {me.sub}
    assert listed["next_cursor"] is None


def test_my_tickets_is_empty_for_a_listener_without_tickets(client):
    _, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])

    listed = my_tickets(client, a_listener())

    assert listed == {"items": [], "next_cursor": None}


def test_my_tickets_for_a_room_i_have_no_ticket_for_is_empty(client):
    _, room = a_hosted_room(client)
    me = a_listener()
    a_paid_ticket(client, room["id"], me)

    listed = my_tickets(client, me, room_id=random_uuid())

    assert listed["items"] == []


def test_my_tickets_filters_by_room_and_status(client):
    _, first_room = a_hosted_room(client)
    _, second_room = a_hosted_room(client)
    me = a_listener()
    kept = a_paid_ticket(client, first_room["id"], me)
    buy(client, second_room["id"], me, payment_method=DECLINING_CARD)

    by_room = my_tickets(client, me, room_id=first_room["id"])
    released = my_tickets(client, me, status="released")

    assert [t["id"] for t in by_room["items"]] == [kept["id"]]
    assert [t["room_id"] for t in released["items"]] == [second_room["id"]]


def test_my_tickets_pages_with_a_cursor(client, clock):
    me = a_listener()
    bought = []
    for _ in range(3):
        _, room = a_hosted_room(client)
        bought.append(a_paid_ticket(client, room["id"], me)["id"])
        clock.advance(seconds=1)

    first = my_tickets(client, me, limit=2)
    second = my_tickets(client, me, limit=2, cursor=first["next_cursor"])

    assert [t["id"] for t in first["items"] + second["items"]] == list(reversed(bought))
    assert second["next_cursor"] is None


def test_my_tickets_shows_a_refund(client):
    host, room = a_hosted_room(client)
    me = a_listener()
    ticket = a_paid_ticket(client, room["id"], me)
    client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    [listed] = my_tickets(client, me)["items"]

    assert (listed["status"], listed["refunded_amount"]) == ("refunded", 999)
