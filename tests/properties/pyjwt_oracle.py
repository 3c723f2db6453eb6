"""PyJWT as the oracle the fast admission token verifier is fuzzed against.

The verifier replaces PyJWT on a hot path: it must accept exactly what PyJWT accepts (EdDSA only, same
JWKS, issuer, leeway and required claims), minus the deliberately stricter profile documented in
api/admission/tokens.py. Here: PyJWT pinned to the test's instant, the deterministic fuzz keyring, both
verdicts and the assertion that they agree.

May import: anything (tests are outside the import contracts).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt
import orjson
from hypothesis import currently_in_test_context, event

from api.admission.keys import AdmissionKeyring, b64url_encode
from api.admission.tokens import (
    MAX_TIMESTAMP,
    MAX_TOKEN_CHARS,
    AdmissionRole,
    AdmissionTokenError,
    AdmissionTokenVerifier,
    TokenRejection,
)
from domain.clock import FrozenClock
from tests.properties.admission_token_builders import NOW, NOW_TS, ISSUER, LEEWAY, REQUIRED_CLAIMS


class PyJWTAt(jwt.PyJWT):
    """PyJWT judging at a fixed instant instead of the wall clock.

    PyJWT reads datetime.now() inside _validate_claims and passes it to these
    three hooks, so pinning them lets both verifiers judge the same instant,
    exact boundaries included. test_pyjwt_oracle_judges_at_the_pinned_instant
    fails loudly if a PyJWT release renames them.
    """

    def __init__(self, now: float) -> None:
        super().__init__()
        self._pinned_now = now

    def _validate_iat(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_iat(payload, self._pinned_now, leeway)

    def _validate_nbf(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_nbf(payload, self._pinned_now, leeway)

    def _validate_exp(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_exp(payload, self._pinned_now, leeway)


def seeded_record(name: str, retired: bool) -> dict[str, Any]:
    return {
        "kid": name,
        "private_key": b64url_encode(hashlib.sha256(name.encode()).digest()),
        "created_at": "2025-12-01T00:00:00+00:00",
        "retired_at": "2026-01-01T11:58:00+00:00" if retired else None,
    }


# Deterministic keys so a failing example reproduces byte for byte.
FUZZ_KEYRING = AdmissionKeyring.from_records(
    [seeded_record("retired-key", retired=True), seeded_record("current-key", retired=False)],
    clock=FrozenClock(NOW),
)
FORGER_KEYRING = AdmissionKeyring.from_records([seeded_record("forger-key", retired=False)], clock=FrozenClock(NOW))
SIGNERS = {key.kid: key.signing_key for key in (*FUZZ_KEYRING.keys, *FORGER_KEYRING.keys)}
FUZZ_VERIFIER = AdmissionTokenVerifier(FUZZ_KEYRING.jwks(), FrozenClock(NOW), issuer=ISSUER, leeway_seconds=LEEWAY)
PYJWT_KEYS = {jwk["kid"]: jwt.PyJWK(jwk) for jwk in FUZZ_KEYRING.jwks()["keys"]}
ROLES = frozenset(role.value for role in AdmissionRole)


def pyjwt_verdict(token: str, room: str | None) -> dict[str, Any] | None:
    """What a media server using PyJWT the textbook way accepts: claims, or None."""
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")  # PyJWT has already refused a kid that is not a string
        key = PYJWT_KEYS.get(kid) if isinstance(kid, str) else None
        if key is None:
            return None
        claims = PyJWTAt(NOW_TS).decode(
            token, key, algorithms=["EdDSA"], issuer=ISSUER, leeway=LEEWAY, options={"require": REQUIRED_CLAIMS}
        )
    except (jwt.PyJWTError, UnicodeEncodeError):
        return None
    if room is not None and claims["room"] != room:
        return None
    return claims


def within_strict_profile(token: str, claims: dict[str, Any]) -> bool:
    """The deliberate extra strictness of the fast verifier (see api/admission/tokens.py)."""
    if len(token) > MAX_TOKEN_CHARS or "=" in token:
        return False
    header_segment, payload_segment, _ = token.split(".")
    try:
        header = orjson.loads(base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4)))
        orjson.loads(base64.urlsafe_b64decode(payload_segment + "=" * (-len(payload_segment) % 4)))
    except ValueError:
        return False
    if "crit" in header or "b64" in header or header.get("typ", "JWT") != "JWT":
        return False
    times = [claims["iat"], claims["nbf"], claims["exp"]]
    if any(type(value) is not int or not 0 <= value <= MAX_TIMESTAMP for value in times):
        return False
    grants = claims["grants"]
    return (
        claims["exp"] - claims["iat"] <= 300
        and all(type(claims[name]) is str for name in ("sub", "jti", "room"))
        and type(claims["role"]) is str
        and claims["role"] in ROLES
        and type(grants) is dict
        and type(grants.get("can_subscribe")) is bool
        and type(grants.get("can_publish")) is bool
        and type(claims.get("ticket_id", "")) is str
        and "aud" not in claims
    )


def note(outcome: str) -> None:
    if currently_in_test_context():  # shown by pytest --hypothesis-show-statistics
        event(outcome)


def fast_verdict(token: Any, room: str | None) -> dict[str, Any] | None:
    """The fast verifier's answer; any exception other than AdmissionTokenError fails the test."""
    try:
        claims = FUZZ_VERIFIER.verify(token, room)
    except AdmissionTokenError as error:
        assert isinstance(error.reason, TokenRejection)
        note(f"fast verifier: {error.reason.value}")
        return None
    note("fast verifier: accepted")
    return claims


def as_orjson_reads(value: Any) -> Any:
    """orjson turns integers outside [-2**63, 2**64) into floats; stdlib json keeps them."""
    if isinstance(value, dict):
        return {key: as_orjson_reads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_orjson_reads(item) for item in value]
    if type(value) is int and not -(2**63) <= value < 2**64:
        return float(value)
    return value


def assert_agrees_with_pyjwt(token: str, room: str | None) -> None:
    fast = fast_verdict(token, room)
    reference = pyjwt_verdict(token, room)
    expected = reference if reference is not None and within_strict_profile(token, reference) else None
    if reference is not None and expected is None:
        note("PyJWT accepted, outside the strict profile")
    assert fast == as_orjson_reads(expected), f"fast={fast!r} pyjwt={reference!r}"
