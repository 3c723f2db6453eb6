"""RFC 9457 problem responses with stable `type`s, and the handlers that make them.

The domain raises typed errors with a `code`; this module owns the mapping to
HTTP statuses. No stack trace ever reaches a client; an unexpected exception
is logged with the request's correlation id and answered as a 500 problem.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from eventsourcing import persistence as es_persistence
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError
from domain.payments import PaymentGatewayError
from projections.faults import ProjectionStuckError

log = logging.getLogger("boxoffice.api")

# Errors that mean "the database cannot be reached now" (server down or restarting, pool
# exhausted, connection dropped): answered 503 with Retry-After; recovery needs nothing of ours,
# the pools reconnect on their own. (psycopg's PoolTimeout is an OperationalError.)
DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (
    es_persistence.OperationalError, es_persistence.InterfaceError, psycopg.OperationalError,
    psycopg.InterfaceError)
RETRY_AFTER_SECONDS = "2"

PROBLEM_JSON = "application/problem+json"
# A validation problem names at most this many errors: a 900 kB body of 70,000 unknown fields was
# answered with all of them, 9.4 MB and 0.6 s of the event loop per request.
MAX_ERRORS = 20

STATUS_BY_CODE: dict[str, int] = {
    "not_found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "validation": 422,
    "invalid_price": 422,
    "invalid_capacity": 422,
    "invalid_schedule": 422,
    "not_eligible": 403,
    "sold_out": 409,
    "not_on_sale": 409,
    "already_has_ticket": 409,
    "tier_sold_out": 409,
    "tier_not_on_sale": 409,
    "unknown_tier": 404,
    "tier_required": 422,
    "room_has_tiers": 409,
    "code_invalid": 422,
    "refund_window_closed": 409,
    "below_minimum_price": 422,
    "fixed_price": 422,
    "code_exhausted": 409,
    "code_taken": 409,
    "not_transferable": 409,
    "not_sold_out": 409,
    "already_on_waitlist": 409,
    "not_on_waitlist": 404,
    "offer_expired": 409,
    "invalid_state": 409,
    "invalid_ticket_state": 409,
    "too_many_cohosts": 409,
    "too_many_speakers": 409,
    "conflict": 409,
    "payment_declined": 402,
    "payment_unavailable": 503,
    "idempotency_in_progress": 409,
    "idempotency_conflict": 409,
    "invalid_signature": 400,
    "malformed_json": 400,
    "invalid_datetime": 400,
    "payload_too_large": 413,
    "service_unavailable": 503,
    "not_ready": 503,
    "projection_stuck": 503,
    "projection_lagging": 503,
}

TITLES: dict[str, str] = {
    "not_found": "Not found",
    "forbidden": "Forbidden",
    "unauthenticated": "Authentication required",
    "validation": "Invalid request",
    "invalid_price": "Invalid ticket price",
    "invalid_capacity": "Invalid capacity",
    "invalid_schedule": "Invalid schedule",
    "not_eligible": "Not eligible to host",
    "sold_out": "Sold out",
    "not_on_sale": "Not on sale",
    "already_has_ticket": "Already holds a ticket",
    "tier_sold_out": "Tier sold out",
    "tier_not_on_sale": "Tier not on sale",
    "unknown_tier": "Unknown tier",
    "tier_required": "Tier required",
    "not_transferable": "Ticket not transferable",
    "not_sold_out": "Not sold out",
    "already_on_waitlist": "Already on the waitlist",
    "not_on_waitlist": "Not on the waitlist",
    "offer_expired": "Offer expired",
    "conflict": "Conflict",
    "payment_declined": "Payment declined",
    "payment_unavailable": "Payment processor unavailable",
    "idempotency_conflict": "Idempotency-Key reused with other parameters",
    "invalid_datetime": "Invalid date and time",
    "payload_too_large": "Request body too large",
    "service_unavailable": "Service unavailable",
    "not_ready": "Not ready",
    "projection_stuck": "A projection cannot apply an event",
    "projection_lagging": "Projections behind the event log",
    "internal": "Internal error",
}


class Problem(Exception):
    """Raise from a route to answer with a problem response."""

    def __init__(self, code: str, detail: str, status: int | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status or STATUS_BY_CODE.get(code, 400)
        self.headers = headers or {}
        self.extra = extra


def problem_response(request: Request, code: str, detail: str, status: int | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    status = status or STATUS_BY_CODE.get(code, 400)
    body = {
        "type": code,
        "title": TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **{k: v for k, v in extra.items() if v is not None},
    }
    correlation = getattr(request.state, "correlation_id", None)
    if correlation:
        body["correlation_id"] = correlation
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_code(errors: list[dict[str, Any]]) -> str:
    """Name the problem after the field that broke, where it has a business name."""
    for error in errors:
        if error.get("type") == "datetime_not_in_utc":
            return "invalid_datetime"
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if error.get("type") in ("json_invalid", "json_too_deep"):
            return "malformed_json"
        if "ticket_price" in loc or "price" in loc or "currency" in loc:
            return "invalid_price"
        if "capacity" in loc:
            return "invalid_capacity"
        if "scheduled_start" in loc or "sales_end" in loc:
            return "invalid_schedule"
    return "validation"


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.code, exc.detail, exc.status, exc.headers, **exc.extra)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | bool)}
        return problem_response(request, exc.code, exc.detail, **extra)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # Optimistic concurrency: someone changed the same aggregate meanwhile.
        return problem_response(request, "conflict", "the resource changed concurrently; retry the request",
                                headers={"Retry-After": "1"})

    @app.exception_handler(PaymentGatewayError)
    async def _gateway(request: Request, exc: PaymentGatewayError) -> JSONResponse:
        return problem_response(request, "payment_unavailable", str(exc), headers={"Retry-After": "5"})

    @app.exception_handler(ProjectionStuckError)
    async def _stuck(request: Request, exc: ProjectionStuckError) -> JSONResponse:
        # The read tables a request needed caught up cannot be: one of them cannot apply an event.
        log.error("%s", exc)
        return problem_response(request, "projection_stuck", str(exc), headers={"Retry-After": RETRY_AFTER_SECONDS},
                                stuck=[fault.public() for fault in exc.faults])

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in found[:MAX_ERRORS]
        ]
        code = _validation_code(errors)
        status = 400 if code in ("malformed_json", "invalid_datetime") else None
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        if len(found) > MAX_ERRORS:
            detail += f"; and {len(found) - MAX_ERRORS} more"
        return problem_response(request, code, detail, status, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's only 400 is a body it could not decode (bytes that are not UTF-8, which its JSON
        # parse does not count as a JSON error): to the client that is malformed JSON like any other.
        code = {400: "malformed_json", 404: "not_found", 405: "method_not_allowed", 401: "unauthenticated",
                403: "forbidden"}.get(exc.status_code, "http_error")
        return problem_response(request, code, str(exc.detail), exc.status_code,
                                headers=getattr(exc, "headers", None))

    for unreachable in DATABASE_UNREACHABLE:
        @app.exception_handler(unreachable)
        async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
            # The database is down or restarting: say so and when to retry, never a bare 500.
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
            return problem_response(request, "service_unavailable",
                                    "the database is unavailable; nothing was acknowledged, retry shortly",
                                    headers={"Retry-After": RETRY_AFTER_SECONDS})

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, "internal", "an internal error occurred; it has been logged", 500)
