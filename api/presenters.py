"""Domain objects and read rows turned into response bodies."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from api.schemas import (
    CreatorPublic,
    MoneyOut,
    PaymentPublic,
    PayoutAccountPublic,
    RefundUntil,
    RefundPublic,
    RoomPublic,
    TicketPublic,
    TierPublic,
)
from store.pacing_sql import QueueState
from store.timecodes import from_us
from domain.creators.model import Creator
from domain.guards import Inventory
from domain.payments import PaymentSession
from domain.policies import EligibilityClaims, HostEligibility
from domain.rooms.model import Room
from domain.sales.model import Ticket


def creator_public(creator: Creator, eligibility: HostEligibility, *, private: bool,
                   claims: EligibilityClaims | None = None) -> CreatorPublic:
    """`claims`: the creator's own token's, when the creator is the caller."""
    account = None
    if private and creator.payout_account_id:
        account = PayoutAccountPublic(account_id=creator.payout_account_id, status=creator.payout_account_status or "pending")
    return CreatorPublic(
        id=creator.user_id,
        display_name=creator.display_name,
        follower_count=creator.follower_count,
        eligible_to_host=eligibility.allows(eligibility.facts_for(
            creator.follower_count, creator.attested_followers, creator.attested_age_verified, claims,
            eligibility.min_rooms_hosted_30d)),  # the room count is checked when a room is opened
        registered_at=creator.registered_at,
        payout_account=account,
    )


def on_sale(inventory: Inventory | None, state: str, now: datetime) -> bool:
    """Open for sales: the room is scheduled or live, sales are open, sales_end has not passed."""
    return bool(
        inventory and inventory.on_sale and state in ("scheduled", "live")
        and (inventory.sales_end is None or inventory.sales_end > now)
    )


def tiers_public(tiers: list[dict[str, Any]], inventory: Inventory | None, state: str, now: datetime,
                 show_hidden: bool) -> list[TierPublic]:
    """Tiers (as `room_tiers`/`tier_rows` give them) with their counters; a tier sells no more than the room has left."""
    room_left = inventory.available if inventory else 0
    room_selling = on_sale(inventory, state, now)
    out = []
    for tier in tiers:
        if tier["hidden"] and not show_hidden:
            continue
        counter = inventory.tier(UUID(tier["tier_id"])) if inventory else None
        taken, paid = (counter.taken, counter.paid) if counter else (0, 0)
        start, end = tier["sales_start"], tier["sales_end"]
        selling = not tier["closed"] and (start is None or start <= now) and (end is None or now < end)
        out.append(TierPublic(
            id=tier["tier_id"], name=tier["name"],
            price=MoneyOut(amount=tier["price_amount"], currency=tier["price_currency"]),
            capacity=tier["capacity"], sales_start=start, sales_end=end, hidden=bool(tier["hidden"]),
            closed=bool(tier["closed"]),
            minimum_price=_money_or_none(tier["minimum_amount"], tier["price_currency"]),
            suggested_price=_money_or_none(tier["suggested_amount"], tier["price_currency"]),
            on_sale=room_selling and selling, sold=paid, held=max(taken - paid, 0),
            available=min(max(tier["capacity"] - taken, 0), room_left),
        ))
    return out


def room_tiers(room: Room) -> list[dict[str, Any]]:
    return [{"tier_id": t.id, "name": t.name, "price_amount": t.price_amount, "price_currency": t.price_currency,
             "capacity": t.capacity, "sales_start": t.sales_start, "sales_end": t.sales_end, "hidden": t.hidden,
             "closed": t.closed, "minimum_amount": t.minimum_amount, "suggested_amount": t.suggested_amount}
            for t in room.tiers.values()]


def _money_or_none(amount: int | None, currency: str) -> MoneyOut | None:
    return MoneyOut(amount=amount, currency=currency) if amount is not None else None


def tier_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the catalog's room_tiers_view, in the shape `tiers_public` takes."""
    return [{**r, "sales_start": from_us(r["sales_start_us"]), "sales_end": from_us(r["sales_end_us"])} for r in rows]


def room_public(room: Room, inventory: Inventory | None, now: datetime,
                refunds: dict[str, int] | None = None, show_hidden: bool = False) -> RoomPublic:
    taken = inventory.taken if inventory else 0
    paid = inventory.paid if inventory else 0
    return RoomPublic(
        id=str(room.id),
        state=room.state.value,
        host_id=room.host_id,
        title=room.title,
        scheduled_start=room.scheduled_start,
        ticket_price=MoneyOut(amount=room.price_amount, currency=room.price_currency),
        capacity=room.capacity,
        sold=paid,
        held=taken - paid,
        available=max(room.capacity - taken, 0),
        on_sale=on_sale(inventory, room.state.value, now),
        sales_end=room.sales_end,
        cohosts=list(room.cohosts),
        speakers=list(room.speakers),
        opened_at=room.opened_at,
        started_at=room.started_at,
        ended_at=room.ended_at,
        cancelled_at=room.cancelled_at,
        refunds=refunds,
        refund_policy=refund_policy(room.refund_hours),
        rescheduled_at=room.rescheduled_at,
        reschedule_refund_until=room.reschedule_refund_until,
        tiers=tiers_public(room_tiers(room), inventory, room.state.value, now, show_hidden),
    )


def refund_policy(hours: int | None) -> Any:
    return RefundUntil(until_start_minus_hours=hours) if hours is not None else "none"


def room_row_public(row: dict[str, Any], cast: list[dict[str, Any]], inventory: Inventory | None,
                    now: datetime, tiers: list[dict[str, Any]] = (), show_hidden: bool = False,  # type: ignore[assignment]
                    policy: dict[str, Any] | None = None) -> RoomPublic:
    taken = inventory.taken if inventory else 0
    paid = inventory.paid if inventory else int(row["paid_count"])
    return RoomPublic(
        id=row["room_id"],
        state=row["state"],
        host_id=row["host_id"],
        title=row["title"],
        scheduled_start=from_us(row["scheduled_start_us"]),  # type: ignore[arg-type]
        ticket_price=MoneyOut(amount=row["price_amount"], currency=row["price_currency"]),
        capacity=row["capacity"],
        sold=paid,
        held=max(taken - paid, 0),
        available=max(row["capacity"] - taken, 0),
        on_sale=on_sale(inventory, row["state"], now),
        sales_end=from_us(row["sales_end_us"]),
        cohosts=[c["user_id"] for c in cast if c["role"] == "cohost"],
        speakers=[c["user_id"] for c in cast if c["role"] == "speaker"],
        opened_at=from_us(row["opened_us"]),  # type: ignore[arg-type]
        started_at=from_us(row["started_us"]),
        ended_at=from_us(row["ended_us"]),
        cancelled_at=from_us(row["cancelled_us"]),
        refund_policy=refund_policy(policy["refund_hours"] if policy else None),
        rescheduled_at=from_us(policy["rescheduled_us"]) if policy else None,
        reschedule_refund_until=from_us(policy["refund_until_us"]) if policy else None,
        tiers=tiers_public(tier_rows(list(tiers)), inventory, row["state"], now, show_hidden),
    )


def payment_public(ticket: Ticket, session: PaymentSession | None, error: str | None = None, provider: str = "",
                   queued: QueueState | None = None) -> PaymentPublic | None:
    if queued is not None and ticket.status.value == "reserved":
        if queued.status == "started":  # the pacer created it; the buyer may pay now
            return PaymentPublic(provider=ticket.provider or provider, payment_id=queued.payment_id, status="pending",
                                 client_secret=queued.client_secret)
        return PaymentPublic(provider=provider, status="payment_pending", position=queued.position)
    if session is not None:
        return PaymentPublic(provider=session.provider, payment_id=session.payment_id, status=session.status,
                             client_secret=session.client_secret if session.status == "pending" else None,
                             failure_code=session.failure_code)
    if ticket.payment_id or error:
        return PaymentPublic(provider=ticket.provider or provider, payment_id=ticket.payment_id, error=error)
    return None


def ticket_public(ticket: Ticket, session: PaymentSession | None = None, error: str | None = None, provider: str = "",
                  queued: QueueState | None = None) -> TicketPublic:
    return TicketPublic(
        id=str(ticket.id),
        room_id=str(ticket.room_id),
        holder_id=ticket.holder_id,
        status=ticket.status.value,
        price=MoneyOut(amount=ticket.price_amount, currency=ticket.price_currency),
        tier_id=str(ticket.tier_id),
        list_price=MoneyOut(amount=ticket.list_amount, currency=ticket.price_currency),
        discount=ticket.discount_amount,
        code=ticket.code,
        reserved_at=ticket.reserved_at,
        hold_expires_at=ticket.hold_expires_at,
        paid_at=ticket.paid_at,
        release_reason=ticket.release_reason,
        refunded_amount=ticket.refunded_amount,
        transfers=ticket.transfer_count,
        payment=payment_public(ticket, session, error, provider, queued),
        refunds=[
            RefundPublic(refund_id=str(r.refund_id), amount=r.amount, status=r.status, reason=r.reason,
                         processor_refund_id=r.processor_refund_id)
            for r in ticket.refunds.values()
        ],
    )


def ticket_json(ticket: Ticket, session: PaymentSession | None = None, error: str | None = None, provider: str = "",
                queued: QueueState | None = None) -> bytes:
    """`ticket_public(...).model_dump_json()`, byte for byte, for the purchase's answer: built as a dict
    and written by orjson (UTC as `Z`, as pydantic writes it), without a model. Validating five models
    and serialising them cost a purchase about 20 µs. tests/api/test_ticket_presenter.py compares the
    two in every state a ticket can be in."""
    payment = payment_public(ticket, session, error, provider, queued)
    currency = ticket.price_currency
    return orjson.dumps({
        "id": str(ticket.id), "room_id": str(ticket.room_id), "holder_id": ticket.holder_id,
        "status": ticket.status.value, "price": {"amount": ticket.price_amount, "currency": currency},
        "tier_id": str(ticket.tier_id), "list_price": {"amount": ticket.list_amount, "currency": currency},
        "discount": ticket.discount_amount, "code": ticket.code, "reserved_at": ticket.reserved_at,
        "hold_expires_at": ticket.hold_expires_at, "paid_at": ticket.paid_at, "release_reason": ticket.release_reason,
        "refunded_amount": ticket.refunded_amount, "payment": payment.__dict__ if payment is not None else None,
        "refunds": [{"refund_id": str(r.refund_id), "amount": r.amount, "status": r.status, "reason": r.reason,
                     "processor_refund_id": r.processor_refund_id} for r in ticket.refunds.values()],
        "transfers": ticket.transfer_count,
    }, option=orjson.OPT_UTC_Z)


def ticket_row_public(row: dict[str, Any]) -> TicketPublic:
    return TicketPublic(
        id=row["ticket_id"],
        room_id=row["room_id"],
        holder_id=row["holder_id"],
        status=row["status"],
        price=MoneyOut(amount=row["price_amount"], currency=row["price_currency"]),
        tier_id=row.get("tier_id"),
        reserved_at=from_us(row["reserved_us"]),  # type: ignore[arg-type]
        hold_expires_at=from_us(row["hold_expires_us"]),  # type: ignore[arg-type]
        paid_at=from_us(row["paid_us"]),
        release_reason=row["release_reason"],
        refunded_amount=row["refunded_amount"],
        payment=PaymentPublic(provider=row["provider"], payment_id=row["payment_id"]) if row["provider"] else None,
    )


def encode_cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode().rstrip("=")


BIGINT_MAX = 2**63 - 1  # every position and timestamp column is a BIGINT


def decode_cursor(cursor: str, n: int) -> list[str]:
    """The cursor's `n` parts; the first is an integer key (see `cursor_int`)."""
    from api.problems import Problem

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise Problem("validation", "cursor is malformed") from None
    parts = raw.split("|")
    if len(parts) != n:
        raise Problem("validation", "cursor is malformed")
    return parts


def cursor_int(text: str) -> int:
    """An integer part of a cursor: ASCII digits within a BIGINT, else a 400 problem.
    (`str.isdigit` also takes `²`, which `int` refuses; 40 digits overflow the column.)"""
    from api.problems import Problem

    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= BIGINT_MAX):
        raise Problem("validation", "cursor is malformed")
    return int(text)

