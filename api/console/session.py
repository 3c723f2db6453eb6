"""Console sign-in: the API's own bearer JWT kept in a signed, HttpOnly cookie, and CSRF checks.

Why a cookie at all: a browser cannot attach `Authorization: Bearer` to a plain
form post or a link. The cookie holds the very token the API accepts, signed
with `itsdangerous` so it cannot be swapped for another cookie value, and it
expires with the token. Every page then calls the API *as that token*
(api/console/client.py), so a page can never show what the API would refuse.

CSRF: double submit. Each browser gets a random `bo_csrf` cookie (SameSite=Strict);
every form carries the same value in a hidden `csrf_token` field, and a POST
whose field does not match the cookie (compared in constant time), or whose
`Origin` names another site, is refused before anything runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from api.auth import Principal, TokenVerifier
from api.problems import Problem
from api.settings import Settings

SESSION_COOKIE = "bo_session"
CSRF_COOKIE = "bo_csrf"
CSRF_FIELD = "csrf_token"

# Strict: nothing but our own files, no inline script or style, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def session_key(settings: Settings) -> bytes:
    """The cookie-signing key: its own setting, or derived from the auth secret (never the secret itself)."""
    base = settings.session_secret or settings.auth_secret
    return hashlib.sha256(b"boxoffice-console-session:" + base.encode()).digest()


@dataclass(frozen=True)
class Session:
    token: str
    user: Principal
    expires_at: float


class Sessions:
    """Reads and writes the console's session cookie; the token inside is verified on every request."""

    def __init__(self, settings: Settings, verifier: TokenVerifier) -> None:
        self._serializer = URLSafeSerializer(session_key(settings), salt="console-session")
        self._verifier = verifier
        self._secure = settings.environment == "production"

    def current(self, request: Request) -> Session | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw)
            token, expires_at = str(data["t"]), float(data["e"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if expires_at <= time.time():
            return None
        try:
            user = self._verifier.verify(token)
        except Problem:
            return None
        return Session(token, user, expires_at)

    def sign_in(self, response: Response, token: str) -> Principal:
        """Verify `token` as the API would, then keep it in the cookie until the token's own `exp`."""
        user = self._verifier.verify(token)
        expires_at = _token_expiry(token)
        max_age = int(expires_at - time.time())
        if max_age <= 0:
            raise Problem("unauthenticated", "this token has expired")
        response.set_cookie(SESSION_COOKIE, self._serializer.dumps({"t": token, "e": expires_at}), max_age=max_age,
                            httponly=True, samesite="lax", secure=self._secure, path="/")
        return user

    def sign_out(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=self._secure)

    def csrf_token(self, request: Request, response: Response) -> str:
        """The browser's CSRF value, minted (and set as a cookie) on its first page."""
        value = request.cookies.get(CSRF_COOKIE)
        if not value or len(value) != 43:
            value = secrets.token_urlsafe(32)
            response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", secure=self._secure, path="/")
        return value


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form post without the matching CSRF value, or from another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin != expected:
            raise Problem("forbidden", "this form was posted from another site")
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not submitted or not cookie or not hmac.compare_digest(submitted.encode(), cookie.encode()):
        raise Problem("forbidden", "the form's CSRF token is missing or wrong: reload the page and try again")


def _token_expiry(token: str) -> float:
    """The token's `exp` (already verified by the verifier, which requires a well-formed token)."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise Problem("unauthenticated", "the token has no `exp`: console sessions need tokens that expire")
    return float(exp)
