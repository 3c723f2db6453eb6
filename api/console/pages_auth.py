"""Signing in and out of the console, and the landing page that sends each role to its console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from api.auth import ROLES, issue_token
from api.console.render import page, redirect, sessions
from api.console.session import check_csrf
from api.problems import Problem

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str | None, Form(alias="csrf_token")]


def _safe_next(target: str | None) -> str:
    """Only our own console paths: never an open redirect."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


@router.get("/")
async def root() -> Response:
    return redirect("/console")


@router.get("/console")
async def home(request: Request) -> Response:
    session = sessions(request).current(request)
    if session is None:
        return redirect("/console/login")
    user = session.user
    if user.has("finance") and not user.has("creator"):
        return redirect("/console/finance")
    if user.has("creator"):
        return redirect("/console/studio")
    return page(request, "home.html", session=session, title="Welcome")


@router.get("/console/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", title="Sign in", next=_safe_next(next), roles=sorted(ROLES))


@router.post("/console/login")
async def login(request: Request, token: Annotated[str, Form()], csrf: CsrfField = None,
                next: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    response = redirect(_safe_next(next))
    try:
        sessions(request).sign_in(response, token.strip())
    except Problem as problem:
        return page(request, "login.html", status=401, title="Sign in", next=_safe_next(next),
                    roles=sorted(ROLES), error=f"That token was not accepted: {problem.detail}")
    return response


@router.post("/console/login-as")
async def login_as(request: Request, user_id: Annotated[str, Form()], roles: Annotated[list[str], Form()],
                   csrf: CsrfField = None) -> Response:
    """Development only: mint a token for any user and roles, as `boxoffice token` does."""
    check_csrf(request, csrf)
    settings = request.app.state.services.settings
    if settings.environment == "production":
        raise Problem("not_found", "there is no such page")
    if not user_id.strip() or not roles or set(roles) - ROLES:
        return page(request, "login.html", status=422, title="Sign in", next="/console", roles=sorted(ROLES),
                    error="Give a user id and at least one known role.")
    token = issue_token(settings.auth_secret, user_id.strip(), sorted(set(roles)), ttl_seconds=8 * 3600)
    response = redirect("/console")
    sessions(request).sign_in(response, token)
    return response


@router.post("/console/logout")
async def logout(request: Request, csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    response = redirect("/console/login")
    sessions(request).sign_out(response)
    return response
