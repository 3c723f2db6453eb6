"""Payouts as the payouts projection keeps them, and the ledger reads a payout run makes.

The read tables only nominate: a payout run loads the aggregates these ids name and checks
their own state (a read table may lag the event store), and reads balances only once the
read tables hold the whole log (payouts/runs.py).

May import: store/ (the database helpers) and the projections' own constants.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from store.db import Database

AVAILABLE_ACCOUNTS = "creator:%:available"  # the LIKE pattern of every creator's available account


def payouts(db: Database, *, creator_id: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    """payouts_view rows, newest scheduled first."""
    where: list[str] = []
    params: list[Any] = []
    if creator_id:
        where.append("creator_id = %s")
        params.append(creator_id)
    if status:
        where.append("status = %s")
        params.append(status)
    return db.query(
        "SELECT * FROM payouts_view" + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY scheduled_us DESC, payout_id LIMIT %s", (*params, limit))


def payout(db: Database, payout_id: str) -> dict[str, Any] | None:
    """One payouts_view row, or None while the projection has not seen the payout."""
    return db.query_one("SELECT * FROM payouts_view WHERE payout_id = %s", (payout_id,))


def payout_ids(db: Database, *, status: str | None = None, period: str | None = None,
               creator_id: str | None = None) -> list[str]:
    """Ids of the payouts matching every filter given, newest scheduled first."""
    where, params = [], []
    for column, value in (("status", status), ("period", period), ("creator_id", creator_id)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    rows = db.query("SELECT payout_id FROM payouts_view" + (" WHERE " + " AND ".join(where) if where else "")
                    + " ORDER BY scheduled_us DESC", params)
    return [r["payout_id"] for r in rows]


def rooms_due_for_release(db: Database, ended_by_us: int) -> list[str]:
    """Rooms that ended at or before `ended_by_us` whose earnings the ledger still holds, first ended first."""
    rows = db.query(
        "SELECT r.room_id FROM rooms_view r JOIN ledger_rooms l ON l.room_id = r.room_id"
        " WHERE r.state = %s AND r.ended_us <= %s AND l.released = %s ORDER BY r.ended_us",
        ("ended", ended_by_us, False),
    )
    return [r["room_id"] for r in rows]


def projection_positions(db: Database, names: Iterable[str]) -> dict[str, int]:
    """The log position each named projection has reached (0 for one that never ran)."""
    positions = dict.fromkeys(names, 0)
    if positions:
        marks = ", ".join(["%s"] * len(positions))
        for r in db.query(f"SELECT name, position FROM projection_positions WHERE name IN ({marks})",
                          tuple(positions)):
            positions[r["name"]] = int(r["position"])
    return positions


def available_balances(db: Database) -> dict[tuple[str, str], int]:
    """What the ledger owes each creator, per currency: (creator_id, currency) -> minor units
    (the negated credit balance of `creator:<id>:available`, kept by the ledger projection)."""
    owed: dict[tuple[str, str], int] = {}
    for r in db.query("SELECT account, currency, balance FROM ledger_balances WHERE account LIKE %s",
                      (AVAILABLE_ACCOUNTS,)):
        creator = r["account"][len("creator:"):-len(":available")]
        owed[(creator, r["currency"])] = -int(r["balance"])
    return owed


def room_pending(db: Database, room_id: str) -> list[dict[str, Any]]:
    """What a room's release would move to its creator: rows of currency, amount, creator_id."""
    return db.query("SELECT p.currency, p.amount, l.creator_id FROM ledger_room_pending p JOIN ledger_rooms l"
                    " ON l.room_id = p.room_id WHERE p.room_id = %s", (room_id,))
