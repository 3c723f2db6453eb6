"""A room's tiers: the host adds, reprices, resizes and closes them.

Each answers with the room as its host sees it (every tier, hidden ones too,
with sold, held and available).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from api.auth import Creator
from api.deps import ServicesDep, parse_id, wait_for
from api.problems import Problem
from api.routers.rooms import _actor, _money, present_room, tier_spec
from api.schemas import RoomPublic, TierCreate, TierUpdate

router = APIRouter(prefix="/v1/rooms/{room_id}/tiers", tags=["rooms"])


@router.post("", response_model=RoomPublic, status_code=201)
def add_tier(room_id: str, body: TierCreate, user: Creator, services: ServicesDep,
             idempotency_key: Annotated[str | None, Header(max_length=255)] = None) -> RoomPublic:
    """Add a tier (an early bird is one with an earlier `sales_end`); the same Idempotency-Key adds it once."""
    rid = parse_id(room_id, "room")
    _, _, position = services.app.add_tier(_actor(user, services, rid), rid, tier_spec(body), idempotency_key)
    wait_for(services, position)
    return present_room(services, rid, user)


@router.patch("/{tier_id}", response_model=RoomPublic)
def change_tier(room_id: str, tier_id: str, body: TierUpdate, user: Creator, services: ServicesDep) -> RoomPublic:
    """Reprice (tickets sold keep what they paid) or resize (never below what the tier sold or holds)."""
    rid, tid = parse_id(room_id, "room"), parse_id(tier_id, "tier")
    if body.price is None and body.capacity is None:
        raise Problem("validation", "send a price, a capacity or both")
    _, position = services.app.change_tier(
        _actor(user, services, rid), rid, str(tid),
        price=_money(body.price.amount, body.price.currency) if body.price else None, capacity=body.capacity)
    wait_for(services, position)
    return present_room(services, rid, user)


@router.post("/{tier_id}/close", response_model=RoomPublic)
def close_tier(room_id: str, tier_id: str, user: Creator, services: ServicesDep) -> RoomPublic:
    """Stop selling the tier; its tickets stay valid. Safe to call again."""
    rid, tid = parse_id(room_id, "room"), parse_id(tier_id, "tier")
    _, position = services.app.close_tier(_actor(user, services, rid), rid, str(tid))
    wait_for(services, position)
    return present_room(services, rid, user)
