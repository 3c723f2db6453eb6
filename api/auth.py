"""Who is calling: JWT bearer tokens with `sub` and `roles`.

HS256 with BOXOFFICE_AUTH_SECRET by default (development, tests, the CLI's
`token` command); a PEM public key (RS256, ES256, EdDSA) or a JWKS URL for
production identity providers. PyJWT does the verification; HS256 tokens in
the exact form our issuers write take a fuzzed fast path that can only accept
what PyJWT accepts (api/hs256.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
import jwt
from fastapi import Depends, Request

from api.hs256 import FastHS256
from api.problems import Problem
from api.scope import header
from api.settings import Settings
from domain.policies import EligibilityClaims

ROLES = frozenset({"listener", "creator", "finance", "media", "admin", "platform"})
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    # Signed facts for host eligibility, when the identity provider puts them in the token.
    followers: int | None = None
    age_verified: bool | None = None

    @property
    def claims(self) -> EligibilityClaims:
        return EligibilityClaims(self.followers, self.age_verified)

    def has(self, *roles: str) -> bool:
        held = self.roles
        if "admin" in held:
            return True
        for role in roles:  # a loop, not any(): this runs on every admission check
            if role in held:
                return True
        return False

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class TokenVerifier:
    """Verifies caller tokens with PyJWT, remembering tokens it already verified.

    Media servers send the same token thousands of times a minute; a verified
    token is remembered (by its exact text) until its `exp`, at most
    `CACHE_SECONDS`, so a repeat costs a dict lookup instead of a signature check.
    """

    CACHE_SECONDS = 60
    CACHE_ENTRIES = 50_000

    def __init__(self, settings: Settings) -> None:
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._issuer = settings.auth_issuer
        self._audience = settings.auth_audience
        self._jwks: jwt.PyJWKClient | None = None
        self._fast: FastHS256 | None = None
        self.fetches = bool(settings.auth_jwks_url)  # verifying may wait on the identity provider's JWKS
        if settings.auth_jwks_url:
            self._jwks = jwt.PyJWKClient(settings.auth_jwks_url, cache_keys=True, lifespan=300)
            self._key: Any = None
            self._algorithms = ["RS256", "ES256", "EdDSA"]
        elif settings.auth_public_key:
            self._key = settings.auth_public_key
            self._algorithms = ["RS256", "ES256", "EdDSA"]
        else:
            self._key = settings.auth_secret
            self._algorithms = ["HS256"]
            self._fast = FastHS256(settings.auth_secret, self._issuer, self._audience)

    def blocks(self, token: str) -> bool:
        """Whether verifying `token` may wait on the network (a JWKS fetch): not remembered yet."""
        if self._jwks is None:
            return False
        hit = self._cache.get(token)
        return hit is None or hit[1] <= time.time()

    async def verify_async(self, token: str) -> Principal:
        """`verify` that never blocks the event loop: a JWKS fetch runs in a worker thread."""
        if self.blocks(token):
            return await anyio.to_thread.run_sync(self.verify, token)
        return self.verify(token)

    def verify(self, token: str) -> Principal:
        now = time.time()
        hit = self._cache.get(token)
        if hit is not None and hit[1] > now:
            return hit[0]
        if not token.isascii():  # a JWT is base64url and dots; PyJWT refuses anything else too
            raise Problem("unauthenticated", "invalid token: not a JWT (non-ASCII characters)", headers=_INVALID)
        principal, expires = self._verify(token)
        if len(self._cache) >= self.CACHE_ENTRIES:
            self._cache.clear()
        self._cache[token] = (principal, min(expires, now + self.CACHE_SECONDS))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        claims = self._fast.accept(token) if self._fast is not None else None
        if claims is not None:
            return self._principal(claims)
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._key
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["sub", "exp"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise Problem("unauthenticated", f"invalid token: {exc}", headers=_INVALID) from None
        return self._principal(claims)

    @staticmethod
    def _principal(claims: dict[str, Any]) -> tuple[Principal, float]:
        expires = float(claims["exp"]) if isinstance(claims.get("exp"), int | float) else time.time()
        sub, roles = claims.get("sub"), claims.get("roles", [])
        if not isinstance(sub, str) or not sub.strip():
            raise Problem("unauthenticated", "token `sub` must be a non-empty string")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Problem("unauthenticated", "token `roles` must be a list of strings")
        followers, age_verified = claims.get("followers"), claims.get("age_verified")
        return Principal(sub, frozenset(r for r in roles if r in ROLES),
                         followers if type(followers) is int and followers >= 0 else None,
                         age_verified if type(age_verified) is bool else None), expires


def issue_token(secret: str, sub: str, roles: list[str], ttl_seconds: int = 3600, now: float | None = None) -> str:
    """A signed HS256 token for local use (CLI, demo, tests)."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    issued = int(now if now is not None else time.time())
    return jwt.encode({"sub": sub, "roles": roles, "iat": issued, "exp": issued + ttl_seconds}, secret, algorithm="HS256")


async def principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem("unauthenticated", "send `Authorization: Bearer <JWT>`", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify_async(token.strip())


def authorize(request: Request, *roles: str) -> Principal:
    """The caller, checked for one of `roles`, without FastAPI's dependency machinery (hot paths)."""
    return authorize_scope(request.scope, *roles)


def _scope_token(scope: Any) -> bytes:
    raw = header(scope, b"authorization") or b""
    return raw[7:].strip() if raw[:7].lower() == b"bearer " else b""


async def prepare_scope(scope: Any, verifier: TokenVerifier | None = None) -> None:
    """Before a sync `authorize_scope` on the event loop: verify off the loop what would block it."""
    verifier = verifier or scope["app"].state.token_verifier
    token = _scope_token(scope)
    if token:
        text = token.decode("latin-1")
        if verifier.blocks(text):
            await verifier.verify_async(text)


def authorize_scope(scope: Any, *roles: str, verifier: TokenVerifier | None = None) -> Principal:
    """`authorize` for a plain ASGI endpoint: the header straight from the scope."""
    raw = header(scope, b"authorization") or b""
    token = raw[7:].strip()
    if raw[:7].lower() != b"bearer " or not token:
        raise Problem("unauthenticated", "send `Authorization: Bearer <JWT>`", headers={"WWW-Authenticate": "Bearer"})
    user = (verifier or scope["app"].state.token_verifier).verify(token.decode("latin-1"))
    if not user.has(*roles):
        raise Problem("forbidden", f"this needs one of the roles: {', '.join(roles)}")
    return user


CurrentUser = Annotated[Principal, Depends(principal)]


def require(*roles: str):  # noqa: ANN201 - a FastAPI dependency factory
    async def check(user: CurrentUser) -> Principal:
        if not user.has(*roles):
            raise Problem("forbidden", f"this needs one of the roles: {', '.join(roles)}")
        return user

    return Depends(check)


Listener = Annotated[Principal, require("listener")]
Creator = Annotated[Principal, require("creator")]
Finance = Annotated[Principal, require("finance")]
Media = Annotated[Principal, require("media")]
Platform = Annotated[Principal, require("platform")]  # the platform's own services (and admins)
Admin = Annotated[Principal, require("admin")]
