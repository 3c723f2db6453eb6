"""Signed admission tokens over HTTP: verified with the JWKS alone, roles, keyrings, expiry, rooms,
rotation, and who gets none.
"""

from __future__ import annotations

import base64

import orjson

from api.admission.keys import AdmissionKeyring, b64url_encode
from api.admission.tokens import AdmissionTokenIssuer, TokenRejection
from tests.api.builders import a_listener, random_uuid
from tests.integration.projections.admission.builders import refund, token_for, published_verifier, rejection, kid_of


def test_a_paid_listener_gets_a_token_a_media_server_verifies_with_only_the_jwks(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, ticket = paid_listener

    response = token_for(client, room["id"], listener)

    assert response.status_code == 200, response.text
    body = response.json()
    claims = published_verifier(client, clock).verify(body["token"], room=room["id"])
    assert (claims["sub"], claims["room"], claims["role"], claims["ticket_id"]) == (
        listener.sub, room["id"], "listener", ticket["id"])
    assert claims["grants"] == {"can_subscribe": True, "can_publish": False} == body["grants"]
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 300
    assert body["waiting"] is False


def test_the_host_gets_a_token_that_may_publish(client, clock, live_room) -> None:  # noqa: ANN001
    host, room = live_room

    response = token_for(client, room["id"], host)

    assert response.status_code == 200, response.text
    claims = published_verifier(client, clock).verify(response.json()["token"], room=room["id"])
    assert (claims["role"], claims["grants"]["can_publish"]) == ("host", True)


def test_a_token_signed_by_another_keyring_is_rejected_as_unknown_kid(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    forger = AdmissionTokenIssuer(AdmissionKeyring.generate(clock), clock)

    forged, _ = forger.issue(listener.sub, room["id"], "host")

    assert rejection(published_verifier(client, clock), forged) is TokenRejection.UNKNOWN_KID


def test_a_token_that_claims_our_kid_but_is_signed_by_another_key_is_rejected_as_bad_signature(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    genuine = token_for(client, room["id"], listener).json()["token"]
    header, payload, _ = genuine.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    elevated = b64url_encode(orjson.dumps({**claims, "role": "host", "grants": {"can_subscribe": True,
                                                                                 "can_publish": True}}))
    other_key = AdmissionKeyring.generate(clock).current.signing_key

    forged = f"{header}.{elevated}.{b64url_encode(other_key.sign(f'{header}.{elevated}'.encode()).signature)}"

    assert rejection(published_verifier(client, clock), forged) is TokenRejection.BAD_SIGNATURE


def test_a_token_expires_after_300_seconds_plus_the_verifiers_5_second_leeway(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    token = token_for(client, room["id"], listener).json()["token"]
    verifier = published_verifier(client, clock)

    clock.advance(seconds=304)
    still_valid = verifier.verify(token, room=room["id"])
    clock.advance(seconds=2)  # 306 s after issue

    assert still_valid["sub"] == listener.sub
    assert rejection(verifier, token, room["id"]) is TokenRejection.EXPIRED


def test_a_token_for_one_room_is_rejected_for_another(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    token = token_for(client, room["id"], listener).json()["token"]

    assert rejection(published_verifier(client, clock), token, room=random_uuid()) is TokenRejection.WRONG_ROOM


def test_a_token_issued_before_a_key_rotation_still_verifies_with_the_new_jwks(client, services, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    before = token_for(client, room["id"], listener).json()["token"]

    new_kid, _ = services.keys.rotate()
    after = token_for(client, room["id"], listener).json()["token"]
    verifier = published_verifier(client, clock)

    assert kid_of(after) == new_kid != kid_of(before)
    assert verifier.kids >= {kid_of(before), new_kid}
    assert verifier.verify(before, room=room["id"])["sub"] == listener.sub
    assert verifier.verify(after, room=room["id"])["sub"] == listener.sub


def test_a_listener_without_a_paid_ticket_gets_no_token(client, live_room) -> None:  # noqa: ANN001
    _, room = live_room

    response = token_for(client, room["id"], a_listener())

    assert response.status_code == 403, response.text
    assert response.json()["reason"] == "no_ticket"


def test_a_refunded_listener_gets_no_new_token(client, paid_listener, live_room) -> None:  # noqa: ANN001
    listener, room, ticket = paid_listener
    host, _ = live_room
    refund(client, host, ticket["id"])

    response = token_for(client, room["id"], listener)

    assert response.status_code == 403, response.text
    assert response.json()["reason"] == "refunded"


def test_no_token_for_a_room_that_does_not_exist(client) -> None:  # noqa: ANN001
    response = token_for(client, random_uuid(), a_listener())

    assert response.status_code == 404, response.text
