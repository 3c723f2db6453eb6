"""The purchase, the hottest write of all, served as a plain Starlette route.

Mounted in front of the FastAPI route that documents it (api/main.py), like the
admission check. In a flash sale the request work around the reservation
dominates: FastAPI's dependency and parameter machinery and the thread-pool
hop of a sync endpoint cost more per purchase than the group-committed
transaction itself. Here the request stays on the event loop: it awaits the
reservation's future, and only leaves the loop
when the purchase needs more I/O (a replay, a processor round trip, a sweep
of expired holds before saying sold out). The answers are the FastAPI route's:
the same validation problems, statuses and headers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorize, prepare_scope
from api.bootstrap import Services
from api.deps import parse_id
from api.presenters import ticket_json
from api.problems import Problem
from api.schemas import TicketCreate
from api.scope import header
from domain.sales.purchases import Purchase
from store.pacing_sql import QueueState

MAX_KEY_LENGTH = 255


async def serve_purchase(request: Request) -> Response:
    verifier = request.app.state.token_verifier
    if verifier.fetches:  # a JWKS fetch never blocks the event loop
        await prepare_scope(request.scope, verifier)
    user = authorize(request, "listener")
    services: Services = request.app.state.services
    room_id = parse_id(request.path_params["room_id"], "room")
    key = _idempotency_key(request)
    body = _body(request, await request.body())
    app = services.app
    if body.offer_id is not None:  # the seat a waitlist offer holds (domain/sales/waitlist_commands.py)
        if body.code is not None or body.tier_id is not None:
            raise Problem("validation", "an offer is bought as offered: without a code or another tier")
        return respond(services, await run_in_threadpool(
            app.buy_with_offer, body.offer_id, user.sub, room_id=room_id, payment_method=body.payment_method,
            amount=body.amount))
    reservation = app.purchase_request(room_id, user.sub, idempotency_key=key, payment_method=body.payment_method,
                                       tier_id=body.tier_id, code=body.code, amount=body.amount)
    outcome = app.sold_out.refusal(reservation)  # a room a claim just found sold out answers at once
    if outcome is None:
        outcome = await asyncio.wrap_future(app.reservations.submit(reservation))
    if app.purchase_is_settled(outcome):
        purchase = app.complete_purchase(reservation, outcome)
    else:
        purchase = await run_in_threadpool(app.complete_purchase, reservation, outcome)
    return respond(services, purchase)


def respond(services: Services, purchase: Purchase) -> Response:
    # No wait for the projector here: reads of the projections wait for the log head
    # instead (api/deps.py, fresh_reads), which keeps read-your-writes for the buyer.
    ticket = purchase.ticket
    if ticket.status.value == "released" and ticket.release_reason == "payment_failed":
        # The same answer for the same Idempotency-Key: still declined.
        session = purchase.session
        raise Problem("payment_declined",
                      (session.failure_message if session else None) or "the payment was declined; the seat was released",
                      ticket_id=str(ticket.id), decline_code=session.failure_code if session else None)
    if purchase.payment_error is not None and purchase.session is None and ticket.status.value == "reserved":
        # The processor is unreachable: the seat stays held until the hold expires, and a retry
        # with the same Idempotency-Key resumes the payment. Nothing to pay with yet: a 503.
        raise Problem("payment_unavailable",
                      f"the payment processor is unreachable; the seat is held until "
                      f"{ticket.hold_expires_at.isoformat()}: retry with the same Idempotency-Key",
                      headers={"Retry-After": "5"}, ticket_id=str(ticket.id))
    queued = None
    if purchase.queue_position is not None:  # held; its PaymentIntent waits for Stripe's rate budget
        queued = QueueState("queued", purchase.queue_position, None, None)
    body = ticket_json(ticket, purchase.session, purchase.payment_error, services.gateway.name, queued)
    headers = {"Location": f"/v1/tickets/{ticket.id}"}
    if purchase.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, status_code=201, media_type="application/json", headers=headers)


def _header(request: Request, name: bytes) -> str | None:
    value = header(request.scope, name)
    return value.decode("latin-1") if value is not None else None


def _idempotency_key(request: Request) -> str | None:
    key = _header(request, b"idempotency-key")
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise RequestValidationError([{
            "type": "string_too_long", "loc": ("header", "idempotency-key"),
            "msg": f"String should have at most {MAX_KEY_LENGTH} characters", "input": key,
        }])
    return key


def _body(request: Request, raw: bytes) -> TicketCreate:
    """The optional JSON body, read as FastAPI reads `body: TicketCreate | None`."""
    if not raw:
        return TicketCreate()
    content_type = (_header(request, b"content-type") or "").split(";")[0].strip().lower()
    data: Any = raw
    if not content_type or content_type == "application/json" or (
            content_type.startswith("application/") and content_type.endswith("+json")):
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # nesting is limited before (api/limits.py); safeguard
            raise RequestValidationError([{
                "type": "json_invalid", "loc": ("body", getattr(exc, "pos", 0)), "msg": "JSON decode error",
                "input": {},
            }]) from None
    if data is None:
        return TicketCreate()
    try:
        return TicketCreate.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
