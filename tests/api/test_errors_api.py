"""What every route shares: who may call it, how refusals look (RFC 9457 problems), and health checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from payouts.sandbox_gateway import SandboxGateway
from tests.api.builders import (
    Caller,
    a_creator_token,
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    creator_body,
    expired_token,
    finance,
    garbage_token,
    get_room,
    get_ticket,
    nothing_written,
    room_body,
    signed_token,
    token_signed_with_another_secret,
    unique,
    unsigned_token,
)

# Every route that needs a caller: (method, path, body). Paths name a real host, room and ticket,
# so a refusal can only come from the token or the role, never from a missing resource.
ROUTES: dict[str, tuple[str, str, Any]] = {
    "register creator": ("POST", "/v1/creators", creator_body()),
    "read creator": ("GET", "/v1/creators/{host}", None),
    "open room": ("POST", "/v1/rooms", room_body()),
    "list rooms": ("GET", "/v1/rooms?host_id={host}", None),
    "read room": ("GET", "/v1/rooms/{room}", None),
    "change room": ("PATCH", "/v1/rooms/{room}", {"title": "Renamed"}),
    "start room": ("POST", "/v1/rooms/{room}/start", None),
    "end room": ("POST", "/v1/rooms/{room}/end", None),
    "cancel room": ("POST", "/v1/rooms/{room}/cancel", None),
    "add cohost": ("PUT", "/v1/rooms/{room}/cohosts/ann", None),
    "remove cohost": ("DELETE", "/v1/rooms/{room}/cohosts/ann", None),
    "add speaker": ("PUT", "/v1/rooms/{room}/speakers/bob", None),
    "remove speaker": ("DELETE", "/v1/rooms/{room}/speakers/bob", None),
    "buy ticket": ("POST", "/v1/rooms/{room}/tickets", None),
    "read ticket": ("GET", "/v1/tickets/{ticket}", None),
    "my tickets": ("GET", "/v1/me/tickets", None),
    "room buyers": ("GET", "/v1/rooms/{room}/buyers", None),
    "refund ticket": ("POST", "/v1/tickets/{ticket}/refund", None),
}


@dataclass(frozen=True)
class World:
    """A host with a room (a co-host and a speaker on stage) and one paid ticket."""

    host: Caller
    holder: Caller
    room: dict[str, Any]
    ticket: dict[str, Any]


@pytest.fixture
def world(client) -> World:
    host, room = a_hosted_room(client)
    client.put(f"/v1/rooms/{room['id']}/cohosts/ann", headers=host.headers)
    client.put(f"/v1/rooms/{room['id']}/speakers/bob", headers=host.headers)
    holder = a_listener()
    ticket = a_paid_ticket(client, room["id"], holder)
    return World(host, holder, get_room(client, room["id"]), ticket)


def call(client: TestClient, world: World, route: str, headers: dict[str, str]):
    method, path, body = ROUTES[route]
    url = path.format(host=world.host.sub, room=world.room["id"], ticket=world.ticket["id"])
    return client.request(method, url, json=body, headers=headers)


def assert_world_unchanged(client: TestClient, world: World) -> None:
    assert get_room(client, world.room["id"]) == world.room
    assert get_ticket(client, world.ticket["id"])["status"] == "paid"


# --- 401: no token, or one we cannot trust ------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_a_request_without_a_token_is_unauthenticated(client, services, world, route):
    with nothing_written(services):
        response = call(client, world, route, headers={})

    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_world_unchanged(client, world)


BAD_TOKENS = {
    "garbage": lambda: garbage_token(),
    "signed with another secret": lambda: token_signed_with_another_secret("admin"),
    "expired": lambda: expired_token("admin"),
    "unsigned (alg none)": lambda: unsigned_token("admin"),
    "basic scheme": lambda: {"Authorization": "Basic YWRtaW46YWRtaW4="},
    "bearer without a token": lambda: {"Authorization": "Bearer "},
    "without a subject": lambda: signed_token({"roles": ["admin"]}),
    "with an empty subject": lambda: signed_token({"sub": " ", "roles": ["admin"]}),
    "with roles that are not a list": lambda: signed_token({"sub": unique("x"), "roles": "admin"}),
    "without exp (valid forever)": lambda: signed_token({"sub": unique("x"), "roles": ["admin"]}, with_exp=False),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_token_is_unauthenticated_on_every_route(client, services, world, kind):
    headers = BAD_TOKENS[kind]()

    with nothing_written(services):
        statuses = {route: call(client, world, route, headers) for route in ROUTES}

    for route, response in statuses.items():
        assert response.status_code == 401, f"{route}: {response.status_code} {response.text}"
        assert_problem(response, 401, "unauthenticated")
    assert_world_unchanged(client, world)


def test_a_role_we_do_not_know_grants_nothing(client, services, world):
    headers = signed_token({"sub": unique("x"), "roles": ["superuser"]})

    with nothing_written(services):
        response = call(client, world, "cancel room", headers)

    assert_problem(response, 403, "forbidden")
    assert_world_unchanged(client, world)


# --- 403: the wrong role, or someone else's resource -------------------------------------------------


def someone(role: str) -> Caller:
    return {"creator": a_creator_token, "listener": a_listener, "finance": finance}[role]()


# Who is refused where, by role. (Another creator acting on the host's room is below.)
WRONG_ROLE = [
    ("register creator", "listener"),
    ("read creator", "listener"),
    ("open room", "listener"),
    ("change room", "listener"),
    ("start room", "listener"),
    ("end room", "listener"),
    ("cancel room", "listener"),
    ("add cohost", "listener"),
    ("remove cohost", "listener"),
    ("add speaker", "listener"),
    ("remove speaker", "listener"),
    ("buy ticket", "creator"),
    ("buy ticket", "finance"),
    ("read ticket", "listener"),
    ("room buyers", "listener"),
    ("room buyers", "finance"),
    ("refund ticket", "listener"),
    ("refund ticket", "finance"),
]


@pytest.mark.parametrize(("route", "role"), WRONG_ROLE, ids=[f"{r} as {role}" for r, role in WRONG_ROLE])
def test_the_wrong_role_is_forbidden_and_nothing_is_written(client, services, world, route, role):
    caller = someone(role)

    with nothing_written(services):
        response = call(client, world, route, caller.headers)

    assert_problem(response, 403, "forbidden")
    assert_world_unchanged(client, world)


HOST_ONLY = ["change room", "start room", "cancel room", "add cohost", "remove cohost", "add speaker",
             "remove speaker", "room buyers", "refund ticket", "read ticket", "read creator"]


@pytest.mark.parametrize("route", HOST_ONLY)
def test_another_creator_is_forbidden_on_the_hosts_room_and_nothing_is_written(client, services, world, route):
    other = a_host(client)

    with nothing_written(services):
        response = call(client, world, route, other.headers)

    assert_problem(response, 403, "forbidden")
    assert_world_unchanged(client, world)


def test_the_holder_may_read_their_ticket_but_not_the_buyers(client, world):
    read = call(client, world, "read ticket", world.holder.headers)
    buyers = call(client, world, "room buyers", world.holder.headers)

    assert read.status_code == 200
    assert_problem(buyers, 403, "forbidden")


# --- the shape of every refusal ---------------------------------------------------------------------------


def test_an_unknown_path_is_a_not_found_problem(client):
    response = client.get("/v1/concerts", headers=a_listener().headers)

    assert_problem(response, 404, "not_found")


def test_an_unsupported_method_is_a_method_not_allowed_problem(client):
    response = client.delete("/v1/rooms", headers=a_listener().headers)

    assert_problem(response, 405, "method_not_allowed")


def test_a_problem_names_the_request_path_and_its_correlation_id(client):
    response = client.get("/v1/rooms/not-a-room", headers={**a_listener().headers, "X-Request-ID": "req-42"})

    problem = assert_problem(response, 404, "not_found")
    assert problem["instance"] == "/v1/rooms/not-a-room"
    assert problem["correlation_id"] == "req-42"
    assert response.headers["X-Request-ID"] == "req-42"


def test_a_validation_problem_lists_each_broken_field(client):
    host = a_host(client)

    response = client.post("/v1/rooms", json=room_body(title="", mood="chill"), headers=host.headers)

    problem = assert_problem(response, 422, "validation")
    assert {tuple(e["loc"]) for e in problem["errors"]} == {("body", "title"), ("body", "mood")}


class ExplodingGateway(SandboxGateway):
    """A processor adapter with a bug: every payment raises something unexpected."""

    def start_payment(self, request):
        raise RuntimeError("secret-internal-detail in payouts adapter")


def test_an_unexpected_error_is_a_500_problem_that_reveals_no_internals(make_services, sqlite_url, clock):
    services = make_services(sqlite_url, gateway=ExplodingGateway(clock))
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        _, room = a_hosted_room(client)

        response = client.post(f"/v1/rooms/{room['id']}/tickets", headers=a_listener().headers)

    assert_problem(response, 500, "internal")
    assert "secret-internal-detail" not in response.text
    assert "Traceback" not in response.text


# --- GET /healthz, /readyz ------------------------------------------------------------------------------------


def test_healthz_answers_ok_without_a_token(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_ready_with_its_checks_without_a_token(client):
    a_hosted_room(client)

    response = client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["event_store"]["ok"] is True
    assert body["checks"]["event_store"]["head"] > 0
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["projections"]["catalog"]["lag"] == 0
    assert body["checks"]["payment_gateway"] == "sandbox"
