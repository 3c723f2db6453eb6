"""On PostgreSQL a projection batch writes each table with one statement, whatever the number of rows.

Issue 14: a sale spread over a thousand rooms wrote one statement per changed
row (rooms_view, the pending amounts, the balances and their hours, the
revenue and movement rollups), ~150k statements where one hot room's batches
needed a handful. `PostgresRows` (projections/rows.py) now sends one
statement per table and batch, with one array per column. Two guards:

- a batch over many rooms costs as many statements as a batch over a few,
  counted through a wrapped transaction (an `executemany` counts one
  statement per row: what the server runs);
- the set-based update, add, upsert and delete leave the same table as the
  per-row statements (the shared `Rows` SQL) for rows with None values,
  booleans, big integers, keys of one and of several columns, and repeated
  keys within one call.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

import pytest

from projections.rows import ROWS, Rows
from store.db import Database, Tx
from tests.integration.projections.support import a_paid_ticket, a_room, domain_events, rows, unique
from tests.integration.projections.support import engine  # noqa: F401 - the fixture

SUFFIX = "__setbased"


class CountingTx:
    """A transaction that counts the statements it sends, by their first words."""

    def __init__(self, tx: Tx) -> None:
        self.tx, self.dialect = tx, tx.dialect
        self.counts: collections.Counter[str] = collections.Counter()

    def _count(self, sql: str, n: int = 1) -> None:
        self.counts[" ".join(sql.split()[:3])] += n

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._count(sql)
        self.tx.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._count(sql, len(rows))  # the server runs the statement once per row
        self.tx.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        self._count(sql)
        return self.tx.one(sql, params)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._count(sql)
        return self.tx.all(sql, params)

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self._count(f"COPY {table}")
        self.tx.append(table, columns, rows)

    def type_names(self, table: str, columns: Sequence[str]) -> list[str]:
        return self.tx.type_names(table, columns)


# --- a batch over many rooms ------------------------------------------------------------------------


def second_sales_statements(services: Any, postgres_url: str, rooms: int) -> collections.Counter[str]:
    """The statements the projections send for one batch holding a second sale in each of `rooms`
    rooms (each its own creator's), after a batch that opened the rooms and sold one ticket each:
    the second batch changes existing rows of every kept table."""
    box = services.app
    before = len(domain_events(box))
    rooms_made = [a_room(box, unique("host"), amount=1_500, capacity=10) for _ in range(rooms)]
    for room in rooms_made:
        a_paid_ticket(box, room.id)
    first = domain_events(box)[before:]
    for room in rooms_made:
        a_paid_ticket(box, room.id)
    second = domain_events(box)[before + len(first):]
    projections = services.projector.projections
    db = Database(postgres_url)
    try:
        with db.transaction() as tx:
            for projection in projections.values():
                for table, create, _ in projection.tables(SUFFIX):
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
                    tx.execute(create)
        counting: collections.Counter[str] = collections.Counter()
        for events, counted in ((first, False), (second, True)):
            with db.transaction() as tx:
                wrapped = CountingTx(tx)
                for projection in projections.values():
                    mine = [(p, e) for p, e in events if type(e).__qualname__ in projection.handles]
                    if mine:
                        projection.apply_batch(wrapped, mine, SUFFIX)  # type: ignore[arg-type]
                if counted:
                    counting = wrapped.counts
        assert rows(db, f"ledger_room_pending{SUFFIX}") and rows(db, f"revenue_rooms{SUFFIX}")
    finally:
        db.close()
    return counting


@pytest.mark.postgres
def test_a_batch_over_many_rooms_sends_as_many_statements_as_one_over_a_few(services: Any, postgres_url: str) -> None:
    few = second_sales_statements(services, postgres_url, rooms=2)
    many = second_sales_statements(services, postgres_url, rooms=12)

    grew = {sql: (few[sql], many[sql]) for sql in many if many[sql] != few[sql]}
    assert grew == {}
    for table in ("rooms_view", "ledger_room_pending", "ledger_balances", "ledger_balance_hours"):
        assert many[f"UPDATE {table}{SUFFIX} SET"] == 1, many
    for table in ("revenue_days", "revenue_rooms", "creator_totals", "ledger_movement_days"):
        assert many[f"INSERT INTO {table}{SUFFIX}"] == 1, many


# --- set-based writes leave the tables the per-row statements leave ------------------------------------

COLUMNS = ("k1", "k2", "flag", "big", "note", "amount")
CREATE = ("CREATE TABLE {t} (k1 VARCHAR(36) NOT NULL, k2 BIGINT NOT NULL, flag BOOLEAN, big BIGINT, note TEXT,"
          " amount INTEGER NOT NULL, PRIMARY KEY ({key}))")
BIG = 9_007_199_254_740_993  # above 2**53: a float on the way would round it
START = [("a", 1, True, 5, "x", 10), ("a", 2, False, None, None, 20), ("b", 1, None, BIG, "y", 30)]
KEYS = {"one column": ("k1",), "two columns": ("k1", "k2")}



def both_ways(db: Database, key: tuple[str, ...], start: list[tuple[Any, ...]], write: Any) -> tuple[list[Any], list[Any], int]:
    """The table after `write(rows, tx, table)` through the shared per-row SQL, the table after it
    through the engine's `Rows`, and the statements the latter sent."""
    tables = []
    counted = 0
    for name, sql in (("per_row", Rows()), ("engine", ROWS[db.dialect])):
        table = f"rows_{name}_{len(key)}"
        with db.transaction() as tx:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
            tx.execute(CREATE.format(t=table, key=", ".join(key)))
            tx.executemany(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES (%s, %s, %s, %s, %s, %s)", start)
        with db.transaction() as tx:
            wrapped = CountingTx(tx)
            write(sql, wrapped, table)
            counted = sum(wrapped.counts.values())
        tables.append(rows(db, table))
    return tables[0], tables[1], counted


def unique_by(key: tuple[str, ...], start: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    at = [COLUMNS.index(c) for c in key]
    return list({tuple(r[i] for i in at): r for r in start}.values())


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_a_set_based_update_sets_what_the_per_row_updates_set(engine: Database, key: tuple[str, ...]) -> None:
    start = unique_by(key, START)
    settable = [c for c in COLUMNS if c not in key]
    changed = [{**dict(zip(COLUMNS, r, strict=True)), "flag": None, "big": BIG + i, "note": None if i else "z",
                "amount": -i} for i, r in enumerate(start)]
    changed.append({**changed[0], "flag": True, "amount": 99})  # a key twice: the last write stands
    values = [(*(r[c] for c in settable), *(r[c] for c in key)) for r in changed]

    per_row, set_based, statements = both_ways(engine, key, start,
                                               lambda sql, tx, t: sql.update(tx, t, settable, key, values))

    assert set_based == per_row
    assert statements == (1 if engine.dialect == "postgresql" else len(values))


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_a_set_based_add_adds_what_the_per_row_upserts_add(engine: Database, key: tuple[str, ...]) -> None:
    start = unique_by(key, START)
    amounts = ("big", "amount")
    added = [("a", 1, None, 7, "new", 1), ("c", 3, True, BIG, None, 2), ("c", 3, False, 1, "later", 3),
             ("b", 1, False, -BIG, "n", -30), ("a", 2, None, 1, None, 4)]
    added = [r for r in added if r[3] is not None]

    per_row, set_based, statements = both_ways(engine, key, start,
                                               lambda sql, tx, t: sql.add(tx, t, COLUMNS, key, amounts, added))

    assert set_based == per_row
    assert statements == (1 if engine.dialect == "postgresql" else len(added))


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_a_set_based_upsert_leaves_what_the_per_row_upserts_leave(engine: Database, key: tuple[str, ...]) -> None:
    start = unique_by(key, START)
    upserted = [("b", 1, True, None, None, 5), ("d", 9, None, BIG, "new", 6), ("d", 9, False, 3, None, 7),
                ("a", 1, None, None, "kept", 8)]

    per_row, set_based, statements = both_ways(engine, key, start,
                                               lambda sql, tx, t: sql.upsert(tx, t, COLUMNS, key, upserted))

    assert set_based == per_row
    assert statements == (1 if engine.dialect == "postgresql" else len(upserted))


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_a_set_based_delete_deletes_what_the_per_row_deletes_delete(engine: Database, key: tuple[str, ...]) -> None:
    start = unique_by(key, START)
    gone = [r[:len(key)] for r in (("a", 2), ("b", 1), ("a", 2), ("z", 7))]

    per_row, set_based, statements = both_ways(engine, key, start,
                                               lambda sql, tx, t: sql.delete(tx, t, key, gone))

    assert set_based == per_row
    assert len(set_based) < len(start)
    assert statements == (1 if engine.dialect == "postgresql" else len(gone))


def test_empty_writes_send_nothing(engine: Database) -> None:
    key = ("k1", "k2")
    sql = ROWS[engine.dialect]

    _, _, statements = both_ways(engine, key, START, lambda sql_, tx, t: (
        sql.update(tx, t, ["note"], key, []), sql.add(tx, t, COLUMNS, key, ("amount",), []),
        sql.upsert(tx, t, COLUMNS, key, []), sql.delete(tx, t, key, [])))

    assert statements == 0
