"""Admission keys: rotation, pruning, persistence (records and JWKS).
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from api.admission.keys import (
    DEFAULT_RETIRED_KEY_RETENTION_SECONDS,
    AdmissionKeyring,
    b64url_decode_strict,
    b64url_encode,
)
from api.admission.tokens import AdmissionTokenIssuer, AdmissionTokenVerifier, TokenRejection
from tests.properties.admission_token_builders import (
    NOW,
    NOW_TS,
    ISSUER,
    REQUIRED_CLAIMS,
    build,
    verifier_for,
    rejection,
)
from tests.properties.pyjwt_oracle import PyJWTAt


def test_tokens_signed_by_a_retired_key_verify_until_the_key_is_pruned() -> None:
    clock, keyring, issuer = build()
    old_token, _ = issuer.issue("user-1", "room-a", "listener")
    old_kid = keyring.current.kid

    # Rotate: new tokens carry the new kid, the old key stays published.
    new_key = keyring.rotate()
    new_token, _ = issuer.issue("user-2", "room-a", "listener")
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.kid != old_kid
    assert [key["kid"] for key in keyring.jwks()["keys"]] == [old_kid, new_key.kid]
    assert verifier_for(keyring, clock).verify(old_token)["sub"] == "user-1"
    assert verifier_for(keyring, clock).verify(new_token)["sub"] == "user-2"

    # Pruning before the retention period has passed keeps the retired key.
    clock.advance(seconds=DEFAULT_RETIRED_KEY_RETENTION_SECONDS - 1)
    assert keyring.prune() == []

    # After it, the key leaves the JWKS and its tokens no longer verify.
    clock.advance(seconds=1)
    assert keyring.prune() == [old_kid]
    assert [key["kid"] for key in keyring.jwks()["keys"]] == [new_key.kid]
    assert rejection(verifier_for(keyring, clock), old_token) == TokenRejection.UNKNOWN_KID


def test_prune_refuses_a_retention_shorter_than_a_token_lifetime() -> None:
    _, keyring, _ = build()

    with pytest.raises(ValueError):
        keyring.prune(retain_seconds=300)


def test_keyring_records_round_trip_as_plain_json() -> None:
    clock, keyring, issuer = build()
    keyring.rotate()
    token, _ = issuer.issue("user-1", "room-a", "listener")

    records = json.loads(json.dumps(keyring.to_records()))
    reloaded = AdmissionKeyring.from_records(records, clock=clock)

    assert reloaded.to_records() == keyring.to_records()
    assert reloaded.jwks() == keyring.jwks()
    assert records[0]["retired_at"] == NOW.isoformat() and records[1]["retired_at"] is None
    assert len(b64url_decode_strict(records[0]["private_key"])) == 32
    # A second worker loading the same records signs tokens the first accepts.
    other_token, _ = AdmissionTokenIssuer(reloaded, clock).issue("user-2", "room-a", "host")
    assert verifier_for(keyring, clock).verify(other_token)["sub"] == "user-2"
    assert verifier_for(reloaded, clock).verify(token)["sub"] == "user-1"
    assert records[0]["private_key"] not in repr(keyring) + repr(keyring.keys)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda records: [],
        lambda records: [{**records[0], "retired_at": records[0]["created_at"]}],
        lambda records: [records[0], {**records[0], "kid": "other"}],
        lambda records: [records[0], {**records[0]}],
        lambda records: [{**records[0], "private_key": records[0]["private_key"] + "="}],
        lambda records: [{**records[0], "private_key": b64url_encode(b"short")}],
        lambda records: [{**records[0], "created_at": "2026-01-01T12:00:00"}],
        lambda records: [{**records[0], "kid": "has space"}],
        lambda records: [{key: value for key, value in records[0].items() if key != "retired_at"}],
    ],
)
def test_keyring_refuses_inconsistent_records(mangle: Any) -> None:
    clock, keyring, _ = build()

    with pytest.raises(ValueError):
        AdmissionKeyring.from_records(mangle(keyring.to_records()), clock=clock)


def test_jwks_round_trips_through_pyjwt() -> None:
    _, keyring, issuer = build()
    old_token, claims = issuer.issue("user-1", "room-a", "cohost")
    keyring.rotate()
    new_token, new_claims = issuer.issue("user-2", "room-a", "listener")

    jwks = json.loads(json.dumps(keyring.jwks()))
    key_set = jwt.PyJWKSet.from_dict(jwks)

    assert all(
        jwk == {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": jwk["kid"], "alg": "EdDSA", "use": "sig"}
        for jwk in jwks["keys"]
    )
    for token, expected in ((old_token, claims), (new_token, new_claims)):
        key = key_set[jwt.get_unverified_header(token)["kid"]]
        decoded = PyJWTAt(NOW_TS).decode(
            token, key, algorithms=["EdDSA"], issuer=ISSUER, options={"require": REQUIRED_CLAIMS}
        )
        assert decoded == expected


def test_verifier_refuses_a_jwks_with_foreign_keys() -> None:
    clock, keyring, _ = build()
    jwk = keyring.jwks()["keys"][0]

    for bad in (
        {"keys": [{**jwk, "kty": "RSA"}]},
        {"keys": [{**jwk, "alg": "HS256"}]},
        {"keys": [{**jwk, "x": jwk["x"][:-1]}]},
        {"keys": [jwk, jwk]},
        {"keys": [{key: value for key, value in jwk.items() if key != "kid"}]},
    ):
        with pytest.raises(ValueError):
            AdmissionTokenVerifier(bad, clock)
    with pytest.raises(TypeError):
        AdmissionTokenVerifier({}, clock)
