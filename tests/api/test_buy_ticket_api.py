"""Buying a ticket over HTTP (POST /v1/rooms/{id}/tickets): seats, idempotency, sales windows, declines,
refused input.
"""

from __future__ import annotations

import uuid

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    buy,
    get_room,
    get_ticket,
    in_the_future,
    nothing_written,
    payments_started,
    price,
    random_uuid,
)
from tests.api.ticket_actions import DECLINING_CARD


def test_buy_ticket_answers_201_with_a_paid_ticket(client):
    _, room = a_hosted_room(client, ticket_price=price(1500))
    listener = a_listener()

    response = buy(client, room["id"], listener)

    assert response.status_code == 201, response.text
    ticket = response.json()
    uuid.UUID(ticket["id"])
    assert ticket["room_id"] == room["id"]
    assert ticket["holder_id"] == listener.sub
    assert ticket["status"] == "paid"
    assert ticket["price"] == {"amount": 1500, "currency": "USD"}
    assert ticket["payment"]["provider"] == "sandbox"
    assert response.headers["Location"] == f"/v1/tickets/{ticket['id']}"
    assert "Idempotent-Replayed" not in response.headers


def test_buying_a_ticket_takes_a_seat(client):
    _, room = a_hosted_room(client, capacity=5)

    a_paid_ticket(client, room["id"])

    shown = get_room(client, room["id"])
    assert (shown["sold"], shown["available"]) == (1, 4)


def test_buying_again_with_the_same_idempotency_key_returns_the_same_ticket(client, services):
    _, room = a_hosted_room(client)
    listener = a_listener()
    first = buy(client, room["id"], listener, key="checkout-1")

    with nothing_written(services):
        again = buy(client, room["id"], listener, key="checkout-1")

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "paid"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert payments_started(services) == 1
    assert get_room(client, room["id"])["sold"] == 1


def test_a_replayed_purchase_returns_its_ticket_even_after_the_room_sold_out(client):
    _, room = a_hosted_room(client, capacity=1)
    listener = a_listener()
    first = buy(client, room["id"], listener, key="checkout-1")

    again = buy(client, room["id"], listener, key="checkout-1")

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]


def test_an_idempotency_key_over_255_characters_is_refused(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener(), key="k" * 256)

    assert_problem(response, 422, "validation")


def test_buying_twice_as_the_same_listener_is_refused(client, services):
    _, room = a_hosted_room(client)
    listener = a_listener()
    first = a_paid_ticket(client, room["id"], listener)

    with nothing_written(services):
        response = buy(client, room["id"], listener)

    problem = assert_problem(response, 409, "already_has_ticket")
    assert problem["ticket_id"] == first["id"]
    assert get_room(client, room["id"])["sold"] == 1


def test_buying_twice_with_a_new_idempotency_key_is_refused(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    buy(client, room["id"], listener, key="checkout-1")

    response = buy(client, room["id"], listener, key="checkout-2")

    assert_problem(response, 409, "already_has_ticket")


def test_buying_to_the_cap_then_the_room_is_sold_out(client, services):
    _, room = a_hosted_room(client, capacity=2)
    a_paid_ticket(client, room["id"])
    a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "sold_out")
    shown = get_room(client, room["id"])
    assert (shown["sold"], shown["available"]) == (2, 0)


def test_buying_after_the_room_ended_is_not_on_sale(client, services):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers)
    client.post(f"/v1/rooms/{room['id']}/end", headers=host.headers)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_buying_after_the_room_was_cancelled_is_not_on_sale(client, services):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_buying_during_the_live_room_succeeds(client):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers)

    response = buy(client, room["id"], a_listener())

    assert response.status_code == 201, response.text


def test_buying_after_sales_end_is_not_on_sale(client, services, clock):
    _, room = a_hosted_room(client, sales_end=in_the_future(hours=1))
    clock.advance(hours=1, seconds=1)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_buying_just_before_sales_end_succeeds(client, clock):
    _, room = a_hosted_room(client, sales_end=in_the_future(hours=1))
    clock.advance(minutes=59)

    response = buy(client, room["id"], a_listener())

    assert response.status_code == 201, response.text


def test_buying_after_a_sales_end_moved_into_the_past_is_not_on_sale(client, clock):
    host, room = a_hosted_room(client)
    client.patch(f"/v1/rooms/{room['id']}", json={"sales_end": in_the_future(minutes=10)}, headers=host.headers)
    clock.advance(minutes=11)

    response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_raising_the_capacity_of_a_sold_out_room_puts_seats_on_sale_again(client):
    host, room = a_hosted_room(client, capacity=1)
    a_paid_ticket(client, room["id"])
    client.patch(f"/v1/rooms/{room['id']}", json={"capacity": 2}, headers=host.headers)

    response = buy(client, room["id"], a_listener())

    assert response.status_code == 201, response.text
    assert get_room(client, room["id"])["sold"] == 2


def test_a_price_change_applies_to_later_sales_only(client):
    host, room = a_hosted_room(client, ticket_price=price(999))
    early = a_paid_ticket(client, room["id"])

    client.patch(f"/v1/rooms/{room['id']}", json={"ticket_price": price(2500)}, headers=host.headers)
    late = a_paid_ticket(client, room["id"])

    assert late["price"] == {"amount": 2500, "currency": "USD"}
    assert early["price"] == {"amount": 999, "currency": "USD"}
    assert get_ticket(client, early["id"])["price"] == {"amount": 999, "currency": "USD"}


def test_a_declined_payment_is_402_and_the_seat_is_sellable_again(client):
    _, room = a_hosted_room(client, capacity=1)

    declined = buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD)

    problem = assert_problem(declined, 402, "payment_declined")
    assert problem["decline_code"] == "card_declined"
    assert get_ticket(client, problem["ticket_id"])["status"] == "released"
    shown = get_room(client, room["id"])
    assert (shown["sold"], shown["held"], shown["available"]) == (0, 0, 1)
    assert buy(client, room["id"], a_listener()).status_code == 201


def test_a_listener_whose_payment_was_declined_may_buy_again(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    buy(client, room["id"], listener, payment_method=DECLINING_CARD)

    response = buy(client, room["id"], listener, payment_method="pm_card_visa")

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "paid"


def test_replaying_a_declined_purchase_with_its_idempotency_key_is_declined_again(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    first = buy(client, room["id"], listener, key="checkout-1", payment_method=DECLINING_CARD)

    again = buy(client, room["id"], listener, key="checkout-1", payment_method=DECLINING_CARD)

    assert_problem(first, 402, "payment_declined")
    assert_problem(again, 402, "payment_declined")


def test_buying_needs_the_listener_role(client, services):
    _, room = a_hosted_room(client)
    creator = a_host(client)

    with nothing_written(services):
        response = buy(client, room["id"], creator)

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("room_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("room-1", id="non-uuid")])
def test_buying_for_an_unknown_room_is_not_found(client, services, room_id):
    with nothing_written(services):
        response = buy(client, room_id, a_listener())

    assert_problem(response, 404, "not_found")


def test_buying_refuses_an_unknown_field(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", json={"seat": "A1"}, headers=a_listener().headers)

    assert_problem(response, 422, "validation")
    assert get_room(client, room["id"])["sold"] == 0


def test_buying_refuses_malformed_json(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", content=b'{"payment_method": ',
                               headers={**a_listener().headers, "Content-Type": "application/json"})

    assert_problem(response, 400, "malformed_json")
    assert get_room(client, room["id"])["sold"] == 0


def test_buying_refuses_a_body_that_is_not_json(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", content=b"payment_method=pm_card_visa",
                               headers={**a_listener().headers, "Content-Type": "application/x-www-form-urlencoded"})

    assert_problem(response, 422, "validation")


@pytest.mark.parametrize("content", [b"null", b"{}", b'{"payment_method": null}'])
def test_an_empty_json_body_buys_as_no_body_does(client, content):
    _, room = a_hosted_room(client)

    response = client.post(f"/v1/rooms/{room['id']}/tickets", content=content,
                           headers={**a_listener().headers, "Content-Type": "application/json; charset=utf-8"})

    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/tickets/{response.json()['id']}"


def test_the_purchase_stays_documented_in_openapi(client):
    operation = client.get("/openapi.json").json()["paths"]["/v1/rooms/{room_id}/tickets"]["post"]

    assert "201" in operation["responses"]
    assert any(p["name"] == "idempotency-key" for p in operation["parameters"])
