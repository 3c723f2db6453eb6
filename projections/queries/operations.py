"""Reads for operators: the best-selling open rooms (for /metrics, bounded to N rows)."""

from __future__ import annotations

from store.db import Database


def top_rooms(db: Database, limit: int) -> list[tuple[str, int]]:
    """The `limit` scheduled or live rooms with the most paid seats (index on state keeps it bounded)."""
    if limit <= 0:
        return []
    rows = db.query("SELECT room_id, paid_count FROM rooms_view WHERE state IN ('scheduled', 'live')"
                    " ORDER BY paid_count DESC, room_id LIMIT %s", (limit,))
    return [(str(r["room_id"]), int(r["paid_count"])) for r in rows]
