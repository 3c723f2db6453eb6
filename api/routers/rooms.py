"""Creators open and run rooms; anyone signed in can see them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query

from api.auth import Creator, CurrentUser, Principal
from api.deps import FreshReads, ServicesDep, parse_id, wait_for
from api.presenters import cursor_int, decode_cursor, encode_cursor, room_public, room_row_public
from api.problems import Problem
from api.schemas import RefundPolicy, RefundUntil, RoomCreate, RoomList, RoomPublic, RoomReschedule, RoomUpdate, TierCreate
from domain.money import Money
from projections.queries import catalog
from domain.rooms.commands import RoomChanges
from domain.rooms.tiers import TierSpec

router = APIRouter(prefix="/v1/rooms", tags=["rooms"])


def _money(amount: int, currency: str) -> Money:
    return Money(amount, currency.upper())


def _actor(user: Principal, services: ServicesDep, room_id) -> str:  # noqa: ANN001
    """The host acts as themself; an admin acts with the host's authority."""
    if user.is_admin:
        return services.app.get_room(room_id).host_id
    return user.sub


def present_room(services: ServicesDep, room_id, user: Principal | None = None) -> RoomPublic:  # noqa: ANN001
    """The room as its reader may see it: hidden tiers for its host and admins only."""
    room = services.app.get_room(room_id)
    refunds = None
    if room.state.value == "cancelled":
        refunds = services.app.refund_summary(room_id)
    show_hidden = user is not None and (user.is_admin or user.sub == room.host_id)
    return room_public(room, services.app.uow.guards.inventory(room_id), services.clock.now(), refunds, show_hidden)



@router.post("", response_model=RoomPublic, status_code=201)
def open_room(
    body: RoomCreate,
    user: Creator,
    services: ServicesDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> RoomPublic:
    if (body.ticket_price is None) == (body.tiers is None):
        raise Problem("invalid_price", "send either a ticket_price (one price for the room) or tiers")
    hosted = 0
    if services.app.policies.eligibility.min_rooms_hosted_30d:
        hosted = catalog.rooms_hosted_since(services.db, user.sub, services.clock.now())
    room, position = services.app.open_room(
        user.sub,
        title=body.title,
        scheduled_start=body.scheduled_start,
        price=_money(body.ticket_price.amount, body.ticket_price.currency) if body.ticket_price else None,
        capacity=body.capacity,
        sales_end=body.sales_end,
        idempotency_key=idempotency_key,
        claims=user.claims,
        rooms_hosted_30d=hosted,
        tiers=[tier_spec(t) for t in body.tiers or ()],
        refund_hours=refund_hours(body.refund_policy),
    )
    wait_for(services, position)
    return room_public(room, services.app.uow.guards.inventory(room.id), services.clock.now(), show_hidden=True)


def refund_hours(policy: RefundPolicy | None) -> int | None:
    return policy.until_start_minus_hours if isinstance(policy, RefundUntil) else None


def tier_spec(body: TierCreate) -> TierSpec:
    """A fixed-price tier has a `price`; a pay-what-you-want tier a `minimum_price` (its price: the suggested one)."""
    listed = body.price or body.suggested_price or body.minimum_price
    if listed is None:
        raise Problem("invalid_price", "a tier needs a price, or a minimum_price to be pay what you want")
    return TierSpec(
        name=body.name, price=_money(listed.amount, listed.currency), capacity=body.capacity,
        sales_start=body.sales_start, sales_end=body.sales_end, hidden=body.hidden,
        minimum_price=_money(body.minimum_price.amount, body.minimum_price.currency) if body.minimum_price else None,
        suggested_price=_money(body.suggested_price.amount, body.suggested_price.currency)
        if body.suggested_price else None)


@router.get("", response_model=RoomList, dependencies=[FreshReads])
def list_rooms(
    user: CurrentUser,
    services: ServicesDep,
    host_id: str | None = None,
    state: Literal["scheduled", "live", "ended", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> RoomList:
    """Rooms newest first, from the catalog read model."""
    after = None
    if cursor:
        opened, room_id = decode_cursor(cursor, 2)
        after = (cursor_int(opened), room_id)
    rows = catalog.rooms(services.db, host_id=host_id, state=state, after=after, limit=limit + 1)
    page, more = rows[:limit], len(rows) > limit
    inventories = services.app.uow.guards.inventories([parse_id(r["room_id"], "room") for r in page])
    items, now = [], services.clock.now()
    for row in page:
        cast, tiers, policy = catalog.room_details(services.db, row["room_id"])
        items.append(room_row_public(row, cast, inventories.get(parse_id(row["room_id"], "room")), now, tiers,
                                     show_hidden=user.is_admin or user.sub == row["host_id"], policy=policy))
    next_cursor = encode_cursor(page[-1]["opened_us"], page[-1]["room_id"]) if more else None
    return RoomList(items=items, next_cursor=next_cursor)


@router.get("/{room_id}", response_model=RoomPublic)
def get_room(room_id: str, user: CurrentUser, services: ServicesDep) -> RoomPublic:
    return present_room(services, parse_id(room_id, "room"), user)


@router.patch("/{room_id}", response_model=RoomPublic)
def change_room(room_id: str, body: RoomUpdate, user: Creator, services: ServicesDep) -> RoomPublic:
    rid = parse_id(room_id, "room")
    sent = body.model_fields_set
    for field in ("title", "ticket_price", "capacity", "refund_policy"):
        if field in sent and getattr(body, field) is None:
            raise Problem("validation", f"{field} cannot be null")
    if not sent:
        raise Problem("validation", "send at least one of title, ticket_price, capacity, sales_end, refund_policy")
    changes = RoomChanges(
        **({"title": body.title} if "title" in sent else {}),
        **({"price": _money(body.ticket_price.amount, body.ticket_price.currency)} if "ticket_price" in sent and body.ticket_price else {}),
        **({"capacity": body.capacity} if "capacity" in sent else {}),
        **({"sales_end": body.sales_end} if "sales_end" in sent else {}),
        **({"refund_hours": refund_hours(body.refund_policy)} if "refund_policy" in sent else {}),
    )
    _, position = services.app.change_room(_actor(user, services, rid), rid, changes)
    wait_for(services, position)
    return present_room(services, rid, user)


def _lifecycle(action: str):  # noqa: ANN202
    def run(room_id: str, user: Creator, services: ServicesDep) -> RoomPublic:
        rid = parse_id(room_id, "room")
        actor = _actor(user, services, rid)
        if action == "start":
            _, position = services.app.start_room(actor, rid)
        elif action == "end":
            _, position = services.app.end_room(actor, rid)
        else:
            report = services.app.cancel_room(actor, rid)
            position = report.position
        wait_for(services, position)
        return present_room(services, rid, user)

    run.__name__ = f"{action}_room"
    run.__doc__ = {
        "start": "Go live: only a scheduled room starts.",
        "end": "End a live room; ticket sales close.",
        "cancel": "Cancel the room: sales close, holds are released and every paid ticket is refunded in full. "
        "Safe to call again: nothing is refunded twice and failed refunds are retried.",
    }[action]
    return run


for _action in ("start", "end", "cancel"):
    router.add_api_route(f"/{{room_id}}/{_action}", _lifecycle(_action), methods=["POST"], response_model=RoomPublic)


def _cast_route(kind: Literal["cohosts", "speakers"], present: bool):  # noqa: ANN202
    def run(room_id: str, user_id: Annotated[str, Path(max_length=200)], user: Creator,
            services: ServicesDep) -> RoomPublic:  # a user id as long as a gift's receiver, at most
        rid = parse_id(room_id, "room")
        actor = _actor(user, services, rid)
        setter = services.app.set_cohost if kind == "cohosts" else services.app.set_speaker
        _, position = setter(actor, rid, user_id, present)
        wait_for(services, position)
        return present_room(services, rid, user)

    run.__name__ = f"{'add' if present else 'remove'}_{kind[:-1]}"
    return run


for _kind in ("cohosts", "speakers"):
    router.add_api_route(f"/{{room_id}}/{_kind}/{{user_id}}", _cast_route(_kind, True), methods=["PUT"], response_model=RoomPublic)  # type: ignore[arg-type]
    router.add_api_route(f"/{{room_id}}/{_kind}/{{user_id}}", _cast_route(_kind, False), methods=["DELETE"], response_model=RoomPublic)  # type: ignore[arg-type]


@router.post("/{room_id}/reschedule", response_model=RoomPublic)
def reschedule_room(room_id: str, body: RoomReschedule, user: Creator, services: ServicesDep) -> RoomPublic:
    """Move a scheduled room (within the schedule policy). Tickets are kept; every holder may refund
    themself in full for BOXOFFICE_RESCHEDULE_REFUND_HOURS (`reschedule_refund_until`)."""
    rid = parse_id(room_id, "room")
    _, position = services.app.reschedule_room(_actor(user, services, rid), rid, body.scheduled_start)
    wait_for(services, position)
    return present_room(services, rid, user)
