"""Refunding a ticket over HTTP (POST /v1/tickets/{id}/refund): in full by the host, in part by an admin."""

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
    get_room,
    get_ticket,
    nothing_written,
    random_uuid,
    refunds_sent,
)
from tests.api.ticket_actions import (DECLINING_CARD, refund)


def test_the_host_refunds_a_ticket_in_full(client, services):
    host, room = a_hosted_room(client, capacity=1)
    ticket = a_paid_ticket(client, room["id"])

    response = refund(client, ticket, host)

    assert response.status_code == 200, response.text
    refunded = response.json()
    assert (refunded["status"], refunded["refunded_amount"]) == ("refunded", 999)
    assert [(r["amount"], r["status"]) for r in refunded["refunds"]] == [(999, "succeeded")]
    assert refunds_sent(services) == 1
    assert get_room(client, room["id"])["available"] == 1


def test_refunding_a_refunded_ticket_again_sends_no_second_refund(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    refund(client, ticket, host)

    with nothing_written(services):
        again = refund(client, ticket, host)

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "refunded"
    assert len(again.json()["refunds"]) == 1
    assert refunds_sent(services) == 1


def test_refunding_a_refunded_ticket_under_a_new_key_is_refused(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    refund(client, ticket, host, key="refund-1")

    with nothing_written(services):
        again = refund(client, ticket, host, key="refund-2")

    assert_problem(again, 409, "invalid_ticket_state")
    assert refunds_sent(services) == 1


def test_a_host_may_not_refund_part_of_a_ticket(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = refund(client, ticket, host, {"amount": 300})

    assert_problem(response, 403, "forbidden")
    assert get_ticket(client, ticket["id"])["refunded_amount"] == 0
    assert refunds_sent(services) == 0


def test_an_admin_refunds_part_of_a_ticket_and_it_stays_paid(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = refund(client, ticket, an_admin(), {"amount": 300})

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["refunded_amount"]) == ("paid", 300)
    assert get_ticket(client, ticket["id"])["refunded_amount"] == 300
    assert refunds_sent(services) == 1


def test_the_host_refunds_the_rest_after_an_admin_partial_refund(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    refund(client, ticket, an_admin(), {"amount": 300})

    response = refund(client, ticket, host)

    assert (response.json()["status"], response.json()["refunded_amount"]) == ("refunded", 999)
    assert sorted(r["amount"] for r in response.json()["refunds"]) == [300, 699]


def test_an_admin_may_not_refund_more_than_was_paid(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = refund(client, ticket, an_admin(), {"amount": 1000})

    assert_problem(response, 409, "invalid_ticket_state")
    assert refunds_sent(services) == 0


@pytest.mark.parametrize("body", [
    pytest.param({"amount": 0}, id="zero"),
    pytest.param({"amount": -300}, id="negative"),
    pytest.param({"amount": 3.0}, id="float"),
    pytest.param({"amount": "300"}, id="string"),
    pytest.param({"amount": 300, "note": "sorry"}, id="unknown field"),
])
def test_a_refund_refuses_an_invalid_amount(client, services, body):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = refund(client, ticket, an_admin(), body)

    assert_problem(response, 422, "validation")
    assert refunds_sent(services) == 0


def test_a_listener_may_not_refund_even_their_own_ticket(client, services):
    _, room = a_hosted_room(client)
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    with nothing_written(services):
        response = refund(client, ticket, listener)

    assert_problem(response, 403, "forbidden")
    assert get_ticket(client, ticket["id"])["status"] == "paid"


def test_another_creator_may_not_refund_a_ticket_and_nothing_is_written(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    other = a_host(client)

    with nothing_written(services):
        response = refund(client, ticket, other)

    assert_problem(response, 403, "forbidden")
    assert get_ticket(client, ticket["id"])["status"] == "paid"
    assert refunds_sent(services) == 0


def test_a_declined_ticket_has_nothing_to_refund(client, services):
    host, room = a_hosted_room(client)
    declined = buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD).json()

    with nothing_written(services):
        response = refund(client, {"id": declined["ticket_id"]}, host)

    assert_problem(response, 409, "invalid_ticket_state")


@pytest.mark.parametrize("ticket_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("t-1", id="non-uuid")])
def test_refunding_an_unknown_ticket_is_not_found(client, ticket_id):
    response = refund(client, {"id": ticket_id}, a_host(client))

    assert_problem(response, 404, "not_found")
