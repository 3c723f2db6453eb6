"""Reading rooms over HTTP: one room (GET /v1/rooms/{id}), the list (GET /v1/rooms), and what a room
shows about its sales.
"""

from __future__ import annotations

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    a_room,
    assert_problem,
    get_room,
    in_the_future,
    random_uuid,
    rooms_of,
)


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


def test_a_room_is_not_shown_on_sale_after_its_sales_end(client, clock):
    host, room = a_hosted_room(client, sales_end=in_the_future(minutes=30))
    clock.advance(minutes=31)

    shown = get_room(client, room["id"])
    [listed] = rooms_of(client, host)

    assert shown["on_sale"] is False
    assert listed["on_sale"] is False
