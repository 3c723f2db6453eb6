"""Listeners buy and read their tickets; hosts see buyers and refund."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from api.auth import CurrentUser, Listener
from api.deps import FreshReads, RoomBuyersReader, ServicesDep, TicketReader, TicketRefunder, parse_id, wait_for
from api.presenters import cursor_int, decode_cursor, encode_cursor, ticket_public, ticket_row_public
from api.problems import Problem
from api.routers.purchase import serve_purchase
from api.schemas import (BuyerList, BuyerPublic, MoneyOut, RefundCreate, TicketCreate, TicketList, TicketPublic,
                         TicketTransfer)
from projections.queries import catalog
from store.timecodes import from_us

router = APIRouter(tags=["tickets"])

IdempotencyKey = Annotated[str | None, Header(max_length=255, description="same key, same ticket")]


@router.post("/v1/rooms/{room_id}/tickets", response_model=TicketPublic, status_code=201)
async def buy_ticket(
    room_id: str,
    user: Listener,
    request: Request,
    body: TicketCreate | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Reserve a seat and start its payment. With the sandbox it is paid at once
    (`payment_method: pm_card_chargeDeclined` simulates a decline); with Stripe the
    response carries the PaymentIntent's `client_secret` and the seat is held until
    the payment succeeds or the hold expires. The same Idempotency-Key is the same
    ticket (`Idempotent-Replayed: true`).

    Served by the plain route in api/routers/purchase.py, mounted in front of this one."""
    return await serve_purchase(request)


@router.get("/v1/tickets/{ticket_id}", response_model=TicketPublic)
def get_ticket(ticket_id: str, allowed: TicketReader, services: ServicesDep) -> TicketPublic:
    """A ticket, for its holder, the room's host, finance and admins."""
    ticket = allowed.subject
    queued = None
    if services.pacer is not None and ticket.status.value == "reserved":  # waiting for, or just given, its PaymentIntent
        queued = services.pacer.queue.state(ticket.id)
    return ticket_public(ticket, provider=services.gateway.name, queued=queued)


@router.get("/v1/me/tickets", response_model=TicketList, dependencies=[FreshReads])
def my_tickets(
    user: CurrentUser,
    services: ServicesDep,
    room_id: str | None = None,
    status: Literal["reserved", "paid", "released", "refunded", "revoked"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> TicketList:
    room = str(parse_id(room_id, "room")) if room_id else None
    after = None
    if cursor:
        reserved_us, tid = decode_cursor(cursor, 2)
        after = (cursor_int(reserved_us), tid)
    rows = catalog.holder_tickets(services.db, user.sub, room_id=room, status=status, after=after, limit=limit + 1)
    page = rows[:limit]
    return TicketList(
        items=[ticket_row_public(r) for r in page],
        next_cursor=encode_cursor(page[-1]["reserved_us"], page[-1]["ticket_id"]) if len(rows) > limit else None,
    )


@router.get("/v1/rooms/{room_id}/buyers", response_model=BuyerList, dependencies=[FreshReads])
def room_buyers(
    room_id: str,
    allowed: RoomBuyersReader,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> BuyerList:
    """Who bought a ticket (paid) for the room: the host's view (and admins')."""
    rid = allowed.id
    after = None
    if cursor:
        paid_us, tid = decode_cursor(cursor, 2)
        after = (cursor_int(paid_us), tid)
    rows = catalog.buyers(services.db, str(rid), after=after, limit=limit + 1)
    page = rows[:limit]
    return BuyerList(
        items=[
            BuyerPublic(user_id=r["holder_id"], ticket_id=r["ticket_id"], paid_at=from_us(r["paid_us"]),
                        price=MoneyOut(amount=r["price_amount"], currency=r["price_currency"]))
            for r in page
        ],
        next_cursor=encode_cursor(page[-1]["paid_us"], page[-1]["ticket_id"]) if len(rows) > limit else None,
    )


@router.post("/v1/tickets/{ticket_id}/refund", response_model=TicketPublic)
def refund_ticket(
    ticket_id: str,
    caller: TicketRefunder,
    services: ServicesDep,
    body: RefundCreate | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TicketPublic:
    """The host refunds a ticket in full; an admin may refund part of it (`amount`).
    The same Idempotency-Key is the same refund. The holder refunds themself, in full, inside the window
    the room's refund policy or a reschedule allows (403 `forbidden` with `rule: refund_policy_none`, 409
    `refund_window_closed`)."""
    user, tid = caller.user, caller.ticket_id
    if caller.own:
        if body is not None and body.amount is not None:
            raise Problem("forbidden", "a holder refunds their ticket in full")
        ticket, position = services.app.refund_own_ticket(user.sub, tid)
        wait_for(services, position)
        return ticket_public(ticket, provider=services.gateway.name)
    body = body or RefundCreate()
    ticket, position = services.app.refund_ticket(
        user.sub, tid, amount=body.amount, reason=body.reason,
        # Without a key, a partial refund is a new refund each time (as at Stripe); a full one is one refund.
        key=idempotency_key or ("full" if body.amount is None else f"partial-{uuid.uuid4()}"),
        as_admin=user.is_admin, client_key=idempotency_key is not None,
    )
    wait_for(services, position)
    return ticket_public(ticket, provider=services.gateway.name)


@router.post("/v1/tickets/{ticket_id}/transfer", response_model=TicketPublic)
def transfer_ticket(
    ticket_id: str,
    body: TicketTransfer,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: Annotated[str | None, Header(max_length=255, description="same key, same transfer")] = None,
) -> Response:
    """The holder of a paid ticket gives it to another listener before the room starts, at most
    `BOXOFFICE_MAX_TRANSFERS` times. The buyer stays the payer (refunds go back to the buyer's card);
    the old holder is denied (`transferred`) and listed on the revocation feed. Refusals: 409
    `not_transferable` whose `rule` is `to_self`, `not_paid`, `room_started` (or `room_ended`,
    `room_cancelled`), `transfer_limit`, `receiver_is_host`, `receiver_holds_ticket` or `not_held`."""
    ticket, position, replayed = services.app.transfer_ticket(
        user.sub, parse_id(ticket_id, "ticket"), body.to_user_id, idempotency_key)
    wait_for(services, position)
    public = ticket_public(ticket, provider=services.gateway.name)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(public.model_dump_json(), media_type="application/json", headers=headers)
