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

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier
from eventsourcing.sqlite import SQLiteApplicationRecorder

from store.guard_reads import SqlGuardReads
from store.guards_sql import SqlGuards

CHUNK = 1000  # aggregates per read in select_events_of


class GuardedSQLiteRecorder(SQLiteApplicationRecorder):
    def transact(self, work: Callable[[SqlGuards], Sequence[StoredEvent]]) -> Sequence[int]:
        # BEGIN IMMEDIATE: the guards read before they write, and a deferred SQLite
        # transaction that reads first cannot become a writer while another
        # connection writes (it fails at once with "database is locked" instead of
        # waiting). Taking the write lock up front makes it wait its turn.
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                guards = SqlGuards(cursor, "?")
                stored = work(guards)
                guards.flush()
                ids = (self._insert_events(cursor, stored) or []) if stored else []
            except sqlite3.IntegrityError as exc:  # the library's error, as on PostgreSQL
                conn.rollback()
                raise IntegrityError(str(exc)) from exc
            except sqlite3.OperationalError as exc:
                conn.rollback()
                raise OperationalError(str(exc)) from exc
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            return ids

    def guard_reads(self) -> SqlGuardReads:
        return SqlGuardReads(self._read, "?")

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        found: dict[UUID, list[StoredEvent]] = {}
        with self.datastore.transaction(commit=False) as cursor:
            for start in range(0, len(originator_ids), CHUNK):
                chunk = [i.hex for i in originator_ids[start:start + CHUNK]]
                cursor.execute(f"SELECT originator_id, originator_version, topic, state FROM {self.events_table_name}"
                               f" WHERE originator_id IN ({', '.join('?' * len(chunk))})"
                               " ORDER BY originator_id, originator_version", chunk)
                for row in cursor.fetchall():
                    originator_id = UUID(str(self.convert_originator_id(row["originator_id"])))
                    found.setdefault(originator_id, []).append(StoredEvent(
                        originator_id=originator_id, originator_version=row["originator_version"],
                        topic=row["topic"], state=row["state"]))
        return found

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())


class GuardedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The library's statement, fed four plain arrays in binary instead of one array
        # of composites: psycopg dumps composites element by element in Python, which
        # cost more than the insert in a flash sale. Same rows, same order, same ids.
        # `%b`, not `%s`: for a list `%s` picks psycopg's text array dumper, which quotes and
        # escapes every element in Python (15 us per event row here, 1.6 us in binary).
        self._insert_columns_statement = self._on_events_table(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])"
            " RETURNING notification_id"
        )
        self._select_notifications_statement = self._on_events_table(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {schema}.{table}"
        )
        self._stored_topics_statement = self._on_events_table("SELECT DISTINCT topic FROM {schema}.{table}")
        self._select_events_of_statement = self._on_events_table(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table}"
            " WHERE originator_id = ANY(%b::uuid[]) ORDER BY originator_id, originator_version"
        )

    def _on_events_table(self, text: str) -> Composed:
        return SQL(text).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The library's query, read as binary tuples: every projector batch and admission tail
        reads the log through here, and building a dict per row cost more than the row."""
        return [Notification(id=row[0], originator_id=row[1], originator_version=row[2], topic=row[3], state=row[4])
                for row in self.select_notification_rows(start, limit, stop, topics, inclusive_of_start)]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_notification_rows(self, start: int | None, limit: int, stop: int | None = None,
                                 topics: Sequence[str] = (), inclusive_of_start: bool = True) -> list[tuple[Any, ...]]:
        """`select_notifications` as plain (id, originator_id, originator_version, topic, state) tuples:
        a replay reads every event of the log, and a `Notification` (a frozen dataclass) cost more to
        build than the row (1.5 µs against 1.3 µs for the row itself)."""
        where, params = [], []
        if start is not None:
            where.append("notification_id >= %s" if inclusive_of_start else "notification_id > %s")
            params.append(start)
        if stop is not None:
            where.append("notification_id <= %s")
            params.append(stop)
        if topics:
            where.append("topic = ANY(%b)")
            params.append(list(topics))
        params.append(limit)
        statement = self._select_notifications_statement + SQL(
            (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY notification_id LIMIT %s")
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, params, prepare=True, binary=True)
            return curs.fetchall()

    def stored_topics(self) -> list[str]:
        """Every topic the log holds (one scan of the table: a rebuild asks once, projections/rebuild.py)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._stored_topics_statement)
            return [row[0] for row in curs.fetchall()]

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self._insert_columns_statement, (
            [UUID(str(e.originator_id)) if not isinstance(e.originator_id, UUID) else e.originator_id
             for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        ), binary=True)

    def transact(self, work: Callable[[SqlGuards], Sequence[StoredEvent]]) -> Sequence[int]:
        # Pipeline mode: statements whose answer nobody reads (the guards' updates,
        # the table lock, NOTIFY) travel with the next one that is read, so a batch
        # costs a handful of round trips instead of one per statement. The transaction
        # block sits inside the pipeline, so its COMMIT travels with the table lock and
        # the insert: the events table lock, which serialises every sale of every room,
        # is held for the server's work and the commit's flush only, never for a round
        # trip to this process (which, on busy cores, may wait for the GIL in between).
        with self.datastore.get_connection() as conn, conn.pipeline() as pipeline:
            with conn.transaction():
                cursor = conn.cursor()
                guards = SqlGuards(cursor, "%s")
                stored = work(guards)
                guards.flush()
                if stored:
                    self._insert_stored_events(cursor, stored)
            pipeline.sync()  # the insert's answer, after the commit
            guards.after_commit()  # and the payment queue's (store/pacing_sql.py)
            return (self._fetch_ids_after_insert_events(cursor, stored) or []) if stored else []

    def guard_reads(self) -> SqlGuardReads:
        return SqlGuardReads(self._read, "%s")

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        found: dict[UUID, list[StoredEvent]] = {}
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            for start in range(0, len(originator_ids), CHUNK):
                cursor.execute(self._select_events_of_statement, (list(originator_ids[start:start + CHUNK]),),
                               binary=True)
                for row in cursor.fetchall():
                    found.setdefault(row["originator_id"], []).append(StoredEvent(
                        originator_id=row["originator_id"], originator_version=row["originator_version"],
                        topic=row["topic"], state=bytes(row["state"])))
        return found

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
