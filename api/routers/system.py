"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.deps import ServicesDep
from api.problems import RETRY_AFTER_SECONDS, problem_response
from migrations.runner import current_revision, head_revision

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive. GET is answered by api/main.py (HotPaths) before the router."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, services: ServicesDep) -> Response:
    """Stores reachable, migrations applied, no projection stuck or too far behind.

    Ready: 200 with the checks. Not ready: 503, an RFC 9457 problem whose `type` says why
    (`not_ready`: a store or the migrations; `projection_stuck`: a projection cannot apply an
    event, named in `stuck`; `projection_lagging`: more than BOXOFFICE_READYZ_MAX_PROJECTION_LAG
    events behind), with the same checks.
    """
    checks: dict[str, object] = {}
    reasons: list[tuple[str, str]] = []  # (problem type, what is wrong), most serious first
    try:
        head = services.app.uow.position()
        checks["event_store"] = {"ok": True, "head": head}
    except Exception as exc:  # readiness reports any store failure instead of raising
        checks["event_store"] = {"ok": False, "error": type(exc).__name__}
        reasons.append(("not_ready", f"the event store is unreachable ({type(exc).__name__})"))
    try:
        url = services.settings.database_url
        current, wanted = current_revision(url), head_revision(url)
        checks["migrations"] = {"ok": current == wanted, "current": current, "head": wanted}
        if current != wanted:
            reasons.append(("not_ready", f"migrations at {current}, not at head {wanted}"))
    except Exception as exc:  # same: report, do not raise
        checks["migrations"] = {"ok": False, "error": type(exc).__name__}
        reasons.append(("not_ready", f"the migrations cannot be read ({type(exc).__name__})"))
    stuck: list[dict[str, object]] = []
    try:
        statuses = services.projector.status()
        checks["projections"] = {s.name: {"position": s.position, "lag": s.lag,
                                          **({"failing": {**s.fault.public(), "stuck": s.stuck}} if s.fault else {})}
                                 for s in statuses}
        stuck = [s.fault.public() for s in statuses if s.stuck and s.fault]
        reasons += [("projection_stuck", s.fault.summary) for s in statuses if s.stuck and s.fault]
        bound = services.settings.readyz_max_projection_lag
        reasons += [("projection_lagging", f"projection {s.name} is {s.lag} events behind the log (at most {bound})")
                    for s in statuses if bound and s.lag > bound and not s.stuck]
    except Exception as exc:  # same: report, do not raise
        checks["projections"] = {"ok": False, "error": type(exc).__name__}
        reasons.append(("not_ready", f"the projections' positions cannot be read ({type(exc).__name__})"))
    try:
        checks["reactors"] = services.reactors.status()  # lag and failures; never blocks readiness
    except Exception as exc:  # same: report, do not raise
        checks["reactors"] = {"ok": False, "error": type(exc).__name__}
    checks["payment_gateway"] = services.gateway.name
    if not reasons:
        return JSONResponse({"status": "ready", "checks": checks})
    order = ("not_ready", "projection_stuck", "projection_lagging")
    code = min((code for code, _ in reasons), key=order.index)
    return problem_response(request, code, "; ".join(detail for _, detail in reasons), 503,
                            headers={"Retry-After": RETRY_AFTER_SECONDS}, stuck=stuck or None, checks=checks)
