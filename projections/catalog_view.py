"""Where the catalog projection writes: the view interface, and its PostgreSQL and SQLite implementations.

`CatalogView` names the operations the catalog's handlers need
(projections/catalog.py). A row a getter returns is the view's own: the
handler changes it in place and `flush` writes it. The SQL views keep the
rows a batch touches in memory (read in one query per table by `preload`) and
write each once; they share their SQL and differ by their `Rows` dialect
(projections/rows.py). Imports store/ and this package only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from store.db import Tx
from projections.rows import POSTGRES_ROWS, SQLITE_ROWS, RowCache, Rows

ROOM_COLUMNS = ("room_id", "host_id", "title", "state", "scheduled_start_us", "price_amount", "price_currency",
                "capacity", "sales_end_us", "opened_us", "started_us", "ended_us", "cancelled_us", "paid_count", "position")
TICKET_COLUMNS = ("ticket_id", "room_id", "holder_id", "host_id", "status", "price_amount", "price_currency",
                  "reserved_us", "hold_expires_us", "paid_us", "provider", "payment_id", "fee", "refunded_amount",
                  "release_reason", "revoke_reason", "position", "revoked_position", "tier_id")
TIER_COLUMNS = ("tier_id", "room_id", "name", "price_amount", "price_currency", "capacity", "sales_start_us",
                "sales_end_us", "hidden", "closed", "minimum_amount", "suggested_amount", "added_position")
POLICY_COLUMNS = ("room_id", "refund_hours", "rescheduled_us", "refund_until_us")
TRANSFER_COLUMNS = ("ticket_id", "transfer_no", "room_id", "from_holder_id", "to_holder_id", "at_us", "position")


class CatalogView(ABC):
    @abstractmethod
    def preload(self, *, rooms: Iterable[str], tickets: Iterable[str], tiers: Iterable[str],
                policies: Iterable[str]) -> None:
        """The rows these ids name will be asked for: read them now, together (a hint; may do nothing)."""

    @abstractmethod
    def add_room(self, row: dict[str, Any]) -> None: ...

    @abstractmethod
    def room(self, room_id: str) -> dict[str, Any] | None:
        """The room's row, to change in place (None: unknown)."""

    @abstractmethod
    def add_ticket(self, row: dict[str, Any]) -> None: ...

    @abstractmethod
    def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        """The ticket's row, to change in place (None: unknown)."""

    @abstractmethod
    def add_tier(self, row: dict[str, Any]) -> None: ...

    @abstractmethod
    def tier(self, tier_id: str) -> dict[str, Any] | None:
        """The tier's row, to change in place (None: unknown)."""

    @abstractmethod
    def policy(self, room_id: str) -> dict[str, Any]:
        """The room's policy row, to change in place; made on first use (no row: policy `none`)."""

    @abstractmethod
    def add_transfer(self, row: tuple[Any, ...]) -> None:
        """A gift of a ticket (TRANSFER_COLUMNS): the old holder's revocation."""

    @abstractmethod
    def set_cast(self, room_id: str, user_id: str, role: str | None) -> None:
        """The user's role in the room (`host`, `cohost`, `speaker`), or none."""

    @abstractmethod
    def flush(self) -> None:
        """Write what the batch changed."""


class SqlCatalogView(CatalogView):
    """The catalog in `rooms_view`, `room_cast`, `tickets_view`, `room_tiers_view`, `room_policies_view`."""

    sql: Rows

    def __init__(self, tx: Tx, suffix: str = "") -> None:
        self.tx, self.s = tx, suffix
        self.rooms = RowCache(self.sql, f"rooms_view{suffix}", ("room_id",), ROOM_COLUMNS)
        self.tickets = RowCache(self.sql, f"tickets_view{suffix}", ("ticket_id",), TICKET_COLUMNS)
        self.tiers = RowCache(self.sql, f"room_tiers_view{suffix}", ("tier_id",), TIER_COLUMNS)
        self.policies = RowCache(self.sql, f"room_policies_view{suffix}", ("room_id",), POLICY_COLUMNS)
        self.cast: list[tuple[str, str, str | None]] = []
        self.transfers: list[tuple[Any, ...]] = []

    def preload(self, *, rooms: Iterable[str], tickets: Iterable[str], tiers: Iterable[str],
                policies: Iterable[str]) -> None:
        self.tickets.load(self.tx, [(t,) for t in tickets])
        # A ticket's room too: its paid count moves with the ticket.
        self.rooms.load(self.tx, [(r,) for r in {*rooms, *(row["room_id"] for row in self.tickets.rows.values())}])
        self.tiers.load(self.tx, [(t,) for t in tiers])
        self.policies.load(self.tx, [(p,) for p in policies])

    def add_room(self, row: dict[str, Any]) -> None:
        self.rooms.insert(row)

    def room(self, room_id: str) -> dict[str, Any] | None:
        return self.rooms.changing((room_id,))

    def add_ticket(self, row: dict[str, Any]) -> None:
        self.tickets.insert(row)

    def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        return self.tickets.changing((ticket_id,))

    def add_tier(self, row: dict[str, Any]) -> None:
        self.tiers.insert(row)

    def tier(self, tier_id: str) -> dict[str, Any] | None:
        return self.tiers.changing((tier_id,))

    def policy(self, room_id: str) -> dict[str, Any]:
        return self.policies.changing((room_id,)) or self.policies.insert({"room_id": room_id})

    def add_transfer(self, row: tuple[Any, ...]) -> None:
        self.transfers.append(row)

    def set_cast(self, room_id: str, user_id: str, role: str | None) -> None:
        self.cast.append((room_id, user_id, role))

    def flush(self) -> None:
        self.rooms.flush(self.tx)
        self.tiers.flush(self.tx)
        self.policies.flush(self.tx)
        self.tickets.flush(self.tx)
        self.sql.insert(self.tx, f"ticket_transfers_view{self.s}", TRANSFER_COLUMNS, self.transfers)
        table = f"room_cast{self.s}"
        for room_id, user_id, role in self.cast:  # in order: a user may be added, removed and added again
            self.tx.execute(f"DELETE FROM {table} WHERE room_id = %s AND user_id = %s", (room_id, user_id))
            if role is not None:
                self.tx.execute(f"INSERT INTO {table} (room_id, user_id, role) VALUES (%s, %s, %s)",
                                (room_id, user_id, role))


class PostgresCatalogView(SqlCatalogView):
    sql = POSTGRES_ROWS


class SqliteCatalogView(SqlCatalogView):
    sql = SQLITE_ROWS
