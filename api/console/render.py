"""Rendering console pages: Jinja2 templates (autoescaped), security headers, the signed-in user.

Every console answer carries the strict Content-Security-Policy and no-store
caching; pages that need a user send a visitor without a session to sign-in.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.console.charts import format_minor
from api.console.client import ApiClient
from api.console.session import CONTENT_SECURITY_POLICY, Session, Sessions
from domain.money import CURRENCY_EXPONENTS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def money(amount: Any, currency: str = "USD") -> str:
    """Minor units for people: 99900 USD -> '999.00 USD'."""
    if amount is None:
        return ""
    return f"{format_minor(int(amount), CURRENCY_EXPONENTS.get(currency, 2))} {currency}"


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                   lstrip_blocks=True)
_env.filters["money"] = money
_env.filters["minor"] = lambda amount, currency="USD": format_minor(int(amount or 0),
                                                                   CURRENCY_EXPONENTS.get(currency, 2))


def sessions(request: Request) -> Sessions:
    return request.app.state.console_sessions


def page(request: Request, template: str, *, status: int = 200, session: Session | None = None,
         **context: Any) -> HTMLResponse:
    response = HTMLResponse("", status_code=status, headers=SECURITY_HEADERS)
    csrf = sessions(request).csrf_token(request, response)
    user = session.user if session else None
    body = _env.get_template(template).render(
        request=request, user=user, csrf_token=csrf, sandbox=_sandbox(request),
        development=request.app.state.services.settings.environment != "production", **context)
    response.body = response.render(body)
    response.headers["content-length"] = str(len(response.body))
    return response


def to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303, headers=SECURITY_HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def forbidden(request: Request, session: Session, role: str) -> HTMLResponse:
    return page(request, "message.html", status=403, session=session, title="Not for this account",
                message=f"This page needs the `{role}` role, and the API would refuse it to you too.")


class PageRefused(Exception):
    """Raised by a page's sign-in dependency: answer with `response` (sign-in redirect or a 403 page)."""

    def __init__(self, response: Response) -> None:
        super().__init__("page refused")
        self.response = response


def page_session(role: str | None) -> Callable[[Request], Awaitable[Session]]:
    """A FastAPI dependency: the signed-in session, holding `role` (admin holds every role)."""

    async def current(request: Request) -> Session:
        session = sessions(request).current(request)
        if session is None:
            raise PageRefused(to_sign_in(request))
        if role is not None and not session.user.has(role):
            raise PageRefused(forbidden(request, session, role))
        return session

    return current


def api(request: Request, session: Session) -> ApiClient:
    return ApiClient(request, session.token)


def plain(content: bytes, media_type: str, headers: dict[str, str] | None = None) -> Response:
    return Response(content, media_type=media_type, headers={**SECURITY_HEADERS, **(headers or {})})


def _sandbox(request: Request) -> bool:
    return request.app.state.services.gateway.name == "sandbox"
