"""Opening a room over HTTP (POST /v1/rooms): the happy paths, and refused input that writes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.api.builders import (
    a_creator_token,
    a_host,
    a_hosted_room,
    a_listener,
    a_room,
    assert_problem,
    get_room,
    in_the_future,
    in_the_past,
    nothing_written,
    price,
    room_body,
    rooms_of,
)


def test_open_room_answers_201_with_a_scheduled_room(client):
    host = a_host(client)

    response = client.post("/v1/rooms", json=room_body(title="Jazz", ticket_price=price(1500), capacity=50),
                           headers=host.headers)

    assert response.status_code == 201, response.text
    room = response.json()
    uuid.UUID(room["id"])
    assert room["state"] == "scheduled"
    assert room["host_id"] == host.sub
    assert room["title"] == "Jazz"
    assert room["ticket_price"] == {"amount": 1500, "currency": "USD"}
    assert room["capacity"] == 50
    assert room["sold"] == 0
    assert room["available"] == 50
    assert room["on_sale"] is True
    assert room["cohosts"] == [] and room["speakers"] == []


def test_open_room_without_a_start_starts_now(client):
    host = a_host(client)

    room = a_room(client, host)

    assert room["scheduled_start"] == "2026-03-02T18:00:00Z"


def test_open_room_keeps_a_start_in_the_future(client):
    host = a_host(client)

    room = a_room(client, host, scheduled_start=in_the_future(days=3))

    assert room["scheduled_start"] == "2026-03-05T18:00:00Z"


def test_open_room_accepts_a_start_14_days_ahead(client):
    host = a_host(client)

    room = a_room(client, host, scheduled_start=in_the_future(days=14))

    assert room["scheduled_start"] == "2026-03-16T18:00:00Z"


def test_open_room_takes_a_start_less_than_a_minute_ago_as_now(client):
    host = a_host(client)

    room = a_room(client, host, scheduled_start=in_the_past(seconds=30))

    assert room["scheduled_start"] == "2026-03-02T18:00:00Z"


def test_open_room_normalises_a_start_with_an_offset_to_utc(client):
    host = a_host(client)

    room = a_room(client, host, scheduled_start="2026-03-03T10:00:00+02:00", sales_end="2026-03-03T09:00:00+02:00")

    assert room["scheduled_start"] == "2026-03-03T08:00:00Z"
    assert room["sales_end"] == "2026-03-03T07:00:00Z"
    assert get_room(client, room["id"]) == rooms_of(client, host)[0]


def test_open_room_normalises_a_lowercase_currency(client):
    host = a_host(client)

    room = a_room(client, host, ticket_price=price(999, "usd"))

    assert room["ticket_price"] == {"amount": 999, "currency": "USD"}


@pytest.mark.parametrize("amount", [pytest.param(100, id="1.00"), pytest.param(99_900, id="999.00")])
def test_open_room_accepts_the_price_bounds(client, amount):
    host = a_host(client)

    room = a_room(client, host, ticket_price=price(amount))

    assert room["ticket_price"]["amount"] == amount


def test_open_room_accepts_the_maximum_capacity(client):
    host = a_host(client)

    room = a_room(client, host, capacity=100_000)

    assert room["capacity"] == 100_000


def test_open_room_with_a_sales_end_shows_it(client):
    host = a_host(client)

    room = a_room(client, host, sales_end=in_the_future(hours=2))

    assert room["sales_end"] == "2026-03-02T20:00:00Z"


def test_open_room_twice_with_the_same_idempotency_key_opens_one_room(client, services):
    host = a_host(client)
    headers = {**host.headers, "Idempotency-Key": "open-jazz-night"}
    first = client.post("/v1/rooms", json=room_body(), headers=headers)

    with nothing_written(services):
        again = client.post("/v1/rooms", json=room_body(), headers=headers)

    assert again.status_code in (200, 201), again.text
    assert again.json()["id"] == first.json()["id"]
    assert len(rooms_of(client, host)) == 1


# --- POST /v1/rooms: refused input, nothing written ---------------------------------------------


def assert_open_room_refused(client, services, body, status: int, type_: str):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", json=body, headers=host.headers)

    problem = assert_problem(response, status, type_)
    assert rooms_of(client, host) == []
    return problem


@pytest.mark.parametrize("amount", [
    pytest.param(0, id="zero"),
    pytest.param(-100, id="negative"),
    pytest.param(99, id="99 cents, below 1.00"),
    pytest.param(99_901, id="999.01, above 999.00"),
])
def test_open_room_refuses_a_price_outside_one_to_999_dollars(client, services, amount):
    assert_open_room_refused(client, services, room_body(ticket_price=price(amount)), 422, "invalid_price")


@pytest.mark.parametrize("amount", [
    pytest.param(9.99, id="float 9.99"),
    pytest.param(999.0, id="float 999.0"),
    pytest.param("999", id="string"),
    pytest.param(True, id="boolean"),
    pytest.param(None, id="null"),
])
def test_open_room_refuses_a_price_not_in_integer_minor_units(client, services, amount):
    assert_open_room_refused(client, services, room_body(ticket_price=price(amount)), 422, "invalid_price")


@pytest.mark.parametrize("currency", [
    pytest.param("XYZ", id="unknown code"),
    pytest.param("US", id="two letters"),
    pytest.param("US1", id="a digit"),
    pytest.param("", id="empty"),
])
def test_open_room_refuses_an_unknown_currency(client, services, currency):
    assert_open_room_refused(client, services, room_body(ticket_price=price(999, currency)), 422, "invalid_price")


def test_open_room_refuses_an_unknown_field_in_the_price(client, services):
    body = room_body(ticket_price={**price(), "tax_included": True})

    assert_open_room_refused(client, services, body, 422, "invalid_price")


@pytest.mark.parametrize("capacity", [
    pytest.param(0, id="zero"),
    pytest.param(-1, id="negative"),
    pytest.param(10.5, id="float"),
    pytest.param(10.0, id="integral float"),
    pytest.param("10", id="string"),
    pytest.param(100_001, id="above the 100000 maximum"),
])
def test_open_room_refuses_an_invalid_capacity(client, services, capacity):
    assert_open_room_refused(client, services, room_body(capacity=capacity), 422, "invalid_capacity")


@pytest.mark.parametrize("start", [
    pytest.param(in_the_past(minutes=2), id="two minutes ago"),
    pytest.param(in_the_past(days=1), id="yesterday"),
    pytest.param(in_the_future(days=14, seconds=1), id="more than 14 days ahead"),
    pytest.param("2026-03-03T18:00:00", id="naive, without an offset"),
    pytest.param("next tuesday", id="not a datetime"),
])
def test_open_room_refuses_an_invalid_scheduled_start(client, services, start):
    assert_open_room_refused(client, services, room_body(scheduled_start=start), 422, "invalid_schedule")


@pytest.mark.parametrize("sales_end", [
    pytest.param(in_the_past(minutes=5), id="in the past"),
    pytest.param(in_the_past(seconds=0), id="now"),
    pytest.param("2026-03-03T18:00:00", id="naive, without an offset"),
])
def test_open_room_refuses_an_invalid_sales_end(client, services, sales_end):
    assert_open_room_refused(client, services, room_body(sales_end=sales_end), 422, "invalid_schedule")


@pytest.mark.parametrize("title", [
    pytest.param("", id="empty"),
    pytest.param("    ", id="blank"),
    pytest.param("x" * 201, id="over 200 characters"),
    pytest.param(None, id="null"),
])
def test_open_room_refuses_an_invalid_title(client, services, title):
    assert_open_room_refused(client, services, room_body(title=title), 422, "validation")


def test_open_room_refuses_an_unknown_field(client, services):
    assert_open_room_refused(client, services, room_body(state="live"), 422, "validation")


def test_open_room_refuses_a_body_missing_the_capacity(client, services):
    body = room_body()
    del body["capacity"]

    assert_open_room_refused(client, services, body, 422, "invalid_capacity")


def test_open_room_refuses_malformed_json(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", content=b'{"title": "Jazz", ',
                               headers={**host.headers, "Content-Type": "application/json"})

    assert_problem(response, 400, "malformed_json")
    assert rooms_of(client, host) == []


def test_open_room_refuses_a_creator_below_600_followers(client, services):
    host = a_host(client, followers=599)

    with nothing_written(services):
        response = client.post("/v1/rooms", json=room_body(), headers=host.headers)

    assert_problem(response, 403, "not_eligible")
    assert rooms_of(client, host) == []


def test_open_room_refuses_an_unregistered_creator(client, services):
    stranger = a_creator_token()

    with nothing_written(services):
        response = client.post("/v1/rooms", json=room_body(), headers=stranger.headers)

    assert_problem(response, 403, "not_eligible")
    assert rooms_of(client, stranger) == []


def test_a_creator_who_drops_below_600_followers_may_not_open_another_room(client, services):
    host, _ = a_hosted_room(client)
    client.post("/v1/creators", json={"display_name": "Ada", "follower_count": 400}, headers=host.headers)

    with nothing_written(services):
        response = client.post("/v1/rooms", json=room_body(), headers=host.headers)

    assert_problem(response, 403, "not_eligible")
    assert len(rooms_of(client, host)) == 1


def test_open_room_needs_the_creator_role(client, services):
    listener = a_listener()

    with nothing_written(services):
        response = client.post("/v1/rooms", json=room_body(), headers=listener.headers)

    assert_problem(response, 403, "forbidden")
