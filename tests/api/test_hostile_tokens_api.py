"""Hostile caller tokens get a 401 problem on every route, never a 500 (issue 12, item 7)."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from api.auth import issue_token
from api.main import create_app
from tests.api.builders import assert_problem, signed_token, unique
from tests.conftest import SECRET

# An id no record has; fixed so every collection of the suite names the same tests (pytest-xdist compares them).
SOME_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
OPEN_ROUTES = {"/healthz", "/readyz", "/.well-known/jwks.json", "/v1/webhooks/stripe", "/v1/webhooks/livekit"}


def every_guarded_route() -> list[tuple[str, str]]:
    spec = create_app().openapi()
    some_id = SOME_ID
    return [(method.upper(), path.replace("{user_id}", "bob").replace("{creator_id}", "maya")
             .replace("{room_id}", some_id).replace("{ticket_id}", some_id).replace("{run_id}", some_id)
             .replace("{payout_id}", some_id))
            for path, methods in spec["paths"].items() if path not in OPEN_ROUTES for method in methods]


ROUTES = every_guarded_route()


def non_ascii(token: str, where: int) -> bytes:
    raw = token.encode()
    return raw[:where] + b"\xc3\xa9" + raw[where:]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_token_with_a_non_ascii_byte_is_unauthenticated_on_every_route(client, method, path):
    token = issue_token(SECRET, unique("admin"), ["admin"])

    for where in (0, 10, len(token)):
        response = client.request(method, path, headers={"Authorization": b"Bearer " + non_ascii(token, where)},
                                  json={} if method != "GET" else None)

        assert_problem(response, 401, "unauthenticated")


def test_the_admission_hot_path_refuses_a_non_ascii_token_and_keeps_serving(client):
    token = issue_token(SECRET, unique("media"), ["media"])
    path = f"/v1/rooms/{uuid.uuid4()}/admissions/bob"

    refused = client.get(path, headers={"Authorization": b"Bearer " + non_ascii(token, 20)})
    good = client.get(path, headers={"Authorization": f"Bearer {token}"})

    assert_problem(refused, 401, "unauthenticated")
    assert good.status_code == 200 and good.json()["reason"] == "unknown_room"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/me/tickets"), ("POST", "/v1/rooms"),
                                              ("GET", f"/v1/rooms/{SOME_ID}/admissions/bob")])
def test_a_token_without_exp_is_unauthenticated(client, method, path):
    headers = signed_token({"sub": unique("forever"), "roles": ["admin"], "iat": int(time.time())}, with_exp=False)

    response = client.request(method, path, headers=headers, json={} if method == "POST" else None)

    body = assert_problem(response, 401, "unauthenticated")
    assert "exp" in body["detail"]


def test_a_token_signed_with_the_public_key_as_hmac_secret_is_unauthenticated(make_services, sqlite_url):
    """Key confusion: a service misconfigured with a PEM public key as its HMAC secret accepts nothing."""
    from fastapi.testclient import TestClient

    from tests.properties.test_hs256 import PEM_PUBLIC_KEY, b64, sign
    import json

    services = make_services(sqlite_url)
    services.settings.auth_secret = PEM_PUBLIC_KEY
    forged = sign(b64(b'{"alg":"HS256","typ":"JWT"}'), b64(json.dumps(
        {"sub": "mallory", "roles": ["admin"], "exp": int(time.time()) + 600}).encode()), key=PEM_PUBLIC_KEY)
    with TestClient(create_app(services), raise_server_exceptions=False) as http:
        response = http.get("/v1/me/tickets", headers={"Authorization": f"Bearer {forged}"})

    assert_problem(response, 401, "unauthenticated")
    with pytest.raises(jwt.InvalidKeyError):
        jwt.decode(forged, PEM_PUBLIC_KEY, algorithms=["HS256"])
