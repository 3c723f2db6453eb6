"""Changing a room over HTTP (PATCH /v1/rooms/{id}): title, price, capacity, sales end; who may."""

from __future__ import annotations

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_paid_ticket,
    an_admin,
    assert_problem,
    get_room,
    in_the_future,
    in_the_past,
    nothing_written,
    price,
    random_uuid,
    rooms_of,
)


def patch(client, room, caller, body):
    return client.patch(f"/v1/rooms/{room['id']}", json=body, headers=caller.headers)


def test_change_room_retitles_it(client):
    host, room = a_hosted_room(client)

    response = patch(client, room, host, {"title": "  Early jazz  "})

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Early jazz"
    assert rooms_of(client, host)[0]["title"] == "Early jazz"


def test_change_room_changes_the_price(client):
    host, room = a_hosted_room(client)

    response = patch(client, room, host, {"ticket_price": price(2500, "eur")})

    assert response.json()["ticket_price"] == {"amount": 2500, "currency": "EUR"}


def test_change_room_raises_the_capacity(client):
    host, room = a_hosted_room(client, capacity=10)

    response = patch(client, room, host, {"capacity": 20})

    assert response.json()["capacity"] == 20
    assert response.json()["available"] == 20


def test_change_room_lowers_the_capacity_to_exactly_the_tickets_sold(client):
    host, room = a_hosted_room(client, capacity=10)
    a_paid_ticket(client, room["id"])
    a_paid_ticket(client, room["id"])

    response = patch(client, room, host, {"capacity": 2})

    assert response.status_code == 200, response.text
    assert (response.json()["capacity"], response.json()["available"]) == (2, 0)


def test_change_room_refuses_a_capacity_below_tickets_sold(client, services):
    host, room = a_hosted_room(client, capacity=10)
    a_paid_ticket(client, room["id"])
    a_paid_ticket(client, room["id"])
    before = get_room(client, room["id"])

    with nothing_written(services):
        response = patch(client, room, host, {"capacity": 1, "title": "Smaller"})

    assert_problem(response, 422, "invalid_capacity")
    assert get_room(client, room["id"]) == before


def test_change_room_sets_and_clears_the_sales_end(client):
    host, room = a_hosted_room(client)

    set_ = patch(client, room, host, {"sales_end": in_the_future(hours=1)})
    cleared = patch(client, room, host, {"sales_end": None})

    assert set_.json()["sales_end"] == "2026-03-02T19:00:00Z"
    assert cleared.json()["sales_end"] is None


@pytest.mark.parametrize(("body", "type_"), [
    pytest.param({"ticket_price": price(0)}, "invalid_price", id="price zero"),
    pytest.param({"ticket_price": price(-100)}, "invalid_price", id="price negative"),
    pytest.param({"ticket_price": price(99)}, "invalid_price", id="price 99 cents"),
    pytest.param({"ticket_price": price(99_901)}, "invalid_price", id="price above 999.00"),
    pytest.param({"ticket_price": price(9.99)}, "invalid_price", id="price float"),
    pytest.param({"ticket_price": price("999")}, "invalid_price", id="price string"),
    pytest.param({"ticket_price": price(999, "XYZ")}, "invalid_price", id="currency unknown"),
    pytest.param({"ticket_price": None}, "validation", id="price null"),
    pytest.param({"capacity": 0}, "invalid_capacity", id="capacity zero"),
    pytest.param({"capacity": -1}, "invalid_capacity", id="capacity negative"),
    pytest.param({"capacity": 1.5}, "invalid_capacity", id="capacity float"),
    pytest.param({"capacity": 100_001}, "invalid_capacity", id="capacity above maximum"),
    pytest.param({"capacity": None}, "validation", id="capacity null"),
    pytest.param({"sales_end": in_the_past(minutes=1)}, "invalid_schedule", id="sales end in the past"),
    pytest.param({"sales_end": "2026-03-03T18:00:00"}, "invalid_schedule", id="sales end naive"),
    pytest.param({"title": ""}, "validation", id="title empty"),
    pytest.param({"title": None}, "validation", id="title null"),
    pytest.param({"title": "Jazz", "state": "live"}, "validation", id="unknown field"),
    pytest.param({}, "validation", id="empty body"),
])
def test_change_room_refuses_invalid_changes_and_writes_nothing(client, services, body, type_):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = patch(client, room, host, body)

    assert_problem(response, 422, type_)
    assert get_room(client, room["id"]) == room


def test_change_room_refuses_malformed_json(client, services):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.patch(f"/v1/rooms/{room['id']}", content=b'{"title": ',
                                headers={**host.headers, "Content-Type": "application/json"})

    assert_problem(response, 400, "malformed_json")


def test_another_creator_may_not_change_a_room_and_nothing_is_written(client, services):
    _, room = a_hosted_room(client)
    other = a_host(client)

    with nothing_written(services):
        response = patch(client, room, other, {"title": "Mine now", "capacity": 1})

    assert_problem(response, 403, "forbidden")
    assert get_room(client, room["id"]) == room


def test_an_admin_may_change_any_room(client):
    _, room = a_hosted_room(client)

    response = patch(client, room, an_admin(), {"title": "Moderated title"})

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Moderated title"


def test_a_cancelled_room_cannot_be_changed(client, services):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    with nothing_written(services):
        response = patch(client, room, host, {"title": "Back again"})

    assert_problem(response, 409, "invalid_state")


@pytest.mark.parametrize("room_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("room-1", id="non-uuid")])
def test_changing_an_unknown_room_is_not_found(client, room_id):
    host = a_host(client)

    response = client.patch(f"/v1/rooms/{room_id}", json={"title": "x"}, headers=host.headers)

    assert_problem(response, 404, "not_found")
