"""Listeners in line for a sold-out room: join, leave, and the offers that hold a freed seat for them.

The commands are domain/sales/waitlist_commands.py's; the reads come from the waitlist
read table (projections/waitlist.py). Buying with an offer is a purchase
(`POST /v1/rooms/{room_id}/tickets` with `{"offer_id"}`, api/routers/purchase.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from api.auth import CurrentUser, Listener
from api.deps import FreshReads, ServicesDep, parse_id, wait_for
from api.schemas import Strict
from projections.queries import waitlist as waitlist_queries
from store.timecodes import from_us

router = APIRouter(tags=["waitlist"])


class WaitlistJoin(Strict):
    tier_id: str | None = Field(default=None, description="the sold-out tier; omit for the room's default or only tier")


class WaitlistEntryPublic(BaseModel):
    id: str
    room_id: str
    tier_id: str
    place: int = Field(description="the listener's place in the room's line (1 is first)")
    status: str = Field(description="waiting, offered, accepted, expired, declined or left")
    joined_at: datetime
    offer_id: str | None = None


class OfferPublic(BaseModel):
    id: str
    room_id: str
    tier_id: str
    place: int
    status: str = Field(description="offered (the seat is held until expires_at), accepted, expired or declined")
    made_at: datetime
    expires_at: datetime
    ticket_id: str | None = None


class OfferList(BaseModel):
    items: list[OfferPublic]


class WaitlistEntryList(BaseModel):
    items: list[WaitlistEntryPublic]


def _entry(row: dict[str, Any]) -> WaitlistEntryPublic:
    return WaitlistEntryPublic(id=row["entry_id"], room_id=row["room_id"], tier_id=row["tier_id"], place=row["place"],
                               status=row["status"], joined_at=from_us(row["joined_us"]),  # type: ignore[arg-type]
                               offer_id=row["offer_id"])


@router.post("/v1/rooms/{room_id}/waitlist", response_model=WaitlistEntryPublic, status_code=201)
def join_waitlist(
    room_id: str,
    user: Listener,
    services: ServicesDep,
    body: WaitlistJoin | None = None,
    idempotency_key: Annotated[str | None, Header(max_length=255, description="same key, same place")] = None,
) -> Response:
    """Join the line of a sold-out tier or room. When a seat frees, the first in line whose tier has a
    seat gets an offer (`GET /v1/me/offers`) holding it for `BOXOFFICE_WAITLIST_OFFER_MINUTES`.
    Refusals: 409 `not_sold_out`, `already_on_waitlist`, `already_has_ticket`, `not_on_sale`. The same
    Idempotency-Key again is the same place (`Idempotent-Replayed: true`); for another tier, 409."""
    rid = parse_id(room_id, "room")
    tier_id = parse_id(body.tier_id, "tier") if body is not None and body.tier_id is not None else None
    entry, position = services.app.join_waitlist(user.sub, rid, tier_id, idempotency_key)
    wait_for(services, position if position is not None else services.app.uow.position())
    row = waitlist_queries.waitlist_entry(services.db, str(entry.id))
    public = _entry(row) if row is not None else WaitlistEntryPublic(
        id=str(entry.id), room_id=str(entry.room_id), tier_id=str(entry.tier_id), place=entry.place,
        status="waiting", joined_at=entry.joined_at)
    headers = {"Idempotent-Replayed": "true"} if position is None else {}
    return Response(public.model_dump_json(), status_code=201, media_type="application/json", headers=headers)


@router.delete("/v1/rooms/{room_id}/waitlist", status_code=204)
def leave_waitlist(room_id: str, user: Listener, services: ServicesDep) -> Response:
    """Leave the room's line; an open offer is declined and its seat goes to the next in line.
    404 `not_on_waitlist` if the caller is not in the line."""
    wait_for(services, services.app.leave_waitlist(user.sub, parse_id(room_id, "room")))
    return Response(status_code=204)


@router.get("/v1/me/offers", response_model=OfferList, dependencies=[FreshReads])
def my_offers(user: CurrentUser, services: ServicesDep,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> OfferList:
    """The caller's waitlist offers, newest first."""
    rows = waitlist_queries.offers_of(services.db, user.sub, limit)
    return OfferList(items=[OfferPublic(
        id=r["offer_id"], room_id=r["room_id"], tier_id=r["tier_id"], place=r["place"],
        status=r["status"], made_at=from_us(r["offer_made_us"]),  # type: ignore[arg-type]
        expires_at=from_us(r["offer_expires_us"]), ticket_id=r["ticket_id"]) for r in rows])  # type: ignore[arg-type]


@router.get("/v1/me/waitlist", response_model=WaitlistEntryList, dependencies=[FreshReads])
def my_waitlist(user: CurrentUser, services: ServicesDep,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> WaitlistEntryList:
    """The caller's places in rooms' lines, newest first."""
    rows = waitlist_queries.places_of(services.db, user.sub, limit)
    return WaitlistEntryList(items=[_entry(r) for r in rows])
