"""The in-memory store's guard tables: rows, a transaction's staged changes, and the reads.

The same tables as migrations 0002, 0010 and 0011 (seat_inventory,
tier_inventory, seat_holds, code_inventory, creator_revenue, processed_keys,
payout_accounts), as dicts of frozen rows. A transaction never changes them in
place: it stages new rows (`Staged`) and the recorder applies them only after
the work and the events' checks succeeded, so a decide that raises writes
nothing. The same constraints hold: a second row with the same key, a counter
below zero or over its cap, two live tickets of one holder in one room raise
eventsourcing's IntegrityError, as the databases' do.

Used by store/memory.py; imports the domain and eventsourcing only.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.guards import CodeTerms, ExpiredHold, Inventory, TierInventory
from domain.money import Money
from store.timecodes import from_us, to_us

K = TypeVar("K")
V = TypeVar("V")


def utc(at: datetime | None) -> datetime | None:
    """The instant as the databases keep it: exact microseconds, a naive datetime taken as UTC."""
    return from_us(to_us(at))


@dataclass(frozen=True, slots=True)
class RoomRow:
    room_id: UUID
    host_id: str
    capacity: int
    taken: int
    price: Money
    on_sale: bool
    sales_end: datetime | None

    def __post_init__(self) -> None:
        if not 0 <= self.taken <= self.capacity:  # seat_inventory_cap
            raise IntegrityError(f"seat_inventory_cap: room {self.room_id} taken {self.taken} of {self.capacity}")


@dataclass(frozen=True, slots=True)
class TierRow:
    tier_id: UUID
    room_id: UUID
    capacity: int
    taken: int
    price: Money
    hidden: bool
    closed: bool
    sales_start: datetime | None
    sales_end: datetime | None
    minimum_amount: int | None

    def __post_init__(self) -> None:
        if not 0 <= self.taken <= self.capacity:  # tier_inventory_cap
            raise IntegrityError(f"tier_inventory_cap: tier {self.tier_id} taken {self.taken} of {self.capacity}")

    def inventory(self, paid: int = 0) -> TierInventory:
        return TierInventory(tier_id=self.tier_id, capacity=self.capacity, taken=self.taken, paid=paid,
                             price=self.price, hidden=self.hidden, closed=self.closed, sales_start=self.sales_start,
                             sales_end=self.sales_end, minimum_amount=self.minimum_amount)


@dataclass(frozen=True, slots=True)
class HoldRow:
    ticket_id: UUID
    room_id: UUID
    holder_id: str
    live: bool
    paid: bool
    hold_expires_at: datetime
    created_at: datetime
    tier_id: UUID | None
    code_id: UUID | None


@dataclass(frozen=True, slots=True)
class CodeRow:
    terms: CodeTerms
    used: int

    def __post_init__(self) -> None:
        if self.used < 0 or (self.terms.max_uses is not None and self.used > self.terms.max_uses):
            raise IntegrityError(f"code_inventory_uses: code {self.terms.code_id} used {self.used}")


@dataclass(frozen=True, slots=True)
class AccountRow:
    user_id: str
    status: str


@dataclass
class GuardTables:
    """The committed rows, with the indexes the reads need (kept by `apply`)."""

    rooms: dict[UUID, RoomRow] = field(default_factory=dict)
    tiers: dict[UUID, TierRow] = field(default_factory=dict)
    holds: dict[UUID, HoldRow] = field(default_factory=dict)
    codes: dict[UUID, CodeRow] = field(default_factory=dict)
    revenue: dict[tuple[str, str], int] = field(default_factory=dict)
    processed: dict[str, bool] = field(default_factory=dict)
    accounts: dict[str, AccountRow] = field(default_factory=dict)
    tiers_of: dict[UUID, set[UUID]] = field(default_factory=dict)  # room -> its tiers
    holds_of: dict[UUID, list[UUID]] = field(default_factory=dict)  # room -> its tickets, oldest first
    live: dict[tuple[UUID, str], UUID] = field(default_factory=dict)  # (room, holder) -> the live ticket
    lines: dict[UUID, Any] = field(default_factory=dict)  # the waitlist: entry id -> LineRow (store/memory_waitlist.py)


class Staged(Generic[K, V]):
    """One table as a transaction sees it: its own new rows over the committed ones."""

    def __init__(self, base: dict[K, V]) -> None:
        self.base = base
        self.new: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self.new[key] if key in self.new else self.base.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.new or key in self.base

    def put(self, key: K, row: V) -> None:
        self.new[key] = row

    def insert(self, key: K, row: V, table: str) -> None:
        """A new row; a second row with the same key is refused, as by a primary key."""
        if key in self:
            raise IntegrityError(f"duplicate key in {table}: {key!r}")
        self.new[key] = row


class StagedTables:
    """A transaction's view of every guard table; `apply` commits its changes to the tables."""

    def __init__(self, tables: GuardTables) -> None:
        self.tables = tables
        self.rooms = Staged(tables.rooms)
        self.tiers = Staged(tables.tiers)
        self.holds = Staged(tables.holds)
        self.codes = Staged(tables.codes)
        self.revenue = Staged(tables.revenue)
        self.processed = Staged(tables.processed)
        self.accounts = Staged(tables.accounts)
        self.lines = Staged(tables.lines)
        self._live: dict[tuple[UUID, str], UUID | None] = {}  # changes to tables.live

    def tiers_of(self, room_id: UUID) -> dict[UUID, TierRow]:
        ids = set(self.tables.tiers_of.get(room_id, ())) | {t.tier_id for t in self.tiers.new.values()
                                                           if t.room_id == room_id}
        return {tier_id: row for tier_id in sorted(ids, key=str) if (row := self.tiers.get(tier_id)) is not None}

    def live_ticket(self, room_id: UUID, holder_id: str) -> UUID | None:
        key = (room_id, holder_id)
        return self._live[key] if key in self._live else self.tables.live.get(key)

    def next_hold_expiry(self, room_id: UUID) -> datetime | None:
        """The soonest expiry of the room's live unpaid holds (from then on a sweep can free a seat)."""
        tids = [*self.tables.holds_of.get(room_id, ()), *(h.ticket_id for h in self.holds.new.values()
                                                            if h.room_id == room_id)]
        return min((h.hold_expires_at for tid in tids
                    if (h := self.holds.get(tid)) is not None and h.live and not h.paid), default=None)

    def put_hold(self, row: HoldRow, new: bool = False) -> None:
        """Write a hold, keeping one live ticket per holder and room (seat_holds_one_live_ticket)."""
        before = self.holds.get(row.ticket_id)
        if new and before is not None:
            raise IntegrityError(f"duplicate key in seat_holds: {row.ticket_id}")
        old_key = (before.room_id, before.holder_id) if before is not None and before.live else None
        new_key = (row.room_id, row.holder_id) if row.live else None
        if new_key is not None and new_key != old_key and self.live_ticket(*new_key) is not None:
            raise IntegrityError(f"seat_holds_one_live_ticket: {new_key!r}")
        if old_key is not None and old_key != new_key:
            self._live[old_key] = None
        if new_key is not None:
            self._live[new_key] = row.ticket_id
        self.holds.put(row.ticket_id, row)

    def apply(self) -> None:
        """Commit: every staged row into the tables, and their indexes with them."""
        t = self.tables
        for tier_id, tier in self.tiers.new.items():
            t.tiers_of.setdefault(tier.room_id, set()).add(tier_id)
        for ticket_id, hold in self.holds.new.items():
            if ticket_id not in t.holds:
                t.holds_of.setdefault(hold.room_id, []).append(ticket_id)
        for key, ticket_id in self._live.items():
            if ticket_id is None:
                t.live.pop(key, None)
            else:
                t.live[key] = ticket_id
        for staged in (self.rooms, self.tiers, self.holds, self.codes, self.revenue, self.processed, self.accounts,
                       self.lines):
            staged.base.update(staged.new)  # type: ignore[attr-defined]


class MemoryGuardReads:
    """`domain.guards.GuardReads` over the committed tables (a transaction's staged rows are not seen)."""

    def __init__(self, tables: GuardTables, lock: AbstractContextManager[Any]) -> None:
        self._t = tables
        self._lock = lock  # the recorder's: a read never sees half of a commit

    def inventories(self, room_ids: Sequence[UUID]) -> dict[UUID, Inventory]:
        return {rid: inv for rid in room_ids if (inv := self.inventory(rid)) is not None}

    def inventory(self, room_id: UUID) -> Inventory | None:
        with self._lock:
            room = self._t.rooms.get(room_id)
            if room is None:
                return None
            paid = [h for tid in self._t.holds_of.get(room_id, ()) if (h := self._t.holds[tid]).live and h.paid]
            tiers = tuple(self._t.tiers[tier_id].inventory(sum(1 for h in paid if h.tier_id == tier_id))
                          for tier_id in sorted(self._t.tiers_of.get(room_id, ()), key=str))
            return Inventory(room_id=room_id, host_id=room.host_id, capacity=room.capacity, taken=room.taken,
                             paid=len(paid), price=room.price, on_sale=room.on_sale, sales_end=room.sales_end,
                             tiers=tiers)

    def code_uses(self, code_id: UUID) -> int:
        with self._lock:
            code = self._t.codes.get(code_id)
            return code.used if code is not None else 0

    def expired_holds(self, now: datetime, room_id: UUID | None = None, limit: int = 500) -> list[ExpiredHold]:
        at = utc(now)
        assert at is not None
        with self._lock:
            holds = (self._t.holds.values() if room_id is None
                     else [self._t.holds[tid] for tid in self._t.holds_of.get(room_id, ())])
            due = sorted((h for h in holds if h.live and not h.paid and h.hold_expires_at <= at),
                         key=lambda h: h.hold_expires_at)
            return [ExpiredHold(h.ticket_id, h.room_id) for h in due[:limit]]

    def tickets_of_room(self, room_id: UUID) -> list[UUID]:
        with self._lock:
            holds = [self._t.holds[tid] for tid in self._t.holds_of.get(room_id, ())]
            return [h.ticket_id for h in sorted(holds, key=lambda h: (h.created_at, str(h.ticket_id)))]

    def lifetime_revenue(self, creator_id: str, currency: str) -> int:
        with self._lock:
            return self._t.revenue.get((creator_id, currency), 0)

    def enabled_payout_accounts(self) -> dict[str, str]:
        with self._lock:
            return {a.user_id: account_id for account_id, a in self._t.accounts.items() if a.status == "enabled"}

    def processed(self, key: str) -> bool:
        with self._lock:
            return key in self._t.processed

    def creator_of_account(self, account_id: str) -> str | None:
        with self._lock:
            account = self._t.accounts.get(account_id)
            return account.user_id if account is not None else None
