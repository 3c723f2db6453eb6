"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.deps import ServicesDep
from migrations.runner import current_revision, head_revision

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive. GET is answered by api/main.py (HotPaths) before the router."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, services: ServicesDep) -> JSONResponse:
    """Stores reachable, migrations applied, projections' lag."""
    checks: dict[str, object] = {}
    ready = True
    try:
        head = services.app.uow.position()
        checks["event_store"] = {"ok": True, "head": head}
    except Exception as exc:  # readiness reports any store failure instead of raising
        checks["event_store"] = {"ok": False, "error": type(exc).__name__}
        ready, head = False, 0
    try:
        url = services.settings.database_url
        current, wanted = current_revision(url), head_revision(url)
        checks["migrations"] = {"ok": current == wanted, "current": current, "head": wanted}
        ready = ready and current == wanted
    except Exception as exc:  # same: report, do not raise
        checks["migrations"] = {"ok": False, "error": type(exc).__name__}
        ready = False
    try:
        checks["projections"] = {s.name: {"position": s.position, "lag": s.lag} for s in services.projector.status()}
    except Exception as exc:  # same: report, do not raise
        checks["projections"] = {"ok": False, "error": type(exc).__name__}
        ready = False
    try:
        checks["reactors"] = services.reactors.status()  # lag and failures; never blocks readiness
    except Exception as exc:  # same: report, do not raise
        checks["reactors"] = {"ok": False, "error": type(exc).__name__}
    checks["payment_gateway"] = services.gateway.name
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503)
