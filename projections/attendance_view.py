"""Where the attendance projection writes: the view interface, and its PostgreSQL and SQLite implementations.

One row per participant session in `attendance_sessions`. A join and a leave
set different columns of the session's row, and each is an upsert, so a
session whose leave arrives first still ends up whole. The SQL views write a
batch's joins and leaves with one statement each, in log order; they share
their SQL and differ by their `Rows` dialect (projections/rows.py). Imports
store/ and this package only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from store.db import Tx
from projections.rows import POSTGRES_ROWS, SQLITE_ROWS, Rows

SESSION_KEY = ("room_id", "user_id", "session_id")


class AttendanceView(ABC):
    @abstractmethod
    def joined(self, room_id: str, user_id: str, session_id: str, role: str | None, at_us: int) -> None: ...

    @abstractmethod
    def left(self, room_id: str, user_id: str, session_id: str, at_us: int) -> None: ...

    @abstractmethod
    def flush(self) -> None:
        """Write what the batch changed."""


class SqlAttendanceView(AttendanceView):
    sql: Rows

    def __init__(self, tx: Tx, suffix: str = "") -> None:
        self.tx, self.table = tx, f"attendance_sessions{suffix}"
        self.joins: list[tuple[str, str, str, str | None, int]] = []
        self.leaves: list[tuple[str, str, str, int]] = []

    def joined(self, room_id: str, user_id: str, session_id: str, role: str | None, at_us: int) -> None:
        self.joins.append((room_id, user_id, session_id, role, at_us))

    def left(self, room_id: str, user_id: str, session_id: str, at_us: int) -> None:
        self.leaves.append((room_id, user_id, session_id, at_us))

    def flush(self) -> None:
        # Joins and leaves touch different columns: applying all joins, then all leaves,
        # gives the rows that applying them interleaved in log order would.
        self.sql.upsert(self.tx, self.table, (*SESSION_KEY, "role", "joined_us"), SESSION_KEY, self.joins)
        self.sql.upsert(self.tx, self.table, (*SESSION_KEY, "left_us"), SESSION_KEY, self.leaves)


class PostgresAttendanceView(SqlAttendanceView):
    sql = POSTGRES_ROWS


class SqliteAttendanceView(SqlAttendanceView):
    sql = SQLITE_ROWS
