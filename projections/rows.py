"""Set-based writes for projections: read the rows a batch touches once, write them once.

A projection applying events one statement at a time costs a database round
trip per event and tops out at a few thousand events a second. Instead, for
each batch a `RowCache` loads every row the batch will touch in one query per
table, handlers change plain dicts in memory, and `flush` writes new rows and
changed rows with one `executemany` each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, ClassVar

from store.db import Tx

CHUNK = 500


class RowCache:
    def __init__(self, table: str, key: Sequence[str], columns: Sequence[str]) -> None:
        self.table = table
        self.key = tuple(key)
        self.columns = tuple(columns)
        self._blank = dict.fromkeys(self.columns)
        self._values = _tuple_getter(self.columns)
        self._settable = [c for c in self.columns if c not in self.key]
        self._set_values = _tuple_getter([*self._settable, *self.key])
        self.rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.missing: set[tuple[Any, ...]] = set()
        self.new: set[tuple[Any, ...]] = set()
        self.dirty: set[tuple[Any, ...]] = set()

    def load(self, tx: Tx, keys: Iterable[tuple[Any, ...]]) -> None:
        wanted = [k for k in set(keys) if k not in self.rows and k not in self.missing]
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            if len(self.key) == 1:
                where = f"{self.key[0]} IN ({', '.join(['%s'] * len(chunk))})"
                params: list[Any] = [k[0] for k in chunk]
            else:
                one = "(" + " AND ".join(f"{c} = %s" for c in self.key) + ")"
                where = " OR ".join([one] * len(chunk))
                params = [v for k in chunk for v in k]
            for row in tx.all(f"SELECT {', '.join(self.columns)} FROM {self.table} WHERE {where}", params):
                self.rows[tuple(row[c] for c in self.key)] = dict(row)
            self.missing.update(k for k in chunk if k not in self.rows)

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        return self.rows.get(key)

    def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        key = tuple(row[c] for c in self.key)
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
            insert_many(tx, self.table, self.columns, [self._values(self.rows[k]) for k in self.new])
        if self.dirty:
            sql = (f"UPDATE {self.table} SET " + ", ".join(f"{c} = %s" for c in self._settable)
                   + " WHERE " + " AND ".join(f"{c} = %s" for c in self.key))
            tx.executemany(sql, [self._set_values(self.rows[k]) for k in self.dirty])
        self.new.clear()
        self.dirty.clear()


def _tuple_getter(columns: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values for `columns`, as a tuple, in C (itemgetter alone answers a bare value for one column)."""
    if len(columns) == 1:
        only = columns[0]
        return lambda row: (row[only],)
    return itemgetter(*columns)


def insert_many(tx: Tx, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows with COPY (PostgreSQL) or one prepared statement run in C (sqlite3).

    Not multi-row VALUES: a statement with thousands of placeholders costs more
    to parse than the rows cost to write.
    """
    if rows:
        tx.append(table, columns, rows)


class BatchedProjection:
    """A projection applied a batch at a time: a batch object collects the rows, handlers
    (one per event class name) change them, and the batch writes them once at the end."""

    name: ClassVar[str]
    batch: ClassVar[Callable[[Tx, str, list[tuple[int, Any]]], Any]]
    handlers: ClassVar[dict[str, Callable[[Any, Any, int], None]]]
    ddl: ClassVar[Callable[[str], list[tuple[str, str, list[str]]]]]

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        return type(self).ddl(suffix)

    @property
    def handles(self) -> frozenset[str]:
        """The event class names this projection reacts to (the projector decodes no others)."""
        return frozenset(self.handlers)

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        self.apply_batch(tx, [(position, event)], suffix)

    def apply_batch(self, tx: Tx, events: list[tuple[int, Any]], suffix: str = "") -> None:
        batch = type(self).batch(tx, suffix, events)
        for position, event in events:
            handler = self.handlers.get(type(event).__qualname__)
            if handler is not None:
                handler(batch, event, position)
        batch.flush(tx)
