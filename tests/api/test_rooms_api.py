"""Rooms over HTTP: open, read, list, change, start/end/cancel, and the cast (co-hosts, speakers)."""

from __future__ import annotations

import uuid

import pytest

from tests.api.builders import (
    a_creator_token,
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    a_room,
    an_admin,
    assert_problem,
    get_room,
    in_the_future,
    in_the_past,
    nothing_written,
    price,
    random_uuid,
    room_body,
    rooms_of,
    unique,
)

# --- POST /v1/rooms: the happy paths ---------------------------------------------------------


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


# --- GET /v1/rooms/{id} -------------------------------------------------------------------------


def test_any_signed_in_user_reads_a_room(client):
    _, room = a_hosted_room(client)

    response = client.get(f"/v1/rooms/{room['id']}", headers=a_listener().headers)

    assert response.status_code == 200, response.text
    assert response.json() == room


def test_a_room_shows_seats_sold_and_available(client):
    _, room = a_hosted_room(client, capacity=3)
    a_paid_ticket(client, room["id"])

    shown = get_room(client, room["id"])

    assert (shown["sold"], shown["held"], shown["available"]) == (1, 0, 2)


def test_reading_an_unknown_room_is_not_found(client):
    response = client.get(f"/v1/rooms/{random_uuid()}", headers=a_listener().headers)

    assert_problem(response, 404, "not_found")


def test_reading_a_room_by_a_non_uuid_id_is_not_found(client):
    response = client.get("/v1/rooms/not-a-uuid", headers=a_listener().headers)

    assert_problem(response, 404, "not_found")


def test_reading_a_room_by_a_ticket_id_is_not_found(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/rooms/{ticket['id']}", headers=a_listener().headers)

    assert_problem(response, 404, "not_found")


# --- GET /v1/rooms --------------------------------------------------------------------------------


def test_list_rooms_filters_by_host(client):
    host, other = a_host(client), a_host(client)
    mine = [a_room(client, host)["id"] for _ in range(2)]
    a_room(client, other)

    response = client.get("/v1/rooms", params={"host_id": host.sub}, headers=a_listener().headers)

    assert response.status_code == 200, response.text
    assert sorted(r["id"] for r in response.json()["items"]) == sorted(mine)
    assert {r["host_id"] for r in response.json()["items"]} == {host.sub}


def test_list_rooms_filters_by_state(client):
    host = a_host(client)
    scheduled = a_room(client, host)
    live = a_room(client, host)
    client.post(f"/v1/rooms/{live['id']}/start", headers=host.headers)

    response = client.get("/v1/rooms", params={"host_id": host.sub, "state": "live"}, headers=host.headers)

    assert [r["id"] for r in response.json()["items"]] == [live["id"]]
    assert response.json()["items"][0]["state"] == "live"
    assert [r["id"] for r in rooms_of(client, host, state="scheduled")] == [scheduled["id"]]
    assert rooms_of(client, host, state="cancelled") == []


def test_list_rooms_shows_a_cancelled_room_as_cancelled(client):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    listed = rooms_of(client, host, state="cancelled")

    assert [(r["id"], r["state"], r["on_sale"]) for r in listed] == [(room["id"], "cancelled", False)]
    assert rooms_of(client, host, state="scheduled") == []


def test_list_rooms_pages_newest_first_with_a_cursor(client, clock):
    host = a_host(client)
    opened = []
    for _ in range(5):
        opened.append(a_room(client, host)["id"])
        clock.advance(seconds=1)
    seen, cursor, pages = [], None, 0

    while True:
        params = {"host_id": host.sub, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/rooms", params=params, headers=host.headers).json()
        seen += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(opened))
    assert pages == 3


def test_list_rooms_pages_rooms_opened_at_the_same_instant_without_loss(client):
    host = a_host(client)
    opened = {a_room(client, host)["id"] for _ in range(5)}

    first = client.get("/v1/rooms", params={"host_id": host.sub, "limit": 3}, headers=host.headers).json()
    second = client.get("/v1/rooms", params={"host_id": host.sub, "limit": 3, "cursor": first["next_cursor"]},
                        headers=host.headers).json()

    ids = [r["id"] for r in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert set(ids) == opened
    assert second["next_cursor"] is None


def test_list_rooms_shows_sales_and_the_cast(client):
    host, room = a_hosted_room(client, capacity=10)
    a_paid_ticket(client, room["id"])
    client.put(f"/v1/rooms/{room['id']}/cohosts/cohost-1", headers=host.headers)
    client.put(f"/v1/rooms/{room['id']}/speakers/speaker-1", headers=host.headers)

    [listed] = rooms_of(client, host)

    assert (listed["sold"], listed["available"]) == (1, 9)
    assert listed["cohosts"] == ["cohost-1"]
    assert listed["speakers"] == ["speaker-1"]


def test_list_rooms_refuses_an_unknown_state(client):
    response = client.get("/v1/rooms", params={"state": "open"}, headers=a_listener().headers)

    assert_problem(response, 422, "validation")


@pytest.mark.parametrize("limit", [0, 201, "ten"])
def test_list_rooms_refuses_a_limit_out_of_range(client, limit):
    response = client.get("/v1/rooms", params={"limit": limit}, headers=a_listener().headers)

    assert_problem(response, 422, "validation")


def test_list_rooms_refuses_a_malformed_cursor(client):
    response = client.get("/v1/rooms", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=a_listener().headers)

    assert_problem(response, 422, "validation")


# --- PATCH /v1/rooms/{id} ---------------------------------------------------------------------------


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


# --- POST /v1/rooms/{id}/start|end|cancel ----------------------------------------------------------


def act(client, room, action, caller):
    return client.post(f"/v1/rooms/{room['id']}/{action}", headers=caller.headers)


def test_start_room_goes_live(client):
    host, room = a_hosted_room(client)

    response = act(client, room, "start", host)

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "live"
    assert response.json()["started_at"] == "2026-03-02T18:00:00Z"
    assert response.json()["on_sale"] is True


def test_end_room_ends_a_live_room_and_closes_sales(client):
    host, room = a_hosted_room(client)
    act(client, room, "start", host)

    response = act(client, room, "end", host)

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "ended"
    assert response.json()["on_sale"] is False
    assert response.json()["ended_at"] is not None


def test_cancel_room_cancels_a_scheduled_room(client):
    host, room = a_hosted_room(client)

    response = act(client, room, "cancel", host)

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"
    assert response.json()["on_sale"] is False
    assert response.json()["refunds"] == {"requested": 0, "succeeded": 0, "failed": 0}


def test_cancel_room_cancels_a_live_room(client):
    host, room = a_hosted_room(client)
    act(client, room, "start", host)

    response = act(client, room, "cancel", host)

    assert response.json()["state"] == "cancelled"


@pytest.mark.parametrize(("before", "action"), [
    pytest.param(["start"], "start", id="start a live room"),
    pytest.param([], "end", id="end a scheduled room"),
    pytest.param(["start", "end"], "start", id="start an ended room"),
    pytest.param(["start", "end"], "end", id="end an ended room"),
    pytest.param(["start", "end"], "cancel", id="cancel an ended room"),
    pytest.param(["cancel"], "start", id="start a cancelled room"),
    pytest.param(["cancel"], "end", id="end a cancelled room"),
])
def test_a_lifecycle_step_out_of_order_is_refused(client, services, before, action):
    host, room = a_hosted_room(client)
    for step in before:
        assert act(client, room, step, host).status_code == 200
    state = get_room(client, room["id"])

    with nothing_written(services):
        response = act(client, room, action, host)

    assert_problem(response, 409, "invalid_state")
    assert get_room(client, room["id"]) == state


@pytest.mark.parametrize("action", ["start", "end", "cancel"])
def test_another_creator_may_not_run_a_room_and_nothing_is_written(client, services, action):
    host, room = a_hosted_room(client)
    if action == "end":
        act(client, room, "start", host)
    other = a_host(client)
    state = get_room(client, room["id"])

    with nothing_written(services):
        response = act(client, room, action, other)

    assert_problem(response, 403, "forbidden")
    assert get_room(client, room["id"]) == state


def test_an_admin_may_start_end_and_cancel_any_room(client):
    host = a_host(client)
    ended, cancelled = a_room(client, host), a_room(client, host)
    admin = an_admin()

    started = act(client, ended, "start", admin)
    finished = act(client, ended, "end", admin)
    called_off = act(client, cancelled, "cancel", admin)

    assert (started.status_code, finished.status_code, called_off.status_code) == (200, 200, 200)
    assert finished.json()["state"] == "ended"
    assert called_off.json()["state"] == "cancelled"


@pytest.mark.parametrize("action", ["start", "end", "cancel"])
@pytest.mark.parametrize("room_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("room-1", id="non-uuid")])
def test_running_an_unknown_room_is_not_found(client, action, room_id):
    host = a_host(client)

    response = client.post(f"/v1/rooms/{room_id}/{action}", headers=host.headers)

    assert_problem(response, 404, "not_found")


# --- PUT/DELETE /v1/rooms/{id}/cohosts|speakers/{user} ------------------------------------------------


def cast(client, method, room, kind, user, caller):
    return client.request(method, f"/v1/rooms/{room['id']}/{kind}/{user}", headers=caller.headers)


def test_the_host_adds_a_cohost(client):
    host, room = a_hosted_room(client)

    response = cast(client, "PUT", room, "cohosts", "cohost-ann", host)

    assert response.status_code == 200, response.text
    assert response.json()["cohosts"] == ["cohost-ann"]


def test_adding_the_same_cohost_again_changes_nothing(client, services):
    host, room = a_hosted_room(client)
    cast(client, "PUT", room, "cohosts", "cohost-ann", host)

    with nothing_written(services):
        response = cast(client, "PUT", room, "cohosts", "cohost-ann", host)

    assert response.json()["cohosts"] == ["cohost-ann"]


def test_a_third_cohost_is_refused(client, services):
    host, room = a_hosted_room(client)
    cast(client, "PUT", room, "cohosts", "cohost-1", host)
    cast(client, "PUT", room, "cohosts", "cohost-2", host)

    with nothing_written(services):
        response = cast(client, "PUT", room, "cohosts", "cohost-3", host)

    assert_problem(response, 409, "too_many_cohosts")
    assert get_room(client, room["id"])["cohosts"] == ["cohost-1", "cohost-2"]


def test_the_host_removes_a_cohost(client):
    host, room = a_hosted_room(client)
    cast(client, "PUT", room, "cohosts", "cohost-1", host)

    response = cast(client, "DELETE", room, "cohosts", "cohost-1", host)

    assert response.status_code == 200, response.text
    assert response.json()["cohosts"] == []
    assert rooms_of(client, host)[0]["cohosts"] == []


def test_removing_someone_who_is_not_a_cohost_changes_nothing(client, services):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = cast(client, "DELETE", room, "cohosts", "nobody", host)

    assert response.status_code == 200, response.text


def test_the_host_cannot_be_their_own_cohost(client, services):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = cast(client, "PUT", room, "cohosts", host.sub, host)

    assert_problem(response, 409, "conflict")


def test_the_host_adds_a_speaker(client):
    host, room = a_hosted_room(client)

    response = cast(client, "PUT", room, "speakers", "speaker-1", host)

    assert response.status_code == 200, response.text
    assert response.json()["speakers"] == ["speaker-1"]


def test_an_eleventh_speaker_is_refused(client, services):
    host, room = a_hosted_room(client)
    for n in range(10):
        assert cast(client, "PUT", room, "speakers", f"speaker-{n}", host).status_code == 200

    with nothing_written(services):
        response = cast(client, "PUT", room, "speakers", "speaker-10", host)

    assert_problem(response, 409, "too_many_speakers")
    assert len(get_room(client, room["id"])["speakers"]) == 10


def test_the_host_removes_a_speaker(client):
    host, room = a_hosted_room(client)
    cast(client, "PUT", room, "speakers", "speaker-1", host)

    response = cast(client, "DELETE", room, "speakers", "speaker-1", host)

    assert response.json()["speakers"] == []


def test_making_a_speaker_a_cohost_moves_them(client):
    host, room = a_hosted_room(client)
    cast(client, "PUT", room, "speakers", "ann", host)

    response = cast(client, "PUT", room, "cohosts", "ann", host)

    assert (response.json()["cohosts"], response.json()["speakers"]) == (["ann"], [])
    [listed] = rooms_of(client, host)
    assert (listed["cohosts"], listed["speakers"]) == (["ann"], [])


def test_a_cohost_cannot_also_be_a_speaker(client, services):
    host, room = a_hosted_room(client)
    cast(client, "PUT", room, "cohosts", "ann", host)

    with nothing_written(services):
        response = cast(client, "PUT", room, "speakers", "ann", host)

    assert_problem(response, 409, "conflict")


@pytest.mark.parametrize("kind", ["cohosts", "speakers"])
def test_the_cast_of_an_ended_room_cannot_grow(client, services, kind):
    host, room = a_hosted_room(client)
    act(client, room, "start", host)
    act(client, room, "end", host)

    with nothing_written(services):
        response = cast(client, "PUT", room, kind, "latecomer", host)

    assert_problem(response, 409, "invalid_state")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("kind", ["cohosts", "speakers"])
def test_another_creator_may_not_change_the_cast_and_nothing_is_written(client, services, method, kind):
    host, room = a_hosted_room(client)
    cast(client, "PUT", room, kind, "ann", host)
    other = a_host(client)
    state = get_room(client, room["id"])

    with nothing_written(services):
        response = cast(client, method, room, kind, "ann" if method == "DELETE" else "bob", other)

    assert_problem(response, 403, "forbidden")
    assert get_room(client, room["id"]) == state


@pytest.mark.parametrize("kind", ["cohosts", "speakers"])
def test_an_admin_may_change_the_cast_of_any_room(client, kind):
    _, room = a_hosted_room(client)
    admin = an_admin()

    added = cast(client, "PUT", room, kind, "ann", admin)
    removed = cast(client, "DELETE", room, kind, "ann", admin)

    assert added.json()[kind] == ["ann"]
    assert removed.json()[kind] == []


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("kind", ["cohosts", "speakers"])
@pytest.mark.parametrize("room_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("room-1", id="non-uuid")])
def test_changing_the_cast_of_an_unknown_room_is_not_found(client, method, kind, room_id):
    host = a_host(client)

    response = client.request(method, f"/v1/rooms/{room_id}/{kind}/{unique('user')}", headers=host.headers)

    assert_problem(response, 404, "not_found")


# --- what a room shows about its sales --------------------------------------------------------------


def test_a_room_is_not_shown_on_sale_after_its_sales_end(client, clock):
    host, room = a_hosted_room(client, sales_end=in_the_future(minutes=30))
    clock.advance(minutes=31)

    shown = get_room(client, room["id"])
    [listed] = rooms_of(client, host)

    assert shown["on_sale"] is False
    assert listed["on_sale"] is False
