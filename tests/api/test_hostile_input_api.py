"""Hostile input is a 4xx problem that writes nothing, never a 500 (issue 12, item 11)."""

from __future__ import annotations

import base64
import uuid

import pytest
from fastapi.testclient import TestClient

from api.limits import json_depth_exceeds
from api.main import create_app
from tests.conftest import bearer
from tests.api.builders import (
    a_hosted_room,
    a_listener,
    assert_problem,
    finance,
    nothing_written,
    room_body,
    a_host,
)

NOT_IN_UTC = "9999-12-31T23:59:59-01:00"  # the year 10000 in UTC


def cursor_of(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


HOSTILE_CURSORS = {
    "superscript two": cursor_of("²", str(uuid.uuid4())),
    "forty digits": cursor_of("9" * 40, str(uuid.uuid4())),
    "just beyond a bigint": cursor_of(str(2**63), str(uuid.uuid4())),
    "negative": cursor_of("-5", str(uuid.uuid4())),
    "not base64": "¤¤¤",
}


@pytest.mark.parametrize("path", ["/v1/rooms", "/v1/me/tickets", "/v1/rooms/{room}/buyers", "/v1/ledger/entries"])
@pytest.mark.parametrize("kind", HOSTILE_CURSORS)
def test_a_hostile_cursor_is_a_validation_problem(client, path, kind):
    host, room = a_hosted_room(client)
    caller = host if "buyers" in path else finance()

    response = client.get(path.format(room=room["id"]), params={"cursor": HOSTILE_CURSORS[kind]},
                          headers=caller.headers)

    assert_problem(response, 422, "validation")


@pytest.mark.parametrize("since", [str(10**20), str(2**63), "-1", "1e3"])
def test_a_revocation_feed_since_beyond_any_position_is_a_validation_problem(client, since):
    _, room = a_hosted_room(client)

    response = client.get(f"/v1/rooms/{room['id']}/revocations", params={"since": since},
                          headers=bearer("media-1", "media"))

    assert_problem(response, 422, "validation")


def test_a_sales_end_beyond_utc_is_refused_when_opening_a_room(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", json=room_body(sales_end=NOT_IN_UTC), headers=host.headers)

    body = assert_problem(response, 400, "invalid_datetime")
    assert "sales_end" in body["detail"]


def test_a_scheduled_start_beyond_utc_is_refused_when_opening_a_room(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", json=room_body(scheduled_start=NOT_IN_UTC), headers=host.headers)

    assert_problem(response, 400, "invalid_datetime")


def test_a_sales_end_beyond_utc_is_refused_when_changing_a_room(client, services):
    host, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.patch(f"/v1/rooms/{room['id']}", json={"sales_end": NOT_IN_UTC}, headers=host.headers)

    assert_problem(response, 400, "invalid_datetime")


@pytest.mark.parametrize("path", ["/v1/ledger/entries?from={x}", "/v1/ledger/accounts?as_of={x}",
                                  "/v1/reports/revenue?by=room&to={x}"])
def test_a_query_date_beyond_utc_is_refused(client, path):
    response = client.get(path.format(x=NOT_IN_UTC.replace("+", "%2B")), headers=finance().headers)

    assert_problem(response, 400, "invalid_datetime")


def test_a_deeply_nested_body_on_the_purchase_route_is_malformed_json(client, services):
    _, room = a_hosted_room(client)
    nested = b"[" * 100_000 + b"]" * 100_000

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", content=nested,
                               headers={**a_listener().headers, "content-type": "application/json"})

    assert_problem(response, 400, "malformed_json")


def test_a_deeply_nested_body_on_a_fastapi_route_is_malformed_json(client, services):
    host = a_host(client)
    nested = b'{"title": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}"

    with nothing_written(services):
        response = client.post("/v1/rooms", content=nested, headers={**host.headers, "content-type": "application/json"})

    assert_problem(response, 400, "malformed_json")


def test_a_modestly_nested_body_is_still_read(client):
    _, room = a_hosted_room(client)

    response = client.post(f"/v1/rooms/{room['id']}/tickets", json={"payment_method": "pm_card_visa"},
                           headers=a_listener().headers)

    assert response.status_code == 201, response.text


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert not json_depth_exceeds(b'{"title": "' + b"[" * 500 + b'"}')
    assert not json_depth_exceeds(b'{"t": "\\"' + b"[" * 500 + b'"}')
    assert json_depth_exceeds(b"[" * 65 + b"]" * 65)
    assert not json_depth_exceeds(b"[" * 64 + b"]" * 64)


def test_a_body_over_the_limit_is_a_413_problem_and_writes_nothing(client, services):
    host = a_host(client)
    body = room_body(title="x" * (1024 * 1024))

    with nothing_written(services):
        response = client.post("/v1/rooms", json=body, headers=host.headers)

    assert_problem(response, 413, "payload_too_large")


def test_a_streamed_body_over_the_limit_is_a_413_problem(client, services):
    _, room = a_hosted_room(client)

    def chunks():
        for _ in range(2048):
            yield b" " * 1024

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", content=chunks(),
                               headers={**a_listener().headers, "content-type": "application/json"})

    assert_problem(response, 413, "payload_too_large")


def test_the_body_limit_is_a_setting(make_services, sqlite_url):
    services = make_services(sqlite_url, max_body_bytes=2048)
    with TestClient(create_app(services), raise_server_exceptions=False) as http:
        host = a_host(http)
        small = http.post("/v1/rooms", json=room_body(title="x" * 100), headers=host.headers)
        large = http.post("/v1/rooms", json=room_body(title="x" * 3000), headers=host.headers)

    assert small.status_code == 201, small.text
    assert_problem(large, 413, "payload_too_large")


# --- the class, not the instances: generated hostile values never reach a 500 ----------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(cursor=st.one_of(st.text(max_size=60), st.builds(lambda a, b: cursor_of(a, b), st.text(max_size=45),
                                                       st.text(max_size=40))))
def test_no_cursor_is_a_500(client, cursor):
    for path in ("/v1/rooms", "/v1/me/tickets", "/v1/ledger/entries"):
        response = client.get(path, params={"cursor": cursor}, headers=finance().headers)
        assert response.status_code < 500, (path, cursor, response.text)


@FUZZ
@given(since=st.one_of(st.integers(), st.text(max_size=30)))
def test_no_since_is_a_500(client, since):
    response = client.get(f"/v1/rooms/{uuid.uuid4()}/revocations", params={"since": since},
                          headers=bearer("media-1", "media"))
    assert response.status_code < 500, (since, response.text)


@FUZZ
@given(at=st.datetimes(timezones=st.timezones()) | st.text(max_size=40))
def test_no_date_is_a_500(client, at):
    text = at.isoformat() if hasattr(at, "isoformat") else at
    response = client.get("/v1/ledger/entries", params={"from": text}, headers=finance().headers)
    assert response.status_code < 500, (text, response.text)


def test_a_body_of_many_unknown_fields_is_answered_with_a_bounded_problem(client, services):
    host = a_host(client)
    body = {**room_body(), **{f"field{i}": 0 for i in range(1_000)}}

    with nothing_written(services):
        response = client.post("/v1/rooms", json=body, headers=host.headers)

    problem = assert_problem(response, 422, "validation")
    assert len(problem["errors"]) == 20
    assert problem["detail"].endswith("and 980 more")
    assert len(response.content) < 5_000
