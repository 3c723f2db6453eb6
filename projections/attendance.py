"""The check-in log as a read table: one row per participant session.

One handler per event kind, writing through an `AttendanceView`
(projections/attendance_view.py: PostgreSQL and SQLite). Imports domain/,
store/ and this package only.
"""

from __future__ import annotations

from typing import Any

from store.timecodes import to_us
from domain.attendance.model import Presence
from projections.attendance_view import AttendanceView, PostgresAttendanceView, SqliteAttendanceView
from projections.projection import Projection, handles


class AttendanceProjection(Projection[AttendanceView]):
    name = "attendance"
    views = {"postgresql": PostgresAttendanceView, "sqlite": SqliteAttendanceView}

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        t = f"attendance_sessions{suffix}"
        return [(t, f"CREATE TABLE {t} (room_id VARCHAR(36) NOT NULL, user_id TEXT NOT NULL, session_id TEXT NOT NULL,"
                    " role VARCHAR(16), joined_us BIGINT, left_us BIGINT, PRIMARY KEY (room_id, user_id, session_id))", [])]

    @handles(Presence.Joined)
    def joined(self, view: AttendanceView, e: Any, pos: int) -> None:
        view.joined(str(e.room_id), e.user_id, e.session_id, e.role, to_us(e.at))

    @handles(Presence.Left)
    def left(self, view: AttendanceView, e: Any, pos: int) -> None:
        view.left(str(e.room_id), e.user_id, e.session_id, to_us(e.at))
