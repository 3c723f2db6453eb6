"""Integrators' webhook endpoints: `/v1/webhook-endpoints` (admin; finance for finance events).

The secret (`whsec_...`, Standard Webhooks) is answered once, on creation and on
rotation; after a rotation the old one keeps signing for 24 hours.
"""

from __future__ import annotations

import base64
import os
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.auth import CurrentUser, Finance
from api.deps import FreshReads, ManagedEndpoint, ServicesDep, may_manage_webhooks, parse_id, wait_for
from api.problems import Problem
from integrations import webhook_log
from integrations.ssrf import UnsafeURLError, check_url
from integrations.webhook_events import event_types

router = APIRouter(tags=["webhooks"])

Url = Annotated[str, StringConstraints(min_length=8, max_length=2048)]
EventList = Annotated[list[str], Field(min_length=1, max_length=50)]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url
    events: EventList
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url | None = None
    events: EventList | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    enabled: bool | None = None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def _db(services):  # noqa: ANN001, ANN202
    return services.db


def _checked(services, url: str | None, events: list[str] | None) -> None:  # noqa: ANN001
    if events is not None:
        unknown = sorted(set(events) - set(event_types()))
        if unknown:
            raise Problem("validation", f"unknown event types {unknown}; known: {', '.join(event_types())}")
    if url is not None:
        try:
            check_url(url, services.settings.environment)
        except UnsafeURLError as exc:
            raise Problem("unsafe_url", str(exc), status=422) from None


def _public(services, endpoint_id: str) -> dict:  # noqa: ANN001
    row = webhook_log.endpoint(_db(services), endpoint_id)
    if row is None:
        raise Problem("not_found", f"webhook endpoint {endpoint_id} not found")
    return webhook_log.endpoint_public(row, services.clock.now())


@router.post("/v1/webhook-endpoints", status_code=201)
def create_endpoint(body: WebhookEndpointCreate, user: CurrentUser, services: ServicesDep) -> JSONResponse:
    """Register an endpoint; the answer holds its `secret`, shown this once."""
    events = list(dict.fromkeys(body.events))
    may_manage_webhooks(user, events)
    _checked(services, body.url, events)
    secret = new_secret()
    endpoint, position = services.app.register_webhook_endpoint(body.url, events, body.description, secret, user.sub)
    wait_for(services, position)
    return JSONResponse({**_public(services, str(endpoint.id)), "secret": secret}, status_code=201)


@router.get("/v1/webhook-endpoints", dependencies=[FreshReads])
def list_endpoints(user: Finance, services: ServicesDep) -> JSONResponse:
    """Every endpoint (admin and finance), with `enabled` and why one was disabled."""
    now = services.clock.now()
    return JSONResponse({"items": [webhook_log.endpoint_public(r, now) for r in webhook_log.endpoints(_db(services))],
                         "event_types": event_types()})


@router.get("/v1/webhook-endpoints/{endpoint_id}", dependencies=[FreshReads])
def get_endpoint(endpoint_id: str, user: Finance, services: ServicesDep) -> JSONResponse:
    """One endpoint (admin and finance)."""
    return JSONResponse(_public(services, str(parse_id(endpoint_id, "webhook endpoint"))))


@router.patch("/v1/webhook-endpoints/{endpoint_id}")
def change_endpoint(endpoint_id: str, body: WebhookEndpointUpdate, allowed: ManagedEndpoint,
                    services: ServicesDep) -> JSONResponse:
    """Change `url`, `events`, `description` or `enabled` (true again after a disable)."""
    eid, user = allowed.id, allowed.user
    if body.events is not None:
        may_manage_webhooks(user, body.events)
    _checked(services, body.url, body.events)
    events = list(dict.fromkeys(body.events)) if body.events is not None else None
    _, position = services.app.change_webhook_endpoint(eid, url=body.url, events=events, description=body.description,
                                                       enabled=body.enabled)
    wait_for(services, position)
    return JSONResponse(_public(services, str(eid)))


@router.delete("/v1/webhook-endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: str, allowed: ManagedEndpoint, services: ServicesDep) -> JSONResponse:
    eid = allowed.id
    wait_for(services, services.app.delete_webhook_endpoint(eid))
    return JSONResponse(None, status_code=204)


@router.post("/v1/webhook-endpoints/{endpoint_id}/rotate-secret")
def rotate_secret(endpoint_id: str, allowed: ManagedEndpoint, services: ServicesDep) -> JSONResponse:
    """A new secret, shown this once; the old one keeps signing (a second signature) for 24 hours."""
    eid = allowed.id
    secret = new_secret()
    _, position = services.app.rotate_webhook_secret(eid, secret)
    wait_for(services, position)
    return JSONResponse({**_public(services, str(eid)), "secret": secret})


@router.get("/v1/webhook-endpoints/{endpoint_id}/deliveries", dependencies=[FreshReads])
def deliveries(endpoint_id: str, allowed: ManagedEndpoint, services: ServicesDep,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               cursor: Annotated[int | None, Query(ge=0, description="next_cursor of the previous page")] = None,
               status: Annotated[str | None, Query(pattern="^(pending|delivered|failed)$")] = None) -> JSONResponse:
    """Each delivery, newest first, with its attempts (status code, latency, error) and next try."""
    eid = allowed.id
    items, next_cursor = webhook_log.deliveries(_db(services), str(eid), limit=limit, before=cursor, status=status)
    return JSONResponse({"items": items, "next_cursor": next_cursor})


@router.post("/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry", status_code=202)
def retry_delivery(endpoint_id: str, delivery_id: str, allowed: ManagedEndpoint, services: ServicesDep) -> JSONResponse:
    """Send this delivery again (same message id and payload), now."""
    eid = allowed.id
    did = parse_id(delivery_id, "delivery")
    if not webhook_log.retry(_db(services), str(eid), str(did), services.clock.now()):
        raise Problem("not_found", f"delivery {delivery_id} not found")
    services.reactors.poke()
    return JSONResponse({"id": str(did), "status": "pending"}, status_code=202)


@router.post("/v1/webhook-endpoints/{endpoint_id}/replay", status_code=202)
def replay(endpoint_id: str, allowed: ManagedEndpoint, services: ServicesDep,
           since: Annotated[AwareDatetime, Query(description="RFC 3339: re-send events from this moment on")]
           ) -> JSONResponse:
    """Send again every delivery of events created at or after `since`."""
    eid = allowed.id
    count = webhook_log.replay(_db(services), str(eid), since, services.clock.now())
    services.reactors.poke()
    return JSONResponse({"requeued": count, "since": since.isoformat()}, status_code=202)


