"""A small SQL access layer for read tables, on SQLite or PostgreSQL.

Projections write through `transaction()`; queries read through `query()`.
SQL is written once with `%s` placeholders; SQLite gets `?`. Rows come back as
plain dicts.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from store.env import sqlite_path


class Tx(Protocol):
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None: ...

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows as fast as the database allows (COPY on PostgreSQL)."""

    def type_names(self, table: str, columns: Sequence[str]) -> list[str]:
        """The columns' SQL types, to cast array parameters to (PostgreSQL only: set-based writes)."""
        raise NotImplementedError

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


class _SqliteTx:
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._c = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._c.execute(sql.replace("%s", "?"), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._c.executemany(sql.replace("%s", "?"), [tuple(r) for r in rows])

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        marks = ", ".join(["?"] * len(columns))
        self._c.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", [tuple(r) for r in rows])

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        row = self._c.execute(sql.replace("%s", "?"), tuple(params)).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._c.execute(sql.replace("%s", "?"), tuple(params)).fetchall()]


# table -> {column: (type oid, type name)}, for binary COPY (_PgTx.append) and the casts of
# set-based writes' arrays (projections/rows.py). Tables are only altered by migrations, which
# run before the service; a failed COPY forgets the table anyway (`forget_types`).
_COLUMN_TYPES: dict[str, dict[str, tuple[int, str]]] = {}


def forget_types(table: str) -> None:
    """Read the table's column types from the catalog again next time (a write with them failed)."""
    _COLUMN_TYPES.pop(table, None)


class _PgTx:
    dialect = "postgresql"

    def __init__(self, cursor: Any) -> None:
        self._cur = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cur.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cur.executemany(sql, [tuple(r) for r in rows])

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """COPY in binary: formatting a row costs a third of the text format's (measured 0.23
        against 0.57-0.89 µs for a ledger posting), and the server parses no digits."""
        types = self._column_types(table, columns)
        try:
            with self._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        except Exception:
            forget_types(table)  # a table altered under us: read its types again next time
            raise

    def _column_types(self, table: str, columns: Sequence[str]) -> list[int]:
        """The columns' type oids. Binary COPY must name them: an int sent as int8 into an int4
        column is refused."""
        known = self._catalog_types(table)
        return [known[c][0] for c in columns]

    def type_names(self, table: str, columns: Sequence[str]) -> list[str]:
        """The columns' SQL type names without modifiers (`bigint`, `character varying`, `boolean`)."""
        known = self._catalog_types(table)
        return [known[c][1] for c in columns]

    def _catalog_types(self, table: str) -> dict[str, tuple[int, str]]:
        """The table's columns' types, read from the catalog once per table and process."""
        known = _COLUMN_TYPES.get(table)
        if known is None:
            self._cur.execute("SELECT attname, atttypid, format_type(atttypid, NULL) AS name FROM pg_attribute"
                              " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (table,))
            known = _COLUMN_TYPES[table] = {r["attname"]: (int(r["atttypid"]), r["name"]) for r in self._cur.fetchall()}
        return known

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        self._cur.execute(sql, tuple(params))
        return self._cur.fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._cur.execute(sql, tuple(params))
        return list(self._cur.fetchall())


class Database:
    """Connections for read tables: a pool on PostgreSQL, one per thread on SQLite."""

    def __init__(self, database_url: str, pool_size: int = 10, connect_timeout: float = 5.0) -> None:
        self.url = database_url
        self.dialect = "sqlite" if database_url.startswith("sqlite:///") else "postgresql"
        if self.dialect == "sqlite":
            self._path = sqlite_path(database_url)
            self._local = threading.local()
            self._all: list[sqlite3.Connection] = []
            self._lock = threading.Lock()
        else:
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool

            from store.env import sqlalchemy_url

            conninfo = sqlalchemy_url(database_url).replace("postgresql+psycopg://", "postgresql://")
            self.conninfo = conninfo
            self._pool = ConnectionPool(
                conninfo, min_size=1, max_size=pool_size, kwargs={"row_factory": dict_row}, open=True,
                timeout=connect_timeout,  # then the database counts as unreachable: a 503, not a 30 s wait
            )

    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, wait: float | None = None) -> Iterator[Tx]:
        """A transaction on a pooled connection (PostgreSQL), waiting at most `wait` seconds for one
        (by default the pool's timeout: then the database counts as unreachable)."""
        if self.dialect == "sqlite":
            conn = self._sqlite()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        with self._pool.connection(timeout=wait) as conn, conn.transaction(), conn.cursor() as cur:
            yield _PgTx(cur)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if self.dialect == "sqlite":
            return _SqliteTx(self._sqlite()).all(sql, params)
        with self._pool.connection() as conn, conn.cursor() as cur:
            return _PgTx(cur).all(sql, params)

    def stream(self, sql: str, params: Sequence[Any] = (), batch: int = 2_000) -> Iterator[dict[str, Any]]:
        """Rows of a query of any size, `batch` at a time, never all in memory.

        PostgreSQL: a server-side (named) cursor in its own read transaction, on a pooled
        connection held until the stream ends or is closed. SQLite: a connection of the
        stream's own (a web server may resume the generator on any thread).
        """
        if self.dialect == "sqlite":
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            try:
                cur = conn.execute(sql.replace("%s", "?"), tuple(params))
                while rows := cur.fetchmany(batch):
                    yield from (dict(r) for r in rows)
            finally:
                conn.close()
            return
        with self._pool.connection() as conn, conn.transaction(), conn.cursor(name="stream") as cur:
            cur.itersize = batch
            cur.execute(sql, tuple(params))
            while rows := cur.fetchmany(batch):
                yield from rows

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        if self.dialect == "sqlite":
            with self._lock:
                for conn in self._all:
                    conn.close()
                self._all.clear()
        else:
            self._pool.close()
