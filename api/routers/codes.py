"""Discount and access codes: a host creates them for one room or for all their rooms."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Creator
from api.deps import CreatorCodeMaker, ServicesDep, parse_id, wait_for
from api.routers.rooms import _actor, _money
from api.schemas import CodeCreate, CodePublic, MoneyOut
from domain.sales.codes import PromoCode

router = APIRouter(tags=["codes"])


def _create(services: ServicesDep, host_id: str, body: CodeCreate, room_id=None) -> CodePublic:  # noqa: ANN001
    promo, position = services.app.create_code(
        host_id, body.code, room_id=room_id, percent_off=body.percent_off,
        amount_off=_money(body.amount_off.amount, body.amount_off.currency) if body.amount_off else None,
        max_uses=body.max_uses, valid_from=body.valid_from, valid_until=body.valid_until,
        tier_ids=body.tier_ids, unlocks_tier_ids=body.unlocks_tier_ids)
    wait_for(services, position)
    return code_public(promo, services.app.uow.guards.code_uses(promo.id))


@router.post("/v1/rooms/{room_id}/codes", response_model=CodePublic, status_code=201)
def create_room_code(room_id: str, body: CodeCreate, user: Creator, services: ServicesDep) -> CodePublic:
    """A code for this room only: `percent_off` or `amount_off`, and/or `unlocks_tier_ids` (hidden tiers)."""
    rid = parse_id(room_id, "room")
    return _create(services, _actor(user, services, rid), body, rid)


@router.post("/v1/creators/{creator_id}/codes", response_model=CodePublic, status_code=201)
def create_creator_code(creator_id: str, body: CodeCreate, allowed: CreatorCodeMaker, services: ServicesDep) -> CodePublic:
    """A code for every room of the creator (present and future)."""
    return _create(services, creator_id, body)


def code_public(promo: PromoCode, uses: int) -> CodePublic:
    return CodePublic(
        id=str(promo.id), code=promo.code, host_id=promo.host_id,
        room_id=str(promo.room_id) if promo.room_id else None, percent_off=promo.percent_off,
        amount_off=MoneyOut(amount=promo.amount_off, currency=promo.currency) if promo.amount_off else None,
        max_uses=promo.max_uses, uses=uses, valid_from=promo.valid_from, valid_until=promo.valid_until,
        tier_ids=list(promo.tier_ids), unlocks_tier_ids=list(promo.unlocks_tier_ids))
