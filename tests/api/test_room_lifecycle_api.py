"""A room's lifecycle over HTTP (POST /v1/rooms/{id}/start|end|cancel): in order, by whom."""

from __future__ import annotations

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_room,
    an_admin,
    assert_problem,
    get_room,
    nothing_written,
    random_uuid,
)
from tests.api.room_actions import (act)


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
