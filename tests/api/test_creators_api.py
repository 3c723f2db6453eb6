"""POST /v1/creators and GET /v1/creators/{id}: creators register and read their profile."""

from __future__ import annotations

import pytest

from tests.api.builders import (
    a_creator_token,
    a_host,
    a_listener,
    an_admin,
    assert_problem,
    creator_body,
    finance,
    nothing_written,
)

# --- POST /v1/creators -----------------------------------------------------------------


def test_register_creator_answers_201_with_the_profile(client):
    caller = a_creator_token()

    response = client.post("/v1/creators", json=creator_body(display_name="Ada", follower_count=1200),
                           headers=caller.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] == caller.sub
    assert body["display_name"] == "Ada"
    assert body["follower_count"] == 1200
    assert body["eligible_to_host"] is True
    assert body["registered_at"].startswith("2026-03-02T18:00:00")


def test_register_creator_below_600_followers_is_registered_but_not_eligible_to_host(client):
    caller = a_creator_token()

    response = client.post("/v1/creators", json=creator_body(follower_count=599), headers=caller.headers)

    assert response.status_code == 201, response.text
    assert response.json()["eligible_to_host"] is False


def test_register_creator_with_exactly_600_followers_is_eligible_to_host(client):
    caller = a_creator_token()

    response = client.post("/v1/creators", json=creator_body(follower_count=600), headers=caller.headers)

    assert response.json()["eligible_to_host"] is True


def test_registering_again_updates_the_profile_and_answers_200(client):
    host = a_host(client)

    response = client.post("/v1/creators", json=creator_body(display_name="Ada L.", follower_count=5000),
                           headers=host.headers)

    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Ada L."
    assert response.json()["follower_count"] == 5000


def test_registering_again_with_the_same_profile_writes_nothing(client, services):
    caller = a_creator_token()
    client.post("/v1/creators", json=creator_body(), headers=caller.headers)

    with nothing_written(services):
        response = client.post("/v1/creators", json=creator_body(), headers=caller.headers)

    assert response.status_code == 200, response.text


def test_register_creator_needs_the_creator_role(client, services):
    listener = a_listener()

    with nothing_written(services):
        response = client.post("/v1/creators", json=creator_body(), headers=listener.headers)

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("body", [
    pytest.param(creator_body(follower_count=-1), id="negative follower count"),
    pytest.param(creator_body(follower_count=1000.5), id="float follower count"),
    pytest.param(creator_body(follower_count="1000"), id="string follower count"),
    pytest.param(creator_body(display_name=""), id="empty display name"),
    pytest.param(creator_body(display_name="   "), id="blank display name"),
    pytest.param(creator_body(display_name="x" * 101), id="display name over 100 characters"),
    pytest.param({"display_name": "Ada"}, id="follower count missing"),
    pytest.param(creator_body(email="ada@example.com"), id="unknown field"),
])
def test_register_creator_refuses_an_invalid_profile(client, services, body):
    caller = a_creator_token()

    with nothing_written(services):
        response = client.post("/v1/creators", json=body, headers=caller.headers)

    assert_problem(response, 422, "validation")


def test_register_creator_refuses_malformed_json(client, services):
    caller = a_creator_token()

    with nothing_written(services):
        response = client.post("/v1/creators", content=b'{"display_name": "Ada",',
                               headers={**caller.headers, "Content-Type": "application/json"})

    assert_problem(response, 400, "malformed_json")


# --- GET /v1/creators/{id} -------------------------------------------------------------


def test_a_creator_reads_their_own_profile(client):
    host = a_host(client)

    response = client.get(f"/v1/creators/{host.sub}", headers=host.headers)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == host.sub
    assert response.json()["eligible_to_host"] is True


def test_finance_reads_any_creator_profile(client):
    host = a_host(client)

    response = client.get(f"/v1/creators/{host.sub}", headers=finance().headers)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == host.sub


def test_an_admin_reads_any_creator_profile(client):
    host = a_host(client)

    response = client.get(f"/v1/creators/{host.sub}", headers=an_admin().headers)

    assert response.status_code == 200, response.text


def test_another_creator_may_not_read_a_creator_profile(client):
    host, other = a_host(client), a_host(client)

    response = client.get(f"/v1/creators/{host.sub}", headers=other.headers)

    assert_problem(response, 403, "forbidden")


def test_a_listener_may_not_read_a_creator_profile(client):
    host = a_host(client)

    response = client.get(f"/v1/creators/{host.sub}", headers=a_listener().headers)

    assert_problem(response, 403, "forbidden")


def test_reading_an_unregistered_creator_is_not_found(client):
    response = client.get("/v1/creators/nobody-registered-this", headers=finance().headers)

    assert_problem(response, 404, "not_found")


def test_reading_your_own_profile_before_registering_is_not_found(client):
    caller = a_creator_token()

    response = client.get(f"/v1/creators/{caller.sub}", headers=caller.headers)

    assert_problem(response, 404, "not_found")
