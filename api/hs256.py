"""A fast path for HS256 caller tokens; PyJWT stays the judge of everything else.

PyJWT spends most of an HS256 decode in its own base64 and option handling
(about 100 µs here); a flash sale verifies a fresh token per purchase. This
path only ever *accepts*: a token in the exact form our issuers produce (one of
the canonical headers, a canonical signature, plain claim types) whose claims
pass the same checks PyJWT makes. Anything else, including every invalid
token, returns None and goes to PyJWT, which decides and words the error.
So the fast path cannot accept what PyJWT rejects; tests/properties/test_hs256.py
fuzzes exactly that. What PyJWT refuses and this path once let through: a
token without `exp` (required here and by the verifier), a payload whose
base64 is not canonical (trailing bits set), non-ASCII bytes (which made the
signing input raise: a 500), and a PEM or SSH public key used as the HMAC secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# The headers PyJWT and common issuers write for HS256, byte for byte.
CANONICAL_HEADERS = frozenset(
    _b64(json.dumps(h, separators=(",", ":")).encode())
    for h in ({"alg": "HS256", "typ": "JWT"}, {"typ": "JWT", "alg": "HS256"}, {"alg": "HS256"})
)


def _plain_int(value: Any) -> bool:
    return type(value) is int  # not bool, not float: anything looser goes to PyJWT


def pyjwt_accepts_key(secret: str) -> bool:
    """Whether PyJWT takes `secret` as an HMAC key: it refuses PEM, SSH and DER public keys
    and JWKs (algorithm confusion: anyone holding the public key could sign tokens)."""
    from jwt.algorithms import HMACAlgorithm
    from jwt.exceptions import InvalidKeyError

    try:
        HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)
    except InvalidKeyError:
        return False
    return True


class FastHS256:
    def __init__(self, secret: str, issuer: str | None = None, audience: str | None = None) -> None:
        # A key PyJWT refuses makes every token invalid: the fast path then accepts nothing.
        self._key: bytes | None = secret.encode() if pyjwt_accepts_key(secret) else None
        self._issuer = issuer
        self._audience = audience

    def accept(self, token: str, now: float | None = None) -> dict[str, Any] | None:
        """The claims if the token is certainly valid, else None (ask PyJWT)."""
        if self._key is None or not token.isascii():
            return None
        header, dot, rest = token.partition(".")
        payload, dot2, signature = rest.partition(".")
        if not dot or not dot2 or header not in CANONICAL_HEADERS or "." in signature:
            return None
        signing_input = token[: len(header) + 1 + len(payload)].encode("ascii")
        expected = _b64(hmac.new(self._key, signing_input, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            return None
        if len(payload) % 4 == 1 or not _SEGMENT.fullmatch(payload):
            return None
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            if _b64(raw) != payload:  # non-canonical: unused trailing bits set; PyJWT refuses it
                return None
            claims = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        if not isinstance(claims, dict) or not self._claims_ok(claims, time.time() if now is None else now):
            return None
        return claims

    def _claims_ok(self, claims: dict[str, Any], now: float) -> bool:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            return False
        if "jti" in claims and not isinstance(claims["jti"], str):
            return False
        for name in ("iat", "nbf"):
            if name in claims and not (_plain_int(claims[name]) and claims[name] <= now):
                return False
        if not (_plain_int(claims.get("exp")) and claims["exp"] > now):  # `exp` is required
            return False
        if self._issuer is not None and claims.get("iss") != self._issuer:
            return False
        if self._audience is not None:
            aud = claims.get("aud")
            if not (aud == self._audience or (isinstance(aud, list) and all(isinstance(a, str) for a in aud)
                                              and self._audience in aud)):
                return False
        roles = claims.get("roles", [])
        return isinstance(roles, list) and all(isinstance(r, str) for r in roles)
