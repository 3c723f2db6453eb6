"""Who attended a room and for how long, from the attendance projection's sessions.

May import: store/ (the database helpers and time codes).
"""

from __future__ import annotations

from typing import Any

from store.db import Database

US_PER_SECOND = 1_000_000


def attendance(db: Database, room_id: str, now_us: int) -> list[dict[str, Any]]:
    """One summary per participant, by user id: role, sessions, seconds present (a session still
    open counts up to `now_us`), first join and last leave (in microseconds, or None), present."""
    rows = db.query(
        "SELECT user_id, role, session_id, joined_us, left_us FROM attendance_sessions WHERE room_id = %s"
        " ORDER BY user_id, joined_us", (room_id,))
    people: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = people.setdefault(r["user_id"], {"user_id": r["user_id"], "role": r["role"], "sessions": 0, "seconds": 0,
                                             "first_joined_at": None, "last_left_at": None, "present": False})
        p["sessions"] += 1
        p["role"] = p["role"] or r["role"]
        joined, left = r["joined_us"], r["left_us"]
        if joined is not None:
            end = left if left is not None else now_us
            p["seconds"] += max(0, (end - joined) // US_PER_SECOND)
            first = p["first_joined_at"]
            p["first_joined_at"] = min(first, joined) if first is not None else joined
        if left is None and joined is not None:
            p["present"] = True
        if left is not None:
            p["last_left_at"] = max(p["last_left_at"] or 0, left)
    return list(people.values())
