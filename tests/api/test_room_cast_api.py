"""A room's cast over HTTP (PUT/DELETE /v1/rooms/{id}/cohosts|speakers/{user}): co-hosts and speakers."""

from __future__ import annotations

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    an_admin,
    assert_problem,
    get_room,
    nothing_written,
    random_uuid,
    rooms_of,
    unique,
)
from tests.api.room_actions import (act)


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
