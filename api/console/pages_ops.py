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
                readiness=_readiness(ready.ok, ready.body),
                projections=projections, checks=others, errors=RECENT.newest())


def _readiness(ok: bool, body: object) -> str:
    """`ready`, or what the 503 problem says is wrong (its detail)."""
    if not isinstance(body, dict):
        return "unknown"
    return "ready" if ok else f"not ready: {body.get('detail') or body.get('status')}"
