"""Set-based writes for projections: read the rows a batch touches once, write them once.

A projection applying events one statement at a time costs a database round
trip per event and tops out at a few thousand events a second. Instead, for
each batch a `RowCache` loads every row the batch will touch in one query per
table, handlers change plain dicts in memory, and `flush` writes new rows and
changed rows with one call each.

What differs between the engines sits in a `Rows` dialect. `PostgresRows`
sends a batch as one statement per table whatever its size: it reads keys
with one array parameter (`= ANY(%s)`), appends with binary COPY (through the
store's `Tx.append`), and updates, adds, upserts and deletes with one array
per column, unnested (`UPDATE t SET ... FROM unnest(%b::bigint[], ...)`):
a batch over a thousand rooms is a handful of statements, as one hot room's
is, not a statement per row (issue 14). `SqliteRows` reads with `IN` lists
within SQLite's limit on parameters and writes with `executemany` (one
prepared statement run in C, no round trips to save). Each read model's
PostgreSQL and SQLite views differ only by the `Rows` they use.
Imports store/ only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from store.db import Tx, forget_types

CHUNK = 500


class Rows:
    """How a view reads and writes many rows at once: the SQL both engines share (PostgreSQL
    replaces the writes with set-based ones, giving the same tables)."""

    dialect: str

    def select(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str],
               keys: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """The rows whose `key` columns hold one of `keys`."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            if len(key) == 1:
                where = f"{key[0]} IN ({', '.join(['%s'] * len(chunk))})"
                params: list[Any] = [k[0] for k in chunk]
            else:
                one = "(" + " AND ".join(f"{c} = %s" for c in key) + ")"
                where = " OR ".join([one] * len(chunk))
                params = [v for k in chunk for v in k]
            found += tx.all(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", params)
        return found

    def insert(self, tx: Tx, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """New rows, as fast as the engine allows (not multi-row VALUES: a statement with thousands
        of placeholders costs more to parse than the rows cost to write)."""
        if rows:
            tx.append(table, columns, rows)

    def update(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> None:
        """Set `columns` of existing rows; each row gives the columns' values, then its key's."""
        if rows:
            tx.executemany(f"UPDATE {table} SET " + ", ".join(f"{c} = %s" for c in columns)
                           + " WHERE " + " AND ".join(f"{c} = %s" for c in key), rows)

    def add(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str], amounts: Sequence[str],
            rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows, or add their `amounts` to the rows already there (order-free: a rebuild that
        splits the log into other batches gives the same rows)."""
        if rows:
            adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in amounts)
            tx.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
                           f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {adds}", rows)

    def upsert(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows, or set their non-key `columns` on the rows already there, in order."""
        if rows:
            sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
            tx.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
                           f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}", rows)

    def delete(self, tx: Tx, table: str, key: Sequence[str], keys: Sequence[Sequence[Any]]) -> None:
        if keys:
            tx.executemany(f"DELETE FROM {table} WHERE " + " AND ".join(f"{c} = %s" for c in key), keys)


class SqliteRows(Rows):
    dialect = "sqlite"  # IN lists of at most CHUNK parameters (older SQLite builds allow 999 a statement)


class PostgresRows(Rows):
    """One statement per call whatever the number of rows. Rows go in sorted by key (two writers
    touching the same rows take their locks in one order), at most one per key: a statement may
    not change a row twice ("cannot affect row a second time"), so duplicates are merged first,
    to what the per-row statements in order would have left."""

    dialect = "postgresql"

    def select(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str],
               keys: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """One statement for any number of keys: one array parameter per key column."""
        if not keys:
            return []
        if len(key) == 1:
            return tx.all(f"SELECT {', '.join(columns)} FROM {table} WHERE {key[0]} = ANY(%s)", ([k[0] for k in keys],))
        arrays = ", ".join(["%s::text[]"] * len(key))
        return tx.all(f"SELECT {', '.join(columns)} FROM {table} WHERE ({', '.join(key)}) IN"
                      f" (SELECT * FROM unnest({arrays}))", [[str(k[i]) for k in keys] for i in range(len(key))])

    def update(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        n = len(columns)
        last = {tuple(r[n:]): r for r in rows}  # the per-row statements in order: the last one stands
        sql = (f"UPDATE {table} SET " + ", ".join(f"{c} = d.{c}" for c in columns)
               + f" FROM {self._unnest(tx, table, [*columns, *key])} WHERE "
               + " AND ".join(f"{table}.{c} = d.{c}" for c in key))
        self._run(tx, table, sql, [last[k] for k in sorted(last)])

    def add(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str], amounts: Sequence[str],
            rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        at = [columns.index(c) for c in key]
        summed = [columns.index(c) for c in amounts]
        merged: dict[tuple[Any, ...], list[Any]] = {}
        for r in rows:
            k = tuple(r[i] for i in at)
            row = merged.get(k)
            if row is None:
                merged[k] = list(r)  # the first row inserts: its other columns stand
            else:
                for i in summed:
                    row[i] += r[i]
        adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in amounts)
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM {self._unnest(tx, table, columns)}"
               f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {adds}")
        self._run(tx, table, sql, [merged[k] for k in sorted(merged)])

    def upsert(self, tx: Tx, table: str, columns: Sequence[str], key: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        at = [columns.index(c) for c in key]
        last = {tuple(r[i] for i in at): r for r in rows}
        sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM {self._unnest(tx, table, columns)}"
               f" ON CONFLICT ({', '.join(key)}) " + (f"DO UPDATE SET {sets}" if sets else "DO NOTHING"))
        self._run(tx, table, sql, [last[k] for k in sorted(last)])

    def delete(self, tx: Tx, table: str, key: Sequence[str], keys: Sequence[Sequence[Any]]) -> None:
        if not keys:
            return
        sql = (f"DELETE FROM {table} USING {self._unnest(tx, table, key)} WHERE "
               + " AND ".join(f"{table}.{c} = d.{c}" for c in key))
        self._run(tx, table, sql, sorted({tuple(k) for k in keys}))

    @staticmethod
    def _unnest(tx: Tx, table: str, columns: Sequence[str]) -> str:
        """`unnest(...) AS d(columns)`: one array parameter per column, cast to the column's type."""
        types = tx.type_names(table, columns)
        if any(t.endswith("]") for t in types):  # Safeguard: unnest would flatten an array column's arrays
            raise TypeError(f"{table}: a set-based write cannot carry array columns ({columns})")
        arrays = ", ".join(f"%b::{t}[]" for t in types)
        return f"unnest({arrays}) AS d({', '.join(columns)})"

    @staticmethod
    def _run(tx: Tx, table: str, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run `sql` with the rows as one list per column."""
        try:
            tx.execute(sql, [list(column) for column in zip(*rows, strict=True)])
        except Exception:
            forget_types(table)  # a table altered under us: read its types again next time
            raise


SQLITE_ROWS, POSTGRES_ROWS = SqliteRows(), PostgresRows()
ROWS: dict[str, Rows] = {"sqlite": SQLITE_ROWS, "postgresql": POSTGRES_ROWS}


class RowCache:
    """The rows of one table a batch touches, as dicts, read once and written once."""

    def __init__(self, rows: Rows, table: str, key: Sequence[str], columns: Sequence[str]) -> None:
        self.sql = rows
        self.table = table
        self.key = tuple(key)
        self.columns = tuple(columns)
        self._blank = dict.fromkeys(self.columns)
        self._key_of = _tuple_getter(self.key)
        self._values = _tuple_getter(self.columns)
        self._settable = [c for c in self.columns if c not in self.key]
        self._set_values = _tuple_getter([*self._settable, *self.key])
        self.rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.missing: set[tuple[Any, ...]] = set()
        self.new: set[tuple[Any, ...]] = set()
        self.dirty: set[tuple[Any, ...]] = set()

    def load(self, tx: Tx, keys: Iterable[tuple[Any, ...]]) -> None:
        wanted = [k for k in set(keys) if k not in self.rows and k not in self.missing]
        key_of = self._key_of
        for row in self.sql.select(tx, self.table, self.columns, self.key, wanted):
            self.rows[key_of(row)] = dict(row)
        self.missing.update(k for k in wanted if k not in self.rows)

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        return self.rows.get(key)

    def changing(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        """The row, marked to be written back (the caller changes it in place)."""
        row = self.rows.get(key)
        if row is not None and key not in self.new:
            self.dirty.add(key)
        return row

    def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        key = self._key_of(row)
        full = {**self._blank, **row}
        if len(full) != len(self._blank):  # Safeguard: a handler named a column the table lacks.
            raise KeyError(f"{self.table} has no column {sorted(set(full) - set(self._blank))}")
        self.rows[key] = full
        self.missing.discard(key)
        self.new.add(key)
        return full

    def touch(self, key: tuple[Any, ...]) -> None:
        if key not in self.new:
            self.dirty.add(key)

    def flush(self, tx: Tx) -> None:
        if self.new:
            self.sql.insert(tx, self.table, self.columns, [self._values(self.rows[k]) for k in self.new])
        if self.dirty:
            self.sql.update(tx, self.table, self._settable, self.key, [self._set_values(self.rows[k]) for k in self.dirty])
        self.new.clear()
        self.dirty.clear()


def _tuple_getter(columns: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values for `columns`, as a tuple, in C (itemgetter alone answers a bare value for one column)."""
    if len(columns) == 1:
        only = columns[0]
        return lambda row: (row[only],)
    return itemgetter(*columns)
