"""Where the waitlist projection writes: the view interface, and its PostgreSQL and SQLite implementations.

One row per listener's place in a room's line in `waitlist_view`, with the
offer made to them (projections/waitlist.py). The SQL views read the rows a
batch changes in one query and write each once; they share their SQL and
differ by their `Rows` dialect (projections/rows.py). Imports store/ and this
package only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from projections.rows import POSTGRES_ROWS, SQLITE_ROWS, RowCache, Rows
from store.db import Tx

TABLE = "waitlist_view"
# Created by migration 0017 (literal SQL there; keep the two the same).
WAITLIST_TABLE = ("CREATE TABLE {table} (entry_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL,"
                  " tier_id VARCHAR(36) NOT NULL, holder_id TEXT NOT NULL, place INTEGER NOT NULL,"
                  " status VARCHAR(16) NOT NULL, joined_us BIGINT NOT NULL, offer_id VARCHAR(36), offer_made_us BIGINT,"
                  " offer_expires_us BIGINT, ticket_id VARCHAR(36), position BIGINT NOT NULL)")
WAITLIST_INDEXES = ("CREATE INDEX {table}_by_holder ON {table} (holder_id, joined_us)",
                    "CREATE INDEX {table}_by_room ON {table} (room_id, place)")
COLUMNS = ("entry_id", "room_id", "tier_id", "holder_id", "place", "status", "joined_us", "offer_id", "offer_made_us",
           "offer_expires_us", "ticket_id", "position")


class WaitlistView(ABC):
    @abstractmethod
    def preload(self, entries: Iterable[str]) -> None:
        """These entries' rows will be asked for: read them now, together (a hint)."""

    @abstractmethod
    def add_entry(self, row: dict[str, Any]) -> None: ...

    @abstractmethod
    def entry(self, entry_id: str) -> dict[str, Any] | None:
        """The entry's row, to change in place (None: unknown)."""

    @abstractmethod
    def flush(self) -> None:
        """Write what the batch changed."""


class SqlWaitlistView(WaitlistView):
    sql: Rows

    def __init__(self, tx: Tx, suffix: str = "") -> None:
        self.tx = tx
        self.entries = RowCache(self.sql, TABLE + suffix, ("entry_id",), COLUMNS)

    def preload(self, entries: Iterable[str]) -> None:
        self.entries.load(self.tx, [(e,) for e in entries])

    def add_entry(self, row: dict[str, Any]) -> None:
        self.entries.insert(row)

    def entry(self, entry_id: str) -> dict[str, Any] | None:
        return self.entries.changing((entry_id,))

    def flush(self) -> None:
        self.entries.flush(self.tx)


class PostgresWaitlistView(SqlWaitlistView):
    sql = POSTGRES_ROWS


class SqliteWaitlistView(SqlWaitlistView):
    sql = SQLITE_ROWS
