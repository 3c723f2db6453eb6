"""The catalog: rooms, their cast and their tickets, as read tables.

Serves room listings, a listener's tickets, a room's buyers, and is the
snapshot the in-memory admission index loads from. Built only from events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from store.db import Tx
from store.timecodes import to_us
from domain.tiers import DEFAULT_TIER_NAME
from projections.rows import BatchedProjection, RowCache, insert_many


def _ddl(suffix: str) -> list[tuple[str, str, list[str]]]:
    r, c, t, tv = f"rooms_view{suffix}", f"room_cast{suffix}", f"tickets_view{suffix}", f"room_tiers_view{suffix}"
    pv, xv = f"room_policies_view{suffix}", f"ticket_transfers_view{suffix}"
    return [
        (
            r,
            f"CREATE TABLE {r} (room_id VARCHAR(36) PRIMARY KEY, host_id TEXT NOT NULL, title TEXT NOT NULL,"
            " state VARCHAR(16) NOT NULL, scheduled_start_us BIGINT NOT NULL, price_amount BIGINT NOT NULL,"
            " price_currency VARCHAR(3) NOT NULL, capacity INTEGER NOT NULL, sales_end_us BIGINT,"
            " opened_us BIGINT NOT NULL, started_us BIGINT, ended_us BIGINT, cancelled_us BIGINT,"
            " paid_count INTEGER NOT NULL DEFAULT 0, position BIGINT NOT NULL)",
            [f"CREATE INDEX {r}_by_host ON {r} (host_id, opened_us)", f"CREATE INDEX {r}_by_state ON {r} (state, opened_us)"],
        ),
        (
            c,
            f"CREATE TABLE {c} (room_id VARCHAR(36) NOT NULL, user_id TEXT NOT NULL, role VARCHAR(16) NOT NULL,"
            " PRIMARY KEY (room_id, user_id))",
            [],
        ),
        (
            t,
            f"CREATE TABLE {t} (ticket_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL, holder_id TEXT NOT NULL,"
            " host_id TEXT NOT NULL, status VARCHAR(16) NOT NULL, price_amount BIGINT NOT NULL,"
            " price_currency VARCHAR(3) NOT NULL, reserved_us BIGINT NOT NULL, hold_expires_us BIGINT NOT NULL,"
            " paid_us BIGINT, provider VARCHAR(16), payment_id TEXT, fee BIGINT NOT NULL DEFAULT 0,"
            " refunded_amount BIGINT NOT NULL DEFAULT 0, release_reason VARCHAR(32), revoke_reason VARCHAR(32),"
            " position BIGINT NOT NULL, revoked_position BIGINT, tier_id VARCHAR(36))",
            [
                f"CREATE INDEX {t}_by_holder ON {t} (holder_id, reserved_us)",
                f"CREATE INDEX {t}_by_room ON {t} (room_id, status)",
                f"CREATE INDEX {t}_by_revocation ON {t} (room_id, revoked_position)",
            ],
        ),
        (tv, TIERS_TABLE.format(table=tv), [TIERS_INDEX.format(table=tv)]),
        (pv, POLICIES_TABLE.format(table=pv), []),
        (xv, TRANSFERS_TABLE.format(table=xv), [TRANSFERS_INDEX.format(table=xv)]),
    ]


# Created by migration 0014 (literal SQL there; keep the two the same): one row per gift of a ticket,
# the old holder's revocation (the feed lists it with reason `transferred`).
TRANSFERS_TABLE = ("CREATE TABLE {table} (ticket_id VARCHAR(36) NOT NULL, transfer_no INTEGER NOT NULL,"
                   " room_id VARCHAR(36) NOT NULL, from_holder_id TEXT NOT NULL, to_holder_id TEXT NOT NULL,"
                   " at_us BIGINT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (ticket_id, transfer_no))")
TRANSFERS_INDEX = "CREATE INDEX {table}_by_room ON {table} (room_id, position)"
TRANSFER_COLUMNS = ("ticket_id", "transfer_no", "room_id", "from_holder_id", "to_holder_id", "at_us", "position")


# Created by migration 0012 (literal SQL there; keep the two the same). No row: refund policy `none`, never moved.
POLICIES_TABLE = ("CREATE TABLE {table} (room_id VARCHAR(36) PRIMARY KEY, refund_hours INTEGER, rescheduled_us BIGINT,"
                  " refund_until_us BIGINT)")
POLICY_COLUMNS = ("room_id", "refund_hours", "rescheduled_us", "refund_until_us")


# Created by migration 0010 (literal SQL there; keep the two the same).
TIERS_TABLE = ("CREATE TABLE {table} (tier_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL,"
               " name TEXT NOT NULL, price_amount BIGINT NOT NULL, price_currency VARCHAR(3) NOT NULL,"
               " capacity INTEGER NOT NULL, sales_start_us BIGINT, sales_end_us BIGINT, hidden BOOLEAN NOT NULL,"
               " closed BOOLEAN NOT NULL, minimum_amount BIGINT, suggested_amount BIGINT, added_position BIGINT NOT NULL)")
TIERS_INDEX = "CREATE INDEX {table}_by_room ON {table} (room_id, added_position)"
TIER_COLUMNS = ("tier_id", "room_id", "name", "price_amount", "price_currency", "capacity", "sales_start_us",
                "sales_end_us", "hidden", "closed", "minimum_amount", "suggested_amount", "added_position")


ROOM_COLUMNS = ("room_id", "host_id", "title", "state", "scheduled_start_us", "price_amount", "price_currency",
                "capacity", "sales_end_us", "opened_us", "started_us", "ended_us", "cancelled_us", "paid_count", "position")
TICKET_COLUMNS = ("ticket_id", "room_id", "holder_id", "host_id", "status", "price_amount", "price_currency",
                  "reserved_us", "hold_expires_us", "paid_us", "provider", "payment_id", "fee", "refunded_amount",
                  "release_reason", "revoke_reason", "position", "revoked_position", "tier_id")


class _Batch:
    """The rows one batch of events touches, in memory until flushed."""

    def __init__(self, tx: Tx, s: str, events: list[tuple[int, Any]]) -> None:
        self.rooms = RowCache(f"rooms_view{s}", ("room_id",), ROOM_COLUMNS)
        self.tickets = RowCache(f"tickets_view{s}", ("ticket_id",), TICKET_COLUMNS)
        self.tiers = RowCache(f"room_tiers_view{s}", ("tier_id",), TIER_COLUMNS)
        self.policies = RowCache(f"room_policies_view{s}", ("room_id",), POLICY_COLUMNS)
        self.cast_ops: list[tuple[str, tuple[Any, ...]]] = []
        self.transfers: list[tuple[Any, ...]] = []  # new rows of ticket_transfers_view, in TRANSFER_COLUMNS order
        self.s = s
        # One pass: tickets reserved in this batch are new rows, so only older ones are read.
        reserved: set[str] = set()
        ticket_ids: set[str] = set()
        room_ids: set[str] = set()
        tier_ids: set[str] = set()
        for _, e in events:
            kind = type(e).__qualname__
            if kind in TIER_KINDS:
                tier_ids.add(str(e.tier_id) if hasattr(e, "tier_id") else str(e.originator_id))
            if kind == "Ticket.Reserved":
                reserved.add(str(e.originator_id))
                room_ids.add(str(e.room_id))
            elif kind.startswith("Ticket."):
                ticket_ids.add(str(e.originator_id))
            elif kind.startswith("Room.") and kind != "Room.Opened":
                room_ids.add(str(e.originator_id))
        self.tickets.load(tx, [(t,) for t in ticket_ids - reserved])
        room_ids.update(row["room_id"] for row in self.tickets.rows.values())
        self.rooms.load(tx, [(r,) for r in room_ids])
        self.tiers.load(tx, [(t,) for t in tier_ids])
        self.policies.load(tx, [(str(e.originator_id),) for _, e in events if type(e).__qualname__ in POLICY_KINDS])

    def room(self, room_id: Any) -> dict[str, Any] | None:
        row = self.rooms.get((str(room_id),))
        if row is not None:
            self.rooms.touch((str(room_id),))
        return row

    def ticket(self, ticket_id: Any) -> dict[str, Any] | None:
        row = self.tickets.get((str(ticket_id),))
        if row is not None:
            self.tickets.touch((str(ticket_id),))
        return row

    def paid_delta(self, ticket: dict[str, Any], delta: int) -> None:
        room = self.room(ticket["room_id"])
        if room is not None:
            room["paid_count"] += delta

    def tier(self, tier_id: Any) -> dict[str, Any] | None:
        row = self.tiers.get((str(tier_id),))
        if row is not None:
            self.tiers.touch((str(tier_id),))
        return row

    def flush(self, tx: Tx) -> None:
        self.rooms.flush(tx)
        self.tiers.flush(tx)
        self.policies.flush(tx)
        self.tickets.flush(tx)
        insert_many(tx, f"ticket_transfers_view{self.s}", TRANSFER_COLUMNS, self.transfers)
        for sql, params in self.cast_ops:
            tx.execute(sql, params)


class CatalogProjection(BatchedProjection):
    name = "catalog"
    batch = _Batch
    ddl = staticmethod(_ddl)


# --- rooms -----------------------------------------------------------------------


def _room_opened(b: _Batch, e: Any, pos: int) -> None:
    b.rooms.insert({
        "room_id": str(e.originator_id), "host_id": e.host_id, "title": e.title, "state": "scheduled",
        "scheduled_start_us": to_us(e.scheduled_start), "price_amount": e.price_amount, "price_currency": e.price_currency,
        "capacity": e.capacity, "sales_end_us": to_us(e.sales_end), "opened_us": to_us(e.opened_at), "paid_count": 0,
        "position": pos,
    })
    b.cast_ops.append((f"INSERT INTO room_cast{b.s} (room_id, user_id, role) VALUES (%s, %s, %s)",
                       (str(e.originator_id), e.host_id, "host")))
    if e.default_tier:  # one price for the room: its default tier, whose id is the room's
        _tier_row(b, str(e.originator_id), e.originator_id, DEFAULT_TIER_NAME, e.price_amount, e.price_currency,
                  e.capacity, None, None, False, None, None, 0)  # 0: listed first


# --- tiers -------------------------------------------------------------------------

# Events that change a tier row: the tier's own, and the room's price and capacity (its default tier's).
TIER_KINDS = frozenset({"Room.TierRepriced", "Room.TierResized", "Room.TierClosed", "Room.PriceChanged",
                        "Room.CapacityChanged"})


def _tier_row(b: _Batch, tier_id: str, room_id: Any, name: str, price_amount: int, price_currency: str, capacity: int,
              sales_start: Any, sales_end: Any, hidden: bool, minimum: int | None, suggested: int | None,
              pos: int) -> None:
    b.tiers.insert({
        "tier_id": tier_id, "room_id": str(room_id), "name": name, "price_amount": price_amount,
        "price_currency": price_currency, "capacity": capacity, "sales_start_us": to_us(sales_start),
        "sales_end_us": to_us(sales_end), "hidden": hidden, "closed": False, "minimum_amount": minimum,
        "suggested_amount": suggested, "added_position": pos,
    })


def _tier_added(b: _Batch, e: Any, pos: int) -> None:
    _tier_row(b, e.tier_id, e.originator_id, e.name, e.price_amount, e.price_currency, e.capacity, e.sales_start,
              e.sales_end, e.hidden, e.minimum_amount, e.suggested_amount, pos)


def tier_set(column_values: Callable[[Any], dict[str, Any]]) -> Callable[[_Batch, Any, int], None]:
    """Change a tier's row; the room's own price and capacity events change its default tier (if it has one)."""
    def handler(b: _Batch, e: Any, pos: int) -> None:
        tier = b.tier(getattr(e, "tier_id", e.originator_id))
        if tier is not None:
            tier.update(column_values(e))
    return handler


def room_set(column_values: Callable[[Any], dict[str, Any]]) -> Callable[[_Batch, Any, int], None]:
    def handler(b: _Batch, e: Any, pos: int) -> None:
        room = b.room(e.originator_id)
        if room is not None:
            room.update(column_values(e), position=pos)
    return handler


def cast(role: str | None) -> Callable[[_Batch, Any, int], None]:
    def handler(b: _Batch, e: Any, pos: int) -> None:
        b.cast_ops.append((f"DELETE FROM room_cast{b.s} WHERE room_id = %s AND user_id = %s",
                           (str(e.originator_id), e.user_id)))
        if role is not None:
            b.cast_ops.append((f"INSERT INTO room_cast{b.s} (room_id, user_id, role) VALUES (%s, %s, %s)",
                               (str(e.originator_id), e.user_id, role)))
    return handler


# --- tickets ---------------------------------------------------------------------


def _ticket_reserved(b: _Batch, e: Any, pos: int) -> None:
    b.tickets.insert({
        "ticket_id": str(e.originator_id), "room_id": str(e.room_id), "holder_id": e.holder_id, "host_id": e.host_id,
        "status": "reserved", "price_amount": e.price_amount, "price_currency": e.price_currency,
        "reserved_us": to_us(e.reserved_at), "hold_expires_us": to_us(e.hold_expires_at), "fee": 0,
        "refunded_amount": 0, "position": pos, "tier_id": str(e.tier_id),
    })


def _ticket(handler: Callable[[_Batch, dict[str, Any], Any, int], None]) -> Callable[[_Batch, Any, int], None]:
    def run(b: _Batch, e: Any, pos: int) -> None:
        ticket = b.ticket(e.originator_id)
        if ticket is not None:  # Safeguard, should never happen: every ticket event follows Reserved.
            handler(b, ticket, e, pos)
            ticket["position"] = pos
    return run


def _payment_started(b: _Batch, t: dict[str, Any], e: Any, pos: int) -> None:
    t.update(provider=e.provider, payment_id=e.payment_id)


def _paid(b: _Batch, t: dict[str, Any], e: Any, pos: int) -> None:
    t.update(status="paid", paid_us=to_us(e.paid_at), provider=e.provider, payment_id=e.payment_id, fee=e.fee)
    b.paid_delta(t, +1)


def _released(b: _Batch, t: dict[str, Any], e: Any, pos: int) -> None:
    t.update(status="released", release_reason=e.reason)


def _transferred(b: _Batch, t: dict[str, Any], e: Any, pos: int) -> None:
    t["holder_id"] = e.to_holder_id
    b.transfers.append((str(e.originator_id), e.transfer_count, str(e.room_id), e.from_holder_id, e.to_holder_id,
                        to_us(e.at), pos))


def _refund_requested(b: _Batch, t: dict[str, Any], e: Any, pos: int) -> None:
    t["refunded_amount"] += e.amount
    if e.full:
        if t["status"] == "paid":
            b.paid_delta(t, -1)
        t.update(status="refunded", revoked_position=pos)


def _revoked(b: _Batch, t: dict[str, Any], e: Any, pos: int, reason: str | None = None) -> None:
    if t["status"] == "paid":
        b.paid_delta(t, -1)
    t.update(status="revoked", revoke_reason=reason or e.reason, revoked_position=pos)


def _dispute_opened(b: _Batch, t: dict[str, Any], e: Any, pos: int) -> None:
    if e.access_revoked:
        _revoked(b, t, e, pos, reason="disputed")


def _dispute_closed(b: _Batch, t: dict[str, Any], e: Any, pos: int) -> None:
    if e.won and t["status"] == "revoked" and t["revoke_reason"] == "disputed":
        t.update(status="paid", revoke_reason=None)
        b.paid_delta(t, +1)
    elif not e.won:
        t["refunded_amount"] += e.amount


POLICY_KINDS = frozenset({"Room.RefundPolicySet", "Room.Rescheduled"})


def policy_set(column_values: Callable[[Any], dict[str, Any]]) -> Callable[[_Batch, Any, int], None]:
    """Change the room's policy row (made on its first change)."""
    def handler(b: _Batch, e: Any, pos: int) -> None:
        key = (str(e.originator_id),)
        row = b.policies.get(key)
        if row is None:
            row = b.policies.insert({"room_id": key[0]})
        else:
            b.policies.touch(key)
        row.update(column_values(e))
    return handler


def both(*handlers: Callable[[_Batch, Any, int], None]) -> Callable[[_Batch, Any, int], None]:
    def handler(b: _Batch, e: Any, pos: int) -> None:
        for h in handlers:
            h(b, e, pos)
    return handler


HANDLERS: dict[str, Callable[[_Batch, Any, int], None]] = {
    "Room.Opened": _room_opened,
    "Room.Retitled": room_set(lambda e: {"title": e.title}),
    "Room.PriceChanged": both(room_set(lambda e: {"price_amount": e.price_amount, "price_currency": e.price_currency}),
                              tier_set(lambda e: {"price_amount": e.price_amount, "price_currency": e.price_currency})),
    "Room.CapacityChanged": both(room_set(lambda e: {"capacity": e.capacity}), tier_set(lambda e: {"capacity": e.capacity})),
    "Room.TierAdded": _tier_added,
    "Room.RefundPolicySet": policy_set(lambda e: {"refund_hours": e.hours}),
    "Room.Rescheduled": both(room_set(lambda e: {"scheduled_start_us": to_us(e.scheduled_start)}),
                             policy_set(lambda e: {"rescheduled_us": to_us(e.at), "refund_until_us": to_us(e.refund_until)})),
    "Room.TierRepriced": tier_set(lambda e: {"price_amount": e.price_amount, "price_currency": e.price_currency}),
    "Room.TierResized": tier_set(lambda e: {"capacity": e.capacity}),
    "Room.TierClosed": tier_set(lambda e: {"closed": True}),
    "Room.SalesEndChanged": room_set(lambda e: {"sales_end_us": to_us(e.sales_end)}),
    "Room.Started": room_set(lambda e: {"state": "live", "started_us": to_us(e.at)}),
    "Room.Ended": room_set(lambda e: {"state": "ended", "ended_us": to_us(e.at)}),
    "Room.Cancelled": room_set(lambda e: {"state": "cancelled", "cancelled_us": to_us(e.at)}),
    "Room.CohostAdded": cast("cohost"),
    "Room.CohostRemoved": cast(None),
    "Room.SpeakerAdded": cast("speaker"),
    "Room.SpeakerRemoved": cast(None),
    "Ticket.Reserved": _ticket_reserved,
    "Ticket.PaymentStarted": _ticket(_payment_started),
    "Ticket.Paid": _ticket(_paid),
    "Ticket.Released": _ticket(_released),
    "Ticket.Transferred": _ticket(_transferred),
    "Ticket.RefundRequested": _ticket(_refund_requested),
    "Ticket.Revoked": _ticket(_revoked),
    "Ticket.DisputeOpened": _ticket(_dispute_opened),
    "Ticket.DisputeClosed": _ticket(_dispute_closed),
}

CatalogProjection.handlers = HANDLERS
