"""Stripe calls us: `POST /v1/webhooks/stripe`, signature-checked over the raw body."""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.problems import Problem
from domain.payments import PaymentGatewayError

router = APIRouter(tags=["webhooks"])


@router.post("/v1/webhooks/stripe")
async def stripe_webhook(request: Request, services: ServicesDep) -> JSONResponse:
    """Verify `Stripe-Signature` (missing, tampered or stale: 400, nothing written), then
    apply the event once. 503 asks Stripe to retry when Stripe itself could not be re-read, or when
    the event's object kept changing under it."""
    from starlette.concurrency import run_in_threadpool

    from payouts.stripe_gateway import WebhookSignatureError, parse_webhook

    secret = services.settings.stripe_webhook_secret
    if not secret:
        raise Problem("invalid_signature", "Stripe webhooks are not configured (BOXOFFICE_STRIPE_WEBHOOK_SECRET)")
    payload = await request.body()
    try:
        event = parse_webhook(payload, request.headers.get("stripe-signature"), secret)
    except WebhookSignatureError as exc:
        raise Problem("invalid_signature", f"signature rejected: {exc}") from None
    try:
        outcome = await run_in_threadpool(services.webhooks.handle, event)
    except PaymentGatewayError as exc:
        raise Problem("payment_unavailable", f"could not re-read the object from Stripe: {exc}", status=503,
                      headers={"Retry-After": "30"}) from None
    except IntegrityError:  # lost its race for the ticket several times over (payouts/stripe_events.py)
        raise Problem("service_unavailable", "the object changed concurrently while this event was applied; Stripe retries it",
                      status=503, headers={"Retry-After": "5"}) from None
    return JSONResponse({"received": True, "id": outcome.event_id, "type": outcome.type, "handled": outcome.handled,
                         "duplicate": outcome.duplicate, "detail": outcome.detail})
