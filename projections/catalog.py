"""The catalog: rooms, their cast and their tickets, as read tables.

Serves room listings, a listener's tickets, a room's buyers, and is the
snapshot the in-memory admission index loads from. Built only from events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.store.db import Tx
from api.store.guards_sql import to_us


def _ddl(suffix: str) -> list[tuple[str, str, list[str]]]:
    r, c, t = f"rooms_view{suffix}", f"room_cast{suffix}", f"tickets_view{suffix}"
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
            " position BIGINT NOT NULL, revoked_position BIGINT)",
            [
                f"CREATE INDEX {t}_by_holder ON {t} (holder_id, reserved_us)",
                f"CREATE INDEX {t}_by_room ON {t} (room_id, status)",
                f"CREATE INDEX {t}_by_revocation ON {t} (room_id, revoked_position)",
            ],
        ),
    ]


def room_set(column_values: Callable[[Any], dict[str, Any]]) -> Callable[..., None]:
    def handler(self: CatalogProjection, tx: Tx, e: Any, pos: int, s: str) -> None:
        values = column_values(e)
        sets = ", ".join(f"{k} = %s" for k in values)
        tx.execute(f"UPDATE rooms_view{s} SET {sets}, position = %s WHERE room_id = %s",
                   (*values.values(), pos, str(e.originator_id)))
    return handler

def cast(role: str | None) -> Callable[..., None]:
    def handler(self: CatalogProjection, tx: Tx, e: Any, pos: int, s: str) -> None:
        tx.execute(f"DELETE FROM room_cast{s} WHERE room_id = %s AND user_id = %s", (str(e.originator_id), e.user_id))
        if role is not None:
            tx.execute(f"INSERT INTO room_cast{s} (room_id, user_id, role) VALUES (%s, %s, %s)",
                       (str(e.originator_id), e.user_id, role))
    return handler


class CatalogProjection:
    name = "catalog"

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        return _ddl(suffix)

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        handler = self._handlers.get(type(event).__qualname__)
        if handler is not None:
            handler(self, tx, event, position, suffix)

    # --- rooms -----------------------------------------------------------------

    def _room_opened(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        tx.execute(
            f"INSERT INTO rooms_view{s} (room_id, host_id, title, state, scheduled_start_us, price_amount, price_currency,"
            " capacity, sales_end_us, opened_us, paid_count, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s)",
            (str(e.originator_id), e.host_id, e.title, "scheduled", to_us(e.scheduled_start), e.price_amount,
             e.price_currency, e.capacity, to_us(e.sales_end), to_us(e.opened_at), pos),
        )
        tx.execute(f"INSERT INTO room_cast{s} (room_id, user_id, role) VALUES (%s, %s, %s)",
                   (str(e.originator_id), e.host_id, "host"))

    # --- tickets -----------------------------------------------------------------

    def _ticket_reserved(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        tx.execute(
            f"INSERT INTO tickets_view{s} (ticket_id, room_id, holder_id, host_id, status, price_amount, price_currency,"
            " reserved_us, hold_expires_us, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), str(e.room_id), e.holder_id, e.host_id, "reserved", e.price_amount, e.price_currency,
             to_us(e.reserved_at), to_us(e.hold_expires_at), pos),
        )

    def _ticket_payment_started(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        tx.execute(f"UPDATE tickets_view{s} SET provider = %s, payment_id = %s, position = %s WHERE ticket_id = %s",
                   (e.provider, e.payment_id, pos, str(e.originator_id)))

    def _ticket_paid(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        row = tx.one(f"SELECT room_id FROM tickets_view{s} WHERE ticket_id = %s", (str(e.originator_id),))
        tx.execute(
            f"UPDATE tickets_view{s} SET status = %s, paid_us = %s, provider = %s, payment_id = %s, fee = %s,"
            " position = %s WHERE ticket_id = %s",
            ("paid", to_us(e.paid_at), e.provider, e.payment_id, e.fee, pos, str(e.originator_id)),
        )
        if row is not None:
            tx.execute(f"UPDATE rooms_view{s} SET paid_count = paid_count + 1 WHERE room_id = %s", (row["room_id"],))

    def _ticket_released(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        tx.execute(f"UPDATE tickets_view{s} SET status = %s, release_reason = %s, position = %s WHERE ticket_id = %s",
                   ("released", e.reason, pos, str(e.originator_id)))

    def _ticket_refund_requested(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        row = tx.one(f"SELECT room_id, status FROM tickets_view{s} WHERE ticket_id = %s", (str(e.originator_id),))
        if e.full:
            tx.execute(
                f"UPDATE tickets_view{s} SET status = %s, refunded_amount = refunded_amount + %s, position = %s,"
                " revoked_position = %s WHERE ticket_id = %s",
                ("refunded", e.amount, pos, pos, str(e.originator_id)),
            )
            if row is not None and row["status"] == "paid":
                tx.execute(f"UPDATE rooms_view{s} SET paid_count = paid_count - 1 WHERE room_id = %s", (row["room_id"],))
        else:
            tx.execute(f"UPDATE tickets_view{s} SET refunded_amount = refunded_amount + %s, position = %s WHERE ticket_id = %s",
                       (e.amount, pos, str(e.originator_id)))

    def _ticket_revoked(self, tx: Tx, e: Any, pos: int, s: str, reason: str | None = None) -> None:
        row = tx.one(f"SELECT room_id, status FROM tickets_view{s} WHERE ticket_id = %s", (str(e.originator_id),))
        tx.execute(
            f"UPDATE tickets_view{s} SET status = %s, revoke_reason = %s, position = %s, revoked_position = %s"
            " WHERE ticket_id = %s",
            ("revoked", reason or e.reason, pos, pos, str(e.originator_id)),
        )
        if row is not None and row["status"] == "paid":
            tx.execute(f"UPDATE rooms_view{s} SET paid_count = paid_count - 1 WHERE room_id = %s", (row["room_id"],))

    def _dispute_opened(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        if e.access_revoked:
            self._ticket_revoked(tx, e, pos, s, reason="disputed")

    def _dispute_closed(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        row = tx.one(f"SELECT room_id, status, revoke_reason FROM tickets_view{s} WHERE ticket_id = %s",
                     (str(e.originator_id),))
        if row is None:
            return
        if e.won and row["status"] == "revoked" and row["revoke_reason"] == "disputed":
            tx.execute(f"UPDATE tickets_view{s} SET status = %s, revoke_reason = NULL, position = %s WHERE ticket_id = %s",
                       ("paid", pos, str(e.originator_id)))
            tx.execute(f"UPDATE rooms_view{s} SET paid_count = paid_count + 1 WHERE room_id = %s", (row["room_id"],))
        elif not e.won:
            tx.execute(f"UPDATE tickets_view{s} SET refunded_amount = refunded_amount + %s, position = %s WHERE ticket_id = %s",
                       (e.amount, pos, str(e.originator_id)))

    _handlers: dict[str, Callable[..., None]] = {
        "Room.Opened": _room_opened,
        "Room.Retitled": room_set(lambda e: {"title": e.title}),
        "Room.PriceChanged": room_set(lambda e: {"price_amount": e.price_amount, "price_currency": e.price_currency}),
        "Room.CapacityChanged": room_set(lambda e: {"capacity": e.capacity}),
        "Room.SalesEndChanged": room_set(lambda e: {"sales_end_us": to_us(e.sales_end)}),
        "Room.Started": room_set(lambda e: {"state": "live", "started_us": to_us(e.at)}),
        "Room.Ended": room_set(lambda e: {"state": "ended", "ended_us": to_us(e.at)}),
        "Room.Cancelled": room_set(lambda e: {"state": "cancelled", "cancelled_us": to_us(e.at)}),
        "Room.CohostAdded": cast("cohost"),
        "Room.CohostRemoved": cast(None),
        "Room.SpeakerAdded": cast("speaker"),
        "Room.SpeakerRemoved": cast(None),
        "Ticket.Reserved": _ticket_reserved,
        "Ticket.PaymentStarted": _ticket_payment_started,
        "Ticket.Paid": _ticket_paid,
        "Ticket.Released": _ticket_released,
        "Ticket.RefundRequested": _ticket_refund_requested,
        "Ticket.Revoked": _ticket_revoked,
        "Ticket.DisputeOpened": _dispute_opened,
        "Ticket.DisputeClosed": _dispute_closed,
    }
