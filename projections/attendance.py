"""The check-in log as a read table: one row per participant session."""

from __future__ import annotations

from typing import Any

from store.db import Tx
from store.timecodes import to_us


class AttendanceProjection:
    name = "attendance"
    handles = frozenset({"Presence.Joined", "Presence.Left"})

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        t = f"attendance_sessions{suffix}"
        return [(t, f"CREATE TABLE {t} (room_id VARCHAR(36) NOT NULL, user_id TEXT NOT NULL, session_id TEXT NOT NULL,"
                    " role VARCHAR(16), joined_us BIGINT, left_us BIGINT, PRIMARY KEY (room_id, user_id, session_id))", [])]

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        kind = type(event).__qualname__
        t = f"attendance_sessions{suffix}"
        if kind == "Presence.Joined":
            tx.execute(f"INSERT INTO {t} (room_id, user_id, session_id, role, joined_us) VALUES (%s, %s, %s, %s, %s)"
                       " ON CONFLICT (room_id, user_id, session_id) DO UPDATE SET joined_us = excluded.joined_us,"
                       f" role = excluded.role",
                       (str(event.room_id), event.user_id, event.session_id, event.role, to_us(event.at)))
        elif kind == "Presence.Left":
            tx.execute(f"INSERT INTO {t} (room_id, user_id, session_id, left_us) VALUES (%s, %s, %s, %s)"
                       " ON CONFLICT (room_id, user_id, session_id) DO UPDATE SET left_us = excluded.left_us",
                       (str(event.room_id), event.user_id, event.session_id, to_us(event.at)))
