"""The operations console (role `admin`): readiness, projection lag, reactor positions, recent errors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.render import api, forbidden, page, sessions, to_sign_in
from api.recent_errors import RECENT

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/ops")
async def operations(request: Request) -> Response:
    session = sessions(request).current(request)
    if session is None:
        return to_sign_in(request)
    if not session.user.is_admin:
        return forbidden(request, session, "admin")
    ready = await api(request, session).get("/readyz")
    checks = (ready.body or {}).get("checks", {}) if isinstance(ready.body, dict) else {}
    projections = checks.get("projections") if isinstance(checks.get("projections"), dict) else {}
    others = {k: v for k, v in checks.items() if k != "projections"}
    return page(request, "ops.html", session=session, title="Operations", ready=ready.ok,
                readiness=ready.body.get("status") if isinstance(ready.body, dict) else "unknown",
                projections=projections, checks=others, errors=RECENT.newest())
