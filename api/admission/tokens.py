"""Signed, short-lived admission tokens that media servers verify locally.

Why this exists: a join must not cost a database query (ARCHITECTURE.md,
"Admission"). The API issues an Ed25519-signed JWT (compact JWS, alg EdDSA)
naming who may join which room as what; a media server checks it with only
the public JWKS, no call back. Refunds after issue travel on a revocation feed,
which is why tokens live at most 300 seconds.

The verifier replaces PyJWT on a hot path (goal: 10,000+ verifications/s per
core), so it is hand-rolled and differentially fuzzed against PyJWT in
tests/properties/test_admission_tokens_agree_with_pyjwt.py. It accepts a subset of what PyJWT (EdDSA only,
issuer pinned, our claims required) accepts. Deliberately stricter:

- no base64 padding, at most MAX_TOKEN_CHARS characters;
- header and claims must be strict RFC 8259 JSON (UTF-8, no BOM, no NaN);
- header: no `crit` or `b64`, `typ` absent or "JWT";
- claims: iat/nbf/exp are integers (not floats, strings or booleans) within
  [0, MAX_TIMESTAMP]; exp - iat <= MAX_TOKEN_TTL_SECONDS; sub, jti, room are
  strings; role is one of ours; grants carries boolean can_subscribe and
  can_publish; ticket_id, if present, is a string; no `aud` claim at all.

Claims come back as orjson parses them: an integer outside [-2**63, 2**64) in
an extra claim becomes a float (stdlib json would keep it). Our issuer writes
none; the claims checked above must be exact integers anyway.
"""

from __future__ import annotations

import base64
import math
import re
import uuid
from enum import StrEnum
from typing import Any

import nacl.exceptions
import nacl.signing
import orjson

from api.admission.keys import (
    CANONICAL_LAST_CHAR_REM2,
    CANONICAL_LAST_CHAR_REM3,
    MAX_TOKEN_TTL_SECONDS,
    MAX_VERIFIER_LEEWAY_SECONDS,
    AdmissionKeyring,
    b64url_decode_strict,
    b64url_encode,
)
from domain.clock import Clock, require_utc

MAX_TOKEN_CHARS = 8192
"""Longer inputs are refused before any decoding. Assumption: identifiers are
capped at MAX_IDENTIFIER_CHARS, so our own tokens stay under ~4 KB; the issuer
checks it."""

MAX_IDENTIFIER_CHARS = 128
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z

# One pass over the whole token: three segments of the URL-safe alphabet, a
# signature of exactly 64 bytes whose last character has its 4 unused bits
# clear. Character classes exclude ".", so matching is linear. fullmatch, not
# "$" (which also matches before a trailing newline).
_TOKEN_RE = re.compile(r"([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{85}[AQgw])")


class AdmissionRole(StrEnum):
    HOST = "host"
    COHOST = "cohost"
    SPEAKER = "speaker"
    LISTENER = "listener"


_PUBLISHING_ROLES = frozenset({AdmissionRole.HOST, AdmissionRole.COHOST, AdmissionRole.SPEAKER})
_ROLE_VALUES = frozenset(role.value for role in AdmissionRole)


class TokenRejection(StrEnum):
    """Why a token was refused; stable codes a media server may log or count."""

    MALFORMED = "malformed"
    BAD_ALG = "bad_alg"
    UNKNOWN_KID = "unknown_kid"
    BAD_SIGNATURE = "bad_signature"
    INVALID_CLAIMS = "invalid_claims"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ROOM = "wrong_room"


class AdmissionTokenError(Exception):
    """The token admits no one: malformed, forged, expired or for another room."""

    def __init__(self, reason: TokenRejection) -> None:
        super().__init__(reason.value)
        self.reason = reason


def _header_segment(kid: str) -> str:
    """The exact header our issuer writes; the verifier recognises it without parsing."""
    return b64url_encode(orjson.dumps({"alg": "EdDSA", "typ": "JWT", "kid": kid}))


def _check_identifier(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_IDENTIFIER_CHARS:
        raise ValueError(f"{name} must be a non-empty string of at most {MAX_IDENTIFIER_CHARS} characters")
    return value


class AdmissionTokenIssuer:
    """Signs admission tokens with the keyring's current key.

    `ttl_seconds` is capped at MAX_TOKEN_TTL_SECONDS: key retention and the
    revocation feed both assume no token outlives it.
    """

    def __init__(
        self,
        keyring: AdmissionKeyring,
        clock: Clock,
        ttl_seconds: int = MAX_TOKEN_TTL_SECONDS,
        issuer: str = "boxoffice",
    ) -> None:
        if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be a positive integer")
        self._keyring = keyring
        self._clock = clock
        self.ttl_seconds = min(ttl_seconds, MAX_TOKEN_TTL_SECONDS)
        self.issuer = _check_identifier(issuer, "issuer")
        self._headers: dict[str, str] = {}

    def issue(
        self,
        sub: str,
        room: str,
        role: AdmissionRole | str,
        ticket_id: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Return (compact JWS, claims) admitting `sub` to `room` as `role`."""
        role = AdmissionRole(role)  # ValueError for anything else
        _check_identifier(sub, "sub")
        _check_identifier(room, "room")
        if ticket_id is not None:
            _check_identifier(ticket_id, "ticket_id")
        key = self._keyring.current
        iat = math.floor(require_utc(self._clock.now()).timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "room": room,
            "role": role.value,
            "grants": {"can_subscribe": True, "can_publish": role in _PUBLISHING_ROLES},
            "jti": uuid.uuid4().hex,
            "iat": iat,
            "nbf": iat,
            "exp": iat + self.ttl_seconds,
        }
        if ticket_id is not None:
            claims["ticket_id"] = ticket_id
        header = self._headers.get(key.kid)
        if header is None:
            header = self._headers[key.kid] = _header_segment(key.kid)
        signing_input = f"{header}.{b64url_encode(orjson.dumps(claims))}"
        signature = key.signing_key.sign(signing_input.encode("ascii")).signature
        token = f"{signing_input}.{b64url_encode(signature)}"
        if len(token) > MAX_TOKEN_CHARS:
            raise AssertionError("Safeguard, should never happen: token longer than verifiers accept")
        return token, claims


class AdmissionTokenVerifier:
    """Checks admission tokens with nothing but the public JWKS.

    Immutable: when the JWKS changes (rotation, pruning), build a new one.
    Every refusal is an AdmissionTokenError carrying a TokenRejection; no other
    exception escapes `verify` for any token input.
    """

    def __init__(
        self,
        jwks: dict[str, Any],
        clock: Clock,
        issuer: str = "boxoffice",
        leeway_seconds: int = 5,
    ) -> None:
        if not 0 <= leeway_seconds <= MAX_VERIFIER_LEEWAY_SECONDS:
            raise ValueError(f"leeway_seconds must be within 0..{MAX_VERIFIER_LEEWAY_SECONDS}")
        self._clock = clock
        self.issuer = issuer
        self.leeway_seconds = leeway_seconds
        self._keys = _load_jwks(jwks)
        # Exact header segments our issuer writes -> kid: the common case skips
        # base64 and JSON. Built from the JWKS only, never from token input.
        self._known_headers = {_header_segment(kid): kid for kid in self._keys}

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def verify(self, token: str, room: str | None = None) -> dict[str, Any]:
        """Return the claims of a valid token (for `room`, if given) or raise AdmissionTokenError."""
        if type(token) is not str:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        if len(token) > MAX_TOKEN_CHARS:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        match = _TOKEN_RE.fullmatch(token)
        if match is None:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        header_segment, payload_segment, signature_segment = match.groups()

        kid = self._known_headers.get(header_segment)
        if kid is None:
            kid = self._read_header(header_segment)
        verify_key = self._keys.get(kid)
        if verify_key is None:
            raise AdmissionTokenError(TokenRejection.UNKNOWN_KID)

        remainder = len(payload_segment) & 3
        if remainder == 1:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        if remainder == 2 and payload_segment[-1] not in CANONICAL_LAST_CHAR_REM2:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        if remainder == 3 and payload_segment[-1] not in CANONICAL_LAST_CHAR_REM3:
            raise AdmissionTokenError(TokenRejection.MALFORMED)

        # The regex admitted only ASCII, so these encodes/decodes cannot fail.
        signature = base64.urlsafe_b64decode(signature_segment + "==")
        signing_input = token[: len(header_segment) + 1 + len(payload_segment)].encode("ascii")
        try:
            verify_key.verify(signing_input, signature)
        except nacl.exceptions.BadSignatureError:
            raise AdmissionTokenError(TokenRejection.BAD_SIGNATURE) from None

        # Only authenticated bytes reach the JSON parser.
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(payload_segment + "=" * (-len(payload_segment) & 3)))
        except orjson.JSONDecodeError:
            raise AdmissionTokenError(TokenRejection.MALFORMED) from None
        if type(claims) is not dict:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        self._check_claims(claims, room)
        return claims

    def _read_header(self, segment: str) -> str:
        """Slow path for a header we did not write byte-for-byte; returns its kid."""
        try:
            header = orjson.loads(b64url_decode_strict(segment))
        except ValueError:  # orjson.JSONDecodeError is a ValueError
            raise AdmissionTokenError(TokenRejection.MALFORMED) from None
        if type(header) is not dict:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        # Only EdDSA, never taken from a list the token can influence: "none",
        # HS256 keyed with the public key, RS256 ... all stop here.
        if header.get("alg") != "EdDSA":
            raise AdmissionTokenError(TokenRejection.BAD_ALG)
        # We understand no extensions (RFC 7515 section 4.1.11), nor unencoded
        # payloads (RFC 7797 "b64", which PyJWT honours): refuse, don't ignore.
        if "crit" in header or "b64" in header:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        if "typ" in header and header["typ"] != "JWT":
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        kid = header.get("kid")
        if kid is None:
            raise AdmissionTokenError(TokenRejection.UNKNOWN_KID)
        if type(kid) is not str:
            raise AdmissionTokenError(TokenRejection.MALFORMED)
        return kid

    def _check_claims(self, claims: dict[str, Any], room: str | None) -> None:
        iat, nbf, exp = claims.get("iat"), claims.get("nbf"), claims.get("exp")
        # type() is not bool-tolerant on purpose: True is an int to isinstance.
        if type(iat) is not int or type(nbf) is not int or type(exp) is not int:
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        if not (0 <= iat <= MAX_TIMESTAMP and 0 <= nbf <= MAX_TIMESTAMP and 0 <= exp <= MAX_TIMESTAMP):
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        if exp - iat > MAX_TOKEN_TTL_SECONDS:
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        now = self._clock.now().timestamp()
        leeway = self.leeway_seconds
        if iat > now + leeway or nbf > now + leeway:
            raise AdmissionTokenError(TokenRejection.NOT_YET_VALID)
        if exp <= now - leeway:
            raise AdmissionTokenError(TokenRejection.EXPIRED)

        iss = claims.get("iss")
        if type(iss) is not str:
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        if iss != self.issuer:
            raise AdmissionTokenError(TokenRejection.WRONG_ISSUER)
        if "aud" in claims:  # not ours: we never issue audiences
            raise AdmissionTokenError(TokenRejection.WRONG_AUDIENCE)
        role = claims.get("role")
        if type(claims.get("sub")) is not str or type(claims.get("jti")) is not str:
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        if type(role) is not str or role not in _ROLE_VALUES:
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        grants = claims.get("grants")
        if (
            type(grants) is not dict
            or type(grants.get("can_subscribe")) is not bool
            or type(grants.get("can_publish")) is not bool
        ):
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        if "ticket_id" in claims and type(claims["ticket_id"]) is not str:
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        token_room = claims.get("room")
        if type(token_room) is not str:
            raise AdmissionTokenError(TokenRejection.INVALID_CLAIMS)
        if room is not None and token_room != room:
            raise AdmissionTokenError(TokenRejection.WRONG_ROOM)


def _load_jwks(jwks: dict[str, Any]) -> dict[str, nacl.signing.VerifyKey]:
    """Parse a JWKS of Ed25519 keys into kid -> VerifyKey, refusing anything else loudly."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise TypeError('JWKS must be an object with a "keys" list')
    loaded: dict[str, nacl.signing.VerifyKey] = {}
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise ValueError("only OKP/Ed25519 keys are supported")
        if jwk.get("alg", "EdDSA") != "EdDSA" or jwk.get("use", "sig") != "sig":
            raise ValueError("JWK must be for EdDSA signatures")
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ValueError("every JWK needs a kid")
        if kid in loaded:
            raise ValueError(f"duplicate kid {kid!r} in JWKS")
        x = jwk.get("x")
        try:
            public_key = b64url_decode_strict(x) if isinstance(x, str) else b""
        except ValueError:
            public_key = b""
        if len(public_key) != 32:
            raise ValueError(f"JWK {kid!r}: x must be 32 bytes of unpadded base64url")
        loaded[kid] = nacl.signing.VerifyKey(public_key)
    return loaded
