"""Hostile text is a 4xx problem that writes nothing: bytes that are not UTF-8, and the NUL character.

Found by fuzzing the running server (docs/fuzzing.md). A NUL (U+0000) is accepted by
SQLite but cannot be stored in a PostgreSQL text column: a room titled "a\\u0000b" was
accepted there, and then every projector batch failed on it, so every read waited out its
read-your-writes timeout. No field takes a NUL; it is refused before any parser runs.
"""

from __future__ import annotations

import pytest

from api.limits import json_carries_nul
from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    finance,
    nothing_written,
    room_body,
)
from tests.conftest import bearer

NOT_UTF8 = b'{"title": "\xff\xfe"}'


def test_a_body_that_is_not_utf8_is_malformed_json(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", content=NOT_UTF8,
                               headers={**host.headers, "content-type": "application/json"})

    assert_problem(response, 400, "malformed_json")


def test_a_body_that_is_not_utf8_is_malformed_json_on_a_route_with_a_path(client, services):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/reschedule", content=b"\x7f\xffn",
                               headers={**host.headers, "content-type": "application/json"})

    assert_problem(response, 400, "malformed_json")


def test_a_room_title_with_a_nul_is_refused(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", json=room_body(title="Jazz\u0000night"), headers=host.headers)

    body = assert_problem(response, 422, "validation")
    assert "NUL" in body["detail"]


def test_a_display_name_with_a_nul_is_refused(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/creators", json={"display_name": "Ada\u0000", "follower_count": 1000},
                               headers=host.headers)

    assert_problem(response, 422, "validation")


def test_a_tier_name_with_a_nul_is_refused(client, services):
    host, room = a_hosted_room(client)
    tier = {"name": "VIP\u0000", "price": {"amount": 1500, "currency": "USD"}, "capacity": 10}

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tiers", json=tier, headers=host.headers)

    assert_problem(response, 422, "validation")


def test_a_purchase_whose_body_carries_a_nul_is_refused(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", json={"code": "A\u0000"},
                               headers=a_listener().headers)

    assert_problem(response, 422, "validation")


def test_a_gift_to_a_user_id_with_a_nul_is_refused(client, services):
    _, room = a_hosted_room(client)
    holder = a_listener()
    ticket = a_paid_ticket(client, room["id"], holder)

    with nothing_written(services):
        response = client.post(f"/v1/tickets/{ticket['id']}/transfer", json={"to_user_id": "\u0000"},
                               headers=holder.headers)

    assert_problem(response, 422, "validation")


def test_a_cohost_whose_path_id_carries_a_nul_is_refused(client, services):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.put(f"/v1/rooms/{room['id']}/cohosts/ann%00", headers=host.headers)

    assert_problem(response, 422, "validation")


def test_a_media_event_with_a_nul_is_refused(client, services):
    _, room = a_hosted_room(client)
    event = {"type": "joined", "room_id": room["id"], "user_id": "u\u0000", "session_id": "s",
             "at": "2026-03-02T18:00:00Z"}

    with nothing_written(services):
        response = client.post("/v1/media/events", json={"events": [event]}, headers=bearer("media-1", "media"))

    assert_problem(response, 422, "validation")


@pytest.mark.parametrize("query", ["prefix=%00", "prefix=a%00b"])
def test_a_query_with_a_nul_is_refused(client, query):
    response = client.get(f"/v1/ledger/accounts?{query}", headers=finance().headers)

    assert_problem(response, 422, "validation")


def test_a_console_form_with_a_nul_is_refused(client, services):
    with nothing_written(services):
        response = client.post("/console/login", content=b"token=a%00b",
                               headers={"content-type": "application/x-www-form-urlencoded"})

    assert_problem(response, 422, "validation")


def test_only_an_unescaped_u0000_counts_as_a_nul():
    assert json_carries_nul(b'{"t": "a\\u0000"}')
    assert json_carries_nul(b'{"t": "\\\\\\u0000"}')  # an escaped backslash, then the NUL escape
    assert not json_carries_nul(b'{"t": "\\\\u0000"}')  # an escaped backslash, then the text u0000
    assert not json_carries_nul(b'{"t": "u0000"}')


@pytest.mark.parametrize("kind", ["cohosts", "speakers"])
def test_a_cast_member_whose_user_id_is_longer_than_any_user_id_is_refused(client, services, kind):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.put(f"/v1/rooms/{room['id']}/{kind}/{'x' * 201}", headers=host.headers)

    assert_problem(response, 422, "validation")
