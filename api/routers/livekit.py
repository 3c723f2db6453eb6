"""LiveKit, natively: `POST /v1/rooms/{room_id}/join` answers a LiveKit access token for an
admitted caller; `POST /v1/webhooks/livekit` takes LiveKit's signed webhooks.

Both are off (503 `livekit_disabled`) until BOXOFFICE_LIVEKIT_URL, _API_KEY and
_API_SECRET are set; /readyz says so.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from api.auth import CurrentUser
from api.deps import ServicesDep, parse_id, wait_for
from api.problems import Problem
from integrations import livekit, livekit_webhooks

router = APIRouter(tags=["livekit"])


def _config(services) -> livekit.LiveKitConfig:  # noqa: ANN001
    if services.livekit is None:
        raise Problem("livekit_disabled", "LiveKit is not configured (BOXOFFICE_LIVEKIT_URL, _API_KEY, _API_SECRET)",
                      status=503)
    return services.livekit


@router.post("/v1/rooms/{room_id}/join")
def join(room_id: str, user: CurrentUser, services: ServicesDep) -> JSONResponse:
    """The caller (listener, host, co-host or speaker) asks to join: the admission decision,
    then a LiveKit token for this room. Denied: 403 whose `type` is the reason (`no_ticket`,
    `refunded`, `revoked`, `transferred`, `unpaid`, `room_cancelled`, `room_ended`). A paid listener before
    the start is admitted to wait: `waiting: true` and a token that cannot subscribe yet."""
    config = _config(services)
    rid = str(parse_id(room_id, "room"))
    services.admission_tail.catch_up()  # a purchase may be ms old
    decision = services.admission_index.check(rid, user.sub)
    if decision.reason == "unknown_room":
        raise Problem("not_found", f"room {room_id} not found")
    if not decision.admit:
        raise Problem(decision.reason, f"no admission to this room: {decision.reason}", status=403,
                      reason=decision.reason)
    issued = livekit.join_token(config, user_id=user.sub, room_id=rid, role=decision.role,
                                ticket_id=decision.ticket_id, waiting=decision.waiting)
    return JSONResponse({"url": config.url, "token": issued.token, "role": decision.role, "room": rid,
                         "identity": user.sub, "ticket_id": decision.ticket_id, "waiting": decision.waiting,
                         "grants": issued.grants, "expires_at": issued.expires_at.isoformat()})


@router.post("/v1/webhooks/livekit")
async def livekit_webhook(request: Request, services: ServicesDep) -> JSONResponse:
    """LiveKit's webhook, verified by the SDK's WebhookReceiver (our API key and secret, the body's
    SHA-256): unsigned, tampered or signed with another key is 401 and writes nothing."""
    config = _config(services)
    body = await request.body()
    try:
        event = livekit.receive_webhook(config, body, request.headers.get("authorization"))
    except livekit.InvalidWebhookError as exc:
        raise Problem("invalid_signature", f"LiveKit webhook rejected: {exc}", status=401) from None
    index = services.admission_index

    def role_of(room_id: str, user_id: str) -> str | None:
        services.admission_tail.catch_up()  # a purchase may be ms old (a hot tail reads once per poll), as for the join token
        return index.check(room_id, user_id).role  # type: ignore[attr-defined]

    outcome = await run_in_threadpool(livekit_webhooks.handle, services.app, event, role_of)
    await run_in_threadpool(wait_for, services, outcome.position)
    return JSONResponse({"received": True, "id": outcome.event_id, "event": outcome.type, "handled": outcome.handled,
                         "duplicate": outcome.duplicate, "room_ended": outcome.room_ended})


class LiveKitRoomOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    end_room_when_finished: bool


@router.put("/v1/rooms/{room_id}/livekit")
def livekit_options(room_id: str, body: LiveKitRoomOptions, user: CurrentUser, services: ServicesDep) -> JSONResponse:
    """The host's LiveKit options: `end_room_when_finished` ends the room when LiveKit reports
    `room_finished` (everyone left and LiveKit closed it), instead of waiting for the host's `end`."""
    rid = parse_id(room_id, "room")
    wait_for(services, services.app.set_end_room_when_finished(user.sub, rid, body.end_room_when_finished))
    return JSONResponse({"room_id": str(rid), "end_room_when_finished": body.end_room_when_finished})
