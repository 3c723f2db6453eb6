"""The consoles: server-rendered pages for creators (studio), finance and operators.

Jinja2 templates, a few lines of plain JavaScript, every asset served from here
(no CDN; a strict Content-Security-Policy). Pages call the JSON API in-process as
the signed-in user (client.py), so they enforce exactly the API's roles.

May import: api/ modules below the routers (auth, settings, problems), domain value types,
jinja2 and itsdangerous. Nothing below api/ imports it (the "Floors" contract in pyproject.toml).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from api.auth import TokenVerifier
from api.console import pages_auth, pages_finance, pages_ops, pages_studio
from api.console.render import STATIC, PageRefused
from api.console.session import Sessions


def install(app: FastAPI) -> None:
    """Mount the console's routes and static files on the API's app."""
    for module in (pages_auth, pages_studio, pages_finance, pages_ops):
        app.include_router(module.router)
    app.add_exception_handler(PageRefused, _refused)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)  # registered for this type only
    return exc.response


def start(app: FastAPI, verifier: TokenVerifier) -> None:
    """Called from the lifespan once settings are known."""
    app.state.console_sessions = Sessions(app.state.services.settings, verifier)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the console's in-process API calls are not news
