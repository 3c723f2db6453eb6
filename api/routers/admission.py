"""Media servers: may user U join room R, and as what? Plus tokens, JWKS, revocations, check-ins.

Checks are answered from the in-memory admission index (projections/admission_index.py),
never from a database query per join.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.types import Scope

from api.auth import CurrentUser, Media, TokenVerifier, authorize_scope
from api.deps import AttendanceReader, FreshReads, RevocationsReader, ServicesDep, parse_id, wait_for
from api.presenters import BIGINT_MAX
from api.problems import Problem
from api.schemas import UtcDatetime
from projections.queries import attendance as attendance_queries
from projections.queries import catalog
from store.timecodes import from_us, to_us
from projections.admission_index import AdmissionIndex

router = APIRouter(tags=["admission"])

UserId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room_id: UserId
    user_id: UserId


class BatchCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checks: list[CheckIn] = Field(min_length=1, max_length=1000)


class MediaReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["joined", "left"]
    room_id: UserId
    user_id: UserId
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    at: UtcDatetime
    role: Literal["host", "cohost", "speaker", "listener"] | None = None


class MediaReports(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[MediaReport] = Field(min_length=1, max_length=1000)


def _index(request: Request) -> AdmissionIndex:
    return request.app.state.services.admission_index


@router.get("/v1/rooms/{room_id}/admissions/{user_id}")
async def check_admission(room_id: str, user_id: str, request: Request) -> Response:
    """Admit or deny, with the role and a reason code (see the module docstring of
    projections/admission_index.py). Served from memory; role `media`."""
    return Response(decide(request.scope, room_id, user_id), media_type="application/json")


def decide(scope: Scope, room_id: str, user_id: str, *,
           verifier: TokenVerifier | None = None, index: AdmissionIndex | None = None) -> bytes:
    """The check's JSON answer (role `media`). GET and HEAD are answered by api/main.py
    (HotPaths) before the rest of the middleware stack; the route above documents them."""
    authorize_scope(scope, "media", verifier=verifier)
    return (index or scope["app"].state.admission_index).answer(room_id, user_id)


@router.post("/v1/admissions/check")
async def check_many(body: BatchCheck, user: Media, request: Request) -> Response:
    """Answer up to 1000 `{room_id, user_id}` pairs in one call, in order."""
    index = _index(request)
    results = []
    for c in body.checks:
        decision = index.check(c.room_id, c.user_id).to_dict()
        decision.update(room_id=c.room_id, user_id=c.user_id)
        results.append(decision)
    return JSONResponse({"results": results, "position": index.position})


@router.post("/v1/rooms/{room_id}/admission-token")
def admission_token(room_id: str, user: CurrentUser, services: ServicesDep, request: Request) -> Response:
    """A short-lived (at most 5 minutes) Ed25519 token for the caller to join the room:
    for the host, co-hosts, speakers and holders of a paid ticket."""
    rid = str(parse_id(room_id, "room"))
    index = _index(request)
    tail = services.admission_tail
    tail.catch_up()  # the caller's own purchase may be milliseconds old
    decision = index.check(rid, user.sub)
    if decision.reason == "unknown_room":
        raise Problem("not_found", f"room {room_id} not found")
    if not decision.admit:
        raise Problem("forbidden", f"no admission to this room: {decision.reason}", reason=decision.reason)
    issuer = services.token_issuer()
    token, claims = issuer.issue(user.sub, rid, decision.role, decision.ticket_id)
    return JSONResponse({
        "token": token, "token_type": "Bearer", "role": claims["role"], "grants": claims["grants"],
        "room": rid, "expires_at": from_us(claims["exp"] * 1_000_000).isoformat(),  # type: ignore[union-attr]
        "expires_in": claims["exp"] - claims["iat"], "jwks_url": "/.well-known/jwks.json",
        "waiting": decision.waiting,
    })


@router.get("/.well-known/jwks.json")
def jwks(services: ServicesDep) -> Response:
    """The public keys that verify admission tokens, current and recently retired."""
    keyring = services.keys.keyring()
    return JSONResponse(keyring.jwks(), headers={"Cache-Control": "public, max-age=60"})


@router.get("/v1/rooms/{room_id}/revocations", dependencies=[FreshReads])
def revocations(
    room_id: str,
    allowed: RevocationsReader,
    services: ServicesDep,
    since: Annotated[int, Query(ge=0, le=BIGINT_MAX, description="a position from a previous answer's next_since")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Response:
    """Tickets refunded or revoked, and old holders of tickets given away (`reason: transferred`),
    after `since`, so a media server can drop listeners whose admission token is still valid.
    Poll with `next_since`."""
    rid = allowed.id
    items = catalog.revocations(services.db, str(rid), since=since, limit=limit)
    next_since = items[-1]["position"] if items else since
    return JSONResponse({"room_id": str(rid), "items": items, "next_since": next_since})


@router.post("/v1/media/events", status_code=202)
def media_events(body: MediaReports, user: Media, services: ServicesDep, request: Request) -> Response:
    """Record participants joining and leaving (idempotent per session). Without a `role`,
    the role the admission index gives the participant is recorded."""
    index = _index(request)
    reports = [
        {"type": e.type, "room_id": parse_id(e.room_id, "room"), "user_id": e.user_id, "session_id": e.session_id,
         "at": e.at, "role": e.role or index.check(e.room_id, e.user_id).role}
        for e in body.events
    ]
    changed, position = services.app.record_media_events(reports)
    wait_for(services, position)
    return JSONResponse({"recorded": changed, "position": position}, status_code=202)


@router.get("/v1/rooms/{room_id}/attendance", dependencies=[FreshReads])
def attendance(room_id: str, allowed: AttendanceReader, services: ServicesDep) -> Response:
    """Who attended and for how long: the host's and finance's view."""
    rid = allowed.id
    people = attendance_queries.attendance(services.db, str(rid), to_us(services.clock.now()))
    items = []
    for p in people:
        p["first_joined_at"] = from_us(p["first_joined_at"]).isoformat() if p["first_joined_at"] else None  # type: ignore[union-attr]
        p["last_left_at"] = from_us(p["last_left_at"]).isoformat() if p["last_left_at"] else None  # type: ignore[union-attr]
        items.append(p)
    total = sum(p["seconds"] for p in items)
    return JSONResponse({"room_id": str(rid), "attendees": len(items), "total_seconds": total, "items": items,
                         "as_of": (services.clock.now() + timedelta(0)).isoformat()})
