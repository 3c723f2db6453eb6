"""Where the ledger projection writes: the view interface, and its PostgreSQL and SQLite implementations.

`LedgerView` names the operations the ledger's handlers need
(projections/ledger.py): the rooms whose earnings are still pending, each
room's pending amount per currency, and appending journal entries and revenue
facts. The SQL views keep a batch's rows in memory and write them once in
`flush`, with what finance reads beside them, in the same transaction: kept
balances and their hourly history (ledger_balances.py), movements per day
(ledger_movements.py), revenue per room and day, per room and per creator (revenue_rollups.py). They
share their SQL and differ by their `Rows` dialect (projections/rows.py).
Imports store/ and this package only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from store.db import Tx
from projections import ledger_balances, ledger_movements, revenue_rollups
from projections.rows import POSTGRES_ROWS, SQLITE_ROWS, RowCache, Rows

ENTRY_COLUMNS = ("entry_id", "kind", "position", "occurred_us", "currency", "room_id", "creator_id", "ticket_id",
                 "reference", "memo")
POSTING_COLUMNS = ("entry_id", "line", "account", "currency", "amount", "occurred_us", "position")
FACT_COLUMNS = ("fact_id", "kind", "occurred_us", "room_id", "creator_id", "currency", "tickets", "gross", "fees",
                "commission", "creator_share", "refunds")


class LedgerView(ABC):
    @abstractmethod
    def preload(self, rooms: Iterable[str]) -> None:
        """These rooms (and their pending amounts) will be asked for: read them now (a hint)."""

    @abstractmethod
    def add_room(self, room_id: str, creator_id: str) -> None: ...

    @abstractmethod
    def room(self, room_id: str) -> dict[str, Any] | None:
        """`{"room_id", "creator_id", "released"}`, to read (None: unknown)."""

    @abstractmethod
    def release(self, room_id: str) -> None:
        """The room's earnings are released: its later sales earn straight into `available`."""

    @abstractmethod
    def pending(self, room_id: str) -> dict[str, int]:
        """What the room holds pending, per currency (a copy)."""

    @abstractmethod
    def add_pending(self, room_id: str, currency: str, delta: int) -> None: ...

    @abstractmethod
    def post(self, entry: tuple[Any, ...], postings: Sequence[tuple[Any, ...]]) -> None:
        """Append a balanced journal entry (ENTRY_COLUMNS) and its postings (POSTING_COLUMNS)."""

    @abstractmethod
    def fact(self, fact: tuple[Any, ...]) -> None:
        """Append a revenue fact (FACT_COLUMNS)."""

    @abstractmethod
    def payout(self, creator_id: str, currency: str, paid: int, in_transit: int, postings: int) -> None:
        """Add what a payout entry moved to the creator's totals (paid out, in transit, its postings there)."""

    @abstractmethod
    def flush(self) -> None:
        """Write what the batch changed."""


class SqlLedgerView(LedgerView):
    sql: Rows

    def __init__(self, tx: Tx, suffix: str = "") -> None:
        self.tx, self.s = tx, suffix
        self.entries: list[tuple[Any, ...]] = []
        self.postings: list[tuple[Any, ...]] = []
        self.facts: list[tuple[Any, ...]] = []
        self.payouts: dict[tuple[str, str], list[int]] = {}
        self.rooms = RowCache(self.sql, f"ledger_rooms{suffix}", ("room_id",), ("room_id", "creator_id", "released"))
        self.amounts = RowCache(self.sql, f"ledger_room_pending{suffix}", ("room_id", "currency"),
                                ("room_id", "currency", "amount"))
        # The currencies each room holds pending earnings in: a release finds its rows
        # without scanning every pending row of the batch.
        self.currencies: dict[str, set[str]] = {}

    def preload(self, rooms: Iterable[str]) -> None:
        wanted = [(r,) for r in rooms]
        self.rooms.load(self.tx, wanted)
        for row in self.sql.select(self.tx, self.amounts.table, self.amounts.columns, ("room_id",), wanted):
            self.amounts.rows[(row["room_id"], row["currency"])] = dict(row)
            self.currencies.setdefault(row["room_id"], set()).add(row["currency"])

    def add_room(self, room_id: str, creator_id: str) -> None:
        self.rooms.insert({"room_id": room_id, "creator_id": creator_id, "released": False})

    def room(self, room_id: str) -> dict[str, Any] | None:
        return self.rooms.get((room_id,))

    def release(self, room_id: str) -> None:
        row = self.rooms.changing((room_id,))
        if row is not None:
            row["released"] = True

    def pending(self, room_id: str) -> dict[str, int]:
        return {c: int(self.amounts.rows[(room_id, c)]["amount"]) for c in self.currencies.get(room_id, ())}

    def add_pending(self, room_id: str, currency: str, delta: int) -> None:
        row = self.amounts.changing((room_id, currency))
        if row is None:
            self.amounts.insert({"room_id": room_id, "currency": currency, "amount": delta})
            self.currencies.setdefault(room_id, set()).add(currency)
        else:
            row["amount"] += delta

    def post(self, entry: tuple[Any, ...], postings: Sequence[tuple[Any, ...]]) -> None:
        self.entries.append(entry)
        self.postings += postings

    def fact(self, fact: tuple[Any, ...]) -> None:
        self.facts.append(fact)

    def payout(self, creator_id: str, currency: str, paid: int, in_transit: int, postings: int) -> None:
        figures = self.payouts.setdefault((creator_id, currency), [0, 0, 0])
        figures[0] += paid
        figures[1] += in_transit
        figures[2] += postings

    def flush(self) -> None:
        tx, s = self.tx, self.s
        self.rooms.flush(tx)
        # A room's pending row that reached zero (released, or refunded to nothing) goes;
        # one the batch created and emptied is never written.
        pending = self.amounts
        empty = [k for k in pending.new | pending.dirty if pending.rows[k]["amount"] == 0]
        pending.new.difference_update(empty)
        gone = [k for k in empty if k in pending.dirty]
        pending.dirty.difference_update(empty)
        pending.flush(tx)
        self.sql.delete(tx, pending.table, pending.key, gone)
        self.sql.insert(tx, f"ledger_entries{s}", ENTRY_COLUMNS, self.entries)
        self.sql.insert(tx, f"ledger_postings{s}", POSTING_COLUMNS, self.postings)
        self.sql.insert(tx, f"revenue_facts{s}", FACT_COLUMNS, self.facts)
        ledger_balances.BalanceBook(s, self.sql).apply(tx, self.postings)
        ledger_movements.add_movements(tx, s, {e[0]: e[1] for e in self.entries}, self.postings, self.sql)
        revenue_rollups.roll_up(tx, s, self.facts, self.payouts, self.sql)


class PostgresLedgerView(SqlLedgerView):
    sql = POSTGRES_ROWS


class SqliteLedgerView(SqlLedgerView):
    sql = SQLITE_ROWS
