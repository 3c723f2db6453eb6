"""Rooms and tickets as the catalog projection keeps them: pages of rooms, a holder's tickets,
a room's buyers and its revocation feed, and how many rooms a host took live lately.

Pages are keyset pages: the caller passes the last row's key (`after`) and asks for one row
more than it shows, to know whether there is a next page. Rows are plain dicts of the read
tables' columns; turning them into HTTP bodies is the API's job.

May import: store/ (the database helpers and time codes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from store.db import Database
from store.timecodes import to_us

HOSTED_WINDOW = timedelta(days=30)


def rooms_hosted_since(db: Database, host_id: str, now: datetime, window: timedelta = HOSTED_WINDOW) -> int:
    """How many rooms the host took live in `window` before `now`: the `rooms_hosted_30d`
    eligibility rule reads it (the domain never queries tables; the API passes the number in)."""
    row = db.query_one("SELECT COUNT(*) AS n FROM rooms_view WHERE host_id = %s AND started_us >= %s",
                       (host_id, to_us(now - window)))
    return int(row["n"]) if row else 0


def rooms(db: Database, *, host_id: str | None, state: str | None, after: tuple[int, str] | None,
          limit: int) -> list[dict[str, Any]]:
    """Rooms newest first (opened_us, room_id descending), after the key `after`."""
    where: list[str] = []
    params: list[Any] = []
    if host_id is not None:
        where.append("host_id = %s")
        params.append(host_id)
    if state is not None:
        where.append("state = %s")
        params.append(state)
    if after is not None:
        opened_us, room_id = after
        where.append("(opened_us < %s OR (opened_us = %s AND room_id < %s))")
        params += [opened_us, opened_us, room_id]
    sql = "SELECT * FROM rooms_view" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY opened_us DESC, room_id DESC LIMIT %s"
    return db.query(sql, (*params, limit))


def room_details(db: Database, room_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """A room row's companions: its cast (user_id, role), its tiers in the order they were added,
    and its refund policy row (None when the room never set one)."""
    cast = db.query("SELECT user_id, role FROM room_cast WHERE room_id = %s", (room_id,))
    tiers = db.query("SELECT * FROM room_tiers_view WHERE room_id = %s ORDER BY added_position", (room_id,))
    policy = db.query_one("SELECT * FROM room_policies_view WHERE room_id = %s", (room_id,))
    return cast, tiers, policy


def holder_tickets(db: Database, holder_id: str, *, room_id: str | None, status: str | None,
                   after: tuple[int, str] | None, limit: int) -> list[dict[str, Any]]:
    """A holder's tickets, newest reservation first (reserved_us, ticket_id descending)."""
    where, params = ["holder_id = %s"], [holder_id]
    if room_id:
        where.append("room_id = %s")
        params.append(room_id)
    if status:
        where.append("status = %s")
        params.append(status)
    if after is not None:
        reserved_us, ticket_id = after
        where.append("(reserved_us < %s OR (reserved_us = %s AND ticket_id < %s))")
        params += [reserved_us, reserved_us, ticket_id]
    return db.query(
        "SELECT * FROM tickets_view WHERE " + " AND ".join(where) + " ORDER BY reserved_us DESC, ticket_id DESC LIMIT %s",
        (*params, limit),
    )


def buyers(db: Database, room_id: str, *, after: tuple[int, str] | None, limit: int) -> list[dict[str, Any]]:
    """The room's paid tickets, first paid first: ticket_id, holder_id, paid_us, price_amount, price_currency."""
    where, params = ["room_id = %s", "status = %s"], [room_id, "paid"]
    if after is not None:
        paid_us, ticket_id = after
        where.append("(paid_us > %s OR (paid_us = %s AND ticket_id > %s))")
        params += [paid_us, paid_us, ticket_id]
    return db.query(
        "SELECT ticket_id, holder_id, paid_us, price_amount, price_currency FROM tickets_view WHERE "
        + " AND ".join(where) + " ORDER BY paid_us, ticket_id LIMIT %s",
        (*params, limit),
    )


def revocations(db: Database, room_id: str, *, since: int, limit: int) -> list[dict[str, Any]]:
    """The room's revocation feed after log position `since`, in log order, at most `limit` items:
    tickets refunded or revoked, and the old holders of tickets given away (a transfer revokes the
    old holder's tokens; the ticket itself stays live for the receiver). Each item: ticket_id,
    user_id, status, reason, position."""
    rows = db.query(
        "SELECT ticket_id, holder_id, status, revoke_reason, revoked_position FROM tickets_view"
        " WHERE room_id = %s AND revoked_position > %s ORDER BY revoked_position LIMIT %s",
        (room_id, since, limit),
    )
    items = [{"ticket_id": r["ticket_id"], "user_id": r["holder_id"], "status": r["status"],
              "reason": r["revoke_reason"] or r["status"], "position": r["revoked_position"]} for r in rows]
    given = db.query(
        "SELECT ticket_id, from_holder_id, position FROM ticket_transfers_view"
        " WHERE room_id = %s AND position > %s ORDER BY position LIMIT %s", (room_id, since, limit))
    items += [{"ticket_id": r["ticket_id"], "user_id": r["from_holder_id"], "status": "transferred",
               "reason": "transferred", "position": r["position"]} for r in given]
    return sorted(items, key=lambda item: item["position"])[:limit]
