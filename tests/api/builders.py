"""Builders for the HTTP tests: unique people, valid bodies with overrides, and problem checks.

Every helper that creates something goes through the API (never the store), so
a test's arrange step exercises the same contract it asserts on. Ids are
unique per call, so tests never share a host, a listener or a room by accident.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from api.auth import issue_token
from tests.conftest import SECRET, bearer

PROBLEM_JSON = "application/problem+json"
NOW = datetime.fromisoformat("2026-03-02T18:00:00+00:00")  # the frozen clock of tests/conftest.py
ELIGIBLE_FOLLOWERS = 1_000
DEFAULT_PRICE = 999  # 9.99 USD


# --- who is calling --------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Caller:
    sub: str
    headers: dict[str, str]


def a_creator_token(sub: str | None = None) -> Caller:
    """A caller with the creator role, not (yet) registered as a creator."""
    sub = sub or unique("creator")
    return Caller(sub, bearer(sub, "creator"))


def a_listener() -> Caller:
    sub = unique("listener")
    return Caller(sub, bearer(sub, "listener"))


def an_admin() -> Caller:
    sub = unique("admin")
    return Caller(sub, bearer(sub, "admin"))


def finance() -> Caller:
    sub = unique("finance")
    return Caller(sub, bearer(sub, "finance"))


def garbage_token() -> dict[str, str]:
    return {"Authorization": "Bearer this-is-not-a-jwt"}


def token_signed_with_another_secret(*roles: str) -> dict[str, str]:
    return bearer(unique("forger"), *roles, secret="another-secret-0123456789abcdef0123456789")


def expired_token(*roles: str) -> dict[str, str]:
    """Issued two hours ago, valid for one: PyJWT checks `exp` against the wall clock."""
    token = issue_token(SECRET, unique("late"), list(roles), ttl_seconds=3600, now=time.time() - 7200)
    return {"Authorization": f"Bearer {token}"}


# --- request bodies ----------------------------------------------------------------


def price(amount: Any = DEFAULT_PRICE, currency: Any = "USD") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def creator_body(**overrides: Any) -> dict[str, Any]:
    return {"display_name": "Ada Lovelace", "follower_count": ELIGIBLE_FOLLOWERS, **overrides}


def room_body(**overrides: Any) -> dict[str, Any]:
    return {"title": "Late night jazz", "ticket_price": price(), "capacity": 100, **overrides}


def iso(at: datetime) -> str:
    return at.isoformat()


def in_the_future(**delta: float) -> str:
    return iso(NOW + timedelta(**delta))


def in_the_past(**delta: float) -> str:
    return iso(NOW - timedelta(**delta))


# --- arranging through the API ---------------------------------------------------------


def a_host(client: TestClient, followers: int = ELIGIBLE_FOLLOWERS) -> Caller:
    """A registered creator with enough followers to host."""
    host = a_creator_token()
    response = client.post("/v1/creators", json=creator_body(follower_count=followers), headers=host.headers)
    assert response.status_code == 201, response.text
    return host


def a_room(client: TestClient, host: Caller, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/rooms", json=room_body(**overrides), headers=host.headers)
    assert response.status_code == 201, response.text
    return response.json()


def a_hosted_room(client: TestClient, **overrides: Any) -> tuple[Caller, dict[str, Any]]:
    host = a_host(client)
    return host, a_room(client, host, **overrides)


def buy(client: TestClient, room_id: str, listener: Caller, *, key: str | None = None,
        payment_method: str | None = None) -> Response:
    headers = dict(listener.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"payment_method": payment_method} if payment_method else None
    return client.post(f"/v1/rooms/{room_id}/tickets", json=body, headers=headers)


def a_paid_ticket(client: TestClient, room_id: str, listener: Caller | None = None) -> dict[str, Any]:
    response = buy(client, room_id, listener or a_listener())
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["status"] == "paid", ticket
    return ticket


def get_room(client: TestClient, room_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/rooms/{room_id}", headers=a_listener().headers)
    assert response.status_code == 200, response.text
    return response.json()


def get_ticket(client: TestClient, ticket_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/tickets/{ticket_id}", headers=finance().headers)
    assert response.status_code == 200, response.text
    return response.json()


def rooms_of(client: TestClient, host: Caller, **query: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/rooms", params={"host_id": host.sub, "limit": 200, **query}, headers=host.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- asserting -------------------------------------------------------------------------


def assert_problem(response: Response, status: int, type_: str) -> dict[str, Any]:
    """An RFC 9457 problem with the given status and stable type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["type"] == type_, body
    assert body["status"] == status, body
    assert body["title"] and body["detail"], body
    return body


@contextmanager
def nothing_written(services: Any) -> Iterator[None]:
    """The block appends no event to the store."""
    before = services.app.uow.position()
    yield
    assert services.app.uow.position() == before, "the request wrote events"


def refunds_sent(services: Any) -> int:
    """Refunds the sandbox processor has executed."""
    return len(services.gateway._refunds)


def payments_started(services: Any) -> int:
    return len(services.gateway._payments)


def random_uuid() -> str:
    return str(uuid.uuid4())


def signed_token(claims: dict[str, Any], secret: str = SECRET, *, with_exp: bool = True) -> dict[str, str]:
    """A token with these claims, for tokens `issue_token` would never make; an hour's `exp`
    is added unless given (or `with_exp=False`: a token that never expires, which is refused)."""
    import jwt

    if with_exp:
        claims = {"exp": int(time.time()) + 3600, **claims}
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


def unsigned_token(*roles: str) -> dict[str, str]:
    """`alg: none`: a token anyone can forge."""
    import base64
    import json

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"sub": unique("forger"), "roles": list(roles), "exp": int(time.time()) + 3600}
    return {"Authorization": f"Bearer {part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."}
