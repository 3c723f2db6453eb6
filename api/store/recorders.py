"""eventsourcing application recorders that also run the write guards.

`transact(work)` opens ONE transaction, lets `work` check and update the guard
tables through `SqlGuards`, then appends the stored events `work` returns, and
commits. If anything raises, nothing of it is stored. On PostgreSQL the events
table lock (the library's way to keep notification ids in commit order) is
taken last, after the guard rows, so guard rows are never waited on while the
table lock is held.

Selected by the composition root with eventsourcing's
`APPLICATION_RECORDER_TOPIC`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from api.store.guards_sql import SqlGuardReads, SqlGuards


class GuardedSQLiteRecorder(SQLiteApplicationRecorder):
    def transact(self, work: Callable[[SqlGuards], Sequence[StoredEvent]]) -> Sequence[int]:
        with self.datastore.transaction(commit=True) as cursor:
            stored = work(SqlGuards(cursor, "?"))
            if not stored:
                return []
            return self._insert_events(cursor, stored) or []

    def guard_reads(self) -> SqlGuardReads:
        return SqlGuardReads(self._read, "?")

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())


class GuardedPostgresRecorder(PostgresApplicationRecorder):
    def transact(self, work: Callable[[SqlGuards], Sequence[StoredEvent]]) -> Sequence[int]:
        with self.datastore.transaction(commit=True) as cursor:
            stored = work(SqlGuards(cursor, "%s"))
            if not stored:
                return []
            self._insert_stored_events(cursor, stored)
            return self._fetch_ids_after_insert_events(cursor, stored) or []

    def guard_reads(self) -> SqlGuardReads:
        return SqlGuardReads(self._read, "%s")

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
