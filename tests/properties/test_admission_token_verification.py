"""Admission tokens: issue and verify (roles, lifetime, leeway, room, issuer, keyring, algorithm, encoding).
"""

from __future__ import annotations

import hashlib
from typing import Any

import jwt
import orjson
import pytest

from api.admission.keys import b64url_encode
from api.admission.tokens import AdmissionRole, AdmissionTokenIssuer, TokenRejection
from domain.clock import FrozenClock
from tests.properties.admission_token_builders import (
    NOW,
    NOW_TS,
    ISSUER,
    B64URL_ALPHABET,
    build,
    verifier_for,
    rejection,
)


def test_verifies_an_issued_token_and_returns_its_claims() -> None:
    clock, keyring, issuer = build()

    token, claims = issuer.issue("user-1", "room-a", "speaker", ticket_id="ticket-9")

    assert verifier_for(keyring, clock).verify(token, room="room-a") == claims
    assert claims["sub"] == "user-1" and claims["room"] == "room-a" and claims["ticket_id"] == "ticket-9"
    assert claims["grants"] == {"can_subscribe": True, "can_publish": True}
    assert claims["iss"] == ISSUER and len(claims["jti"]) == 32
    assert claims["iat"] == claims["nbf"] == NOW_TS and claims["exp"] == NOW_TS + 300
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": keyring.current.kid}


@pytest.mark.parametrize(
    ("role", "can_publish"),
    [("host", True), ("cohost", True), ("speaker", True), ("listener", False)],
)
def test_grants_publishing_to_hosts_cohosts_and_speakers_only(role: str, can_publish: bool) -> None:
    _, _, issuer = build()

    _, claims = issuer.issue("user-1", "room-a", role)

    assert claims["grants"] == {"can_subscribe": True, "can_publish": can_publish}
    assert "ticket_id" not in claims


def test_refuses_to_issue_for_an_unknown_role_or_empty_identifiers() -> None:
    _, _, issuer = build()

    with pytest.raises(ValueError):
        issuer.issue("user-1", "room-a", "admin")
    with pytest.raises(ValueError):
        issuer.issue("", "room-a", AdmissionRole.LISTENER)
    with pytest.raises(ValueError):
        issuer.issue("user-1", "x" * 129, AdmissionRole.LISTENER)


def test_caps_the_token_lifetime_at_300_seconds() -> None:
    clock, keyring, _ = build()

    _, claims = AdmissionTokenIssuer(keyring, clock, ttl_seconds=3600).issue("u", "room-a", "listener")
    _, short = AdmissionTokenIssuer(keyring, clock, ttl_seconds=60).issue("u", "room-a", "listener")

    assert claims["exp"] - claims["iat"] == 300
    assert short["exp"] - short["iat"] == 60


def test_gives_each_token_a_fresh_jti() -> None:
    _, _, issuer = build()

    jtis = {issuer.issue("u", "room-a", "listener")[1]["jti"] for _ in range(50)}

    assert len(jtis) == 50


def test_rejects_a_token_301_seconds_after_issue() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "listener")

    clock.advance(seconds=301)

    assert rejection(verifier_for(keyring, clock, leeway_seconds=0), token) == TokenRejection.EXPIRED


def test_default_leeway_accepts_a_token_until_5_seconds_past_expiry() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "listener")
    verifier = verifier_for(keyring, clock)

    # Still inside the 5 s leeway.
    clock.advance(seconds=304)
    assert verifier.verify(token)["sub"] == "user-1"

    # exp <= now - leeway: expired, exactly as PyJWT decides.
    clock.advance(seconds=1)
    assert rejection(verifier, token) == TokenRejection.EXPIRED


def test_rejects_a_token_issued_beyond_the_leeway_in_the_future() -> None:
    issuing_clock, keyring, issuer = build(FrozenClock(NOW))
    issuing_clock.advance(seconds=6)
    token, _ = issuer.issue("user-1", "room-a", "listener")

    assert rejection(verifier_for(keyring, FrozenClock(NOW)), token) == TokenRejection.NOT_YET_VALID
    assert verifier_for(keyring, FrozenClock(NOW), leeway_seconds=6).verify(token)["sub"] == "user-1"


def test_rejects_a_token_for_another_room() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "host")

    assert rejection(verifier_for(keyring, clock), token, room="room-b") == TokenRejection.WRONG_ROOM


def test_rejects_a_token_from_another_issuer() -> None:
    clock, keyring, _ = build()
    token, _ = AdmissionTokenIssuer(keyring, clock, issuer="elsewhere").issue("u", "room-a", "host")

    assert rejection(verifier_for(keyring, clock), token) == TokenRejection.WRONG_ISSUER


def test_rejects_a_token_signed_by_another_keyring() -> None:
    clock, keyring, _ = build()
    _, _, forger = build(clock)
    forged, _ = forger.issue("user-1", "room-a", "host")
    verifier = verifier_for(keyring, clock)

    # The forger's kid is unknown here ...
    assert rejection(verifier, forged) == TokenRejection.UNKNOWN_KID

    # ... and claiming our kid does not help: the signature does not match.
    forger_kid = jwt.get_unverified_header(forged)["kid"]
    header = b64url_encode(orjson.dumps({"alg": "EdDSA", "typ": "JWT", "kid": keyring.current.kid}))
    payload, signature = forged.split(".")[1:]
    assert forger_kid != keyring.current.kid
    assert rejection(verifier, f"{header}.{payload}.{signature}") == TokenRejection.BAD_SIGNATURE


def test_rejects_alg_none_and_hs256_keyed_with_the_public_key() -> None:
    clock, keyring, issuer = build()
    _, claims = issuer.issue("user-1", "room-a", "host")
    verifier = verifier_for(keyring, clock)
    public_key = keyring.current.public_key
    kid = keyring.current.kid

    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": kid})
    hs256_raw = jwt.encode(claims, public_key, algorithm="HS256", headers={"kid": kid})
    hs256_x = jwt.encode(claims, b64url_encode(public_key), algorithm="HS256", headers={"kid": kid})

    assert rejection(verifier, unsigned) == TokenRejection.MALFORMED  # no 64-byte signature at all
    for token in (hs256_raw, hs256_x):
        header, payload, _ = token.split(".")
        assert rejection(verifier, token) == TokenRejection.MALFORMED  # 32-byte MAC
        padded_sig = b64url_encode(hashlib.sha512(token.encode()).digest())
        assert rejection(verifier, f"{header}.{payload}.{padded_sig}") == TokenRejection.BAD_ALG


def segment_leaving_unused_bits(value: dict[str, Any], filler: str) -> str:
    """base64url of `value`, grown by a filler field until its last character carries unused bits."""
    for size in range(4):
        segment = b64url_encode(orjson.dumps({**value, filler: "x" * size}))
        if len(segment) % 4 in (2, 3):
            return segment
    raise AssertionError("Safeguard, should never happen: four sizes cover every remainder")


@pytest.mark.parametrize("segment", [0, 1], ids=["header", "payload"])
def test_rejects_non_canonical_base64_even_under_a_valid_signature(segment: int) -> None:
    clock, keyring, issuer = build()
    _, claims = issuer.issue("user-1", "room-a", "listener")
    verifier = verifier_for(keyring, clock)
    header = {"alg": "EdDSA", "typ": "JWT", "kid": keyring.current.kid}
    parts = [segment_leaving_unused_bits(header, "x-pad"), segment_leaving_unused_bits(claims, "x-pad")]

    def signed(header_segment: str, payload_segment: str) -> str:
        signing_input = f"{header_segment}.{payload_segment}"
        return f"{signing_input}.{b64url_encode(keyring.current.signing_key.sign(signing_input.encode()).signature)}"

    # The canonical encoding verifies ...
    assert verifier.verify(signed(*parts))["sub"] == "user-1"

    # ... the same bytes with unused bits set, or padded, do not.
    last = parts[segment][-1]
    for variant in (B64URL_ALPHABET[B64URL_ALPHABET.index(last) | 1], last + "=" * (-len(parts[segment]) % 4)):
        mangled = parts.copy()
        mangled[segment] = parts[segment][:-1] + variant
        assert rejection(verifier, signed(*mangled)) == TokenRejection.MALFORMED


def test_rejects_garbage_without_raising_anything_else() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "host")
    verifier = verifier_for(keyring, clock)

    for garbage in ["", ".", "..", token + ".", token + "\n", token + "=", "é" + token, None, 42, token.encode()]:
        assert rejection(verifier, garbage) == TokenRejection.MALFORMED
    huge = "A" * 1_000_000 + token
    assert rejection(verifier, huge) == TokenRejection.MALFORMED
