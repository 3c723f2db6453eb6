"""The in-memory store: eventsourcing's POPO recorder plus the write guards, for fast domain tests.

Why: the domain's rules (the seat cap, one live ticket, refunds, the split,
holds, codes) are held by the write guards (domain/guards.py), so a test of a
rule needs a guarded recorder. This one keeps the events in eventsourcing's
plain-Python recorder and the guard tables in dicts (store/memory_tables.py),
with the same answers as store/guards_sql.py on SQLite and PostgreSQL (the
contract tests in tests/integration/test_guard_contract_*.py run one set of
tests on all three), the same lock-order checks (LockOrderError) and the same
atomicity: `transact` holds the recorder's lock for the whole transaction, as
SQLite's BEGIN IMMEDIATE does, and a `work` that raises writes nothing,
neither events nor guard rows.

Selected like the other recorders (store/env.py): `eventsourcing_env(MEMORY_URL)`
or `memory_env()` names `MemoryFactory` and `GuardedMemoryRecorder`, so
`BoxOffice(env=memory_env(), gateway=..., clock=...)` runs with no file and no
server. Imports the domain, eventsourcing and store's pure helpers only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.utils import resolve_topic

from domain.guards import CodeTerms, SeatClaim, SeatWanted, TransferStatus
from domain.money import Money
from domain.rooms.tiers import price_claim
from domain.sales.sold_out import stable_until
from store.env import MEMORY_URL, eventsourcing_env
from store.lock_order import ACCOUNTS, CODES, KEYS, REVENUE, ROOMS, LockOrder
from store.memory_waitlist import MemoryReads, MemoryWaitlistGuards
from store.memory_tables import (
    AccountRow,
    CodeRow,
    GuardTables,
    HoldRow,
    RoomRow,
    StagedTables,
    TierRow,
    utc,
)

def memory_env() -> dict[str, str]:
    """The eventsourcing environment of an application kept in memory (store/env.py names the topics)."""
    return eventsourcing_env(MEMORY_URL)


class MemoryGuards(MemoryWaitlistGuards):
    """`domain.guards.WriteGuards` over staged tables, bound to one transaction of the recorder."""

    def __init__(self, tables: GuardTables) -> None:
        self.staged = StagedTables(tables)
        self._locks = LockOrder()
        self._codes: set[UUID] = set()  # codes locked in this transaction: only they can be used
        self._freed: set[UUID] = set()  # rooms given a seat back or a larger cap: their lines are served at the end

    # --- inventory -------------------------------------------------------------

    def open_inventory(self, room_id: UUID, host_id: str, capacity: int, price: Money, sales_end: datetime | None,
                       default_tier: bool = True) -> None:
        self._locks.acquire(ROOMS, [str(room_id)])
        self.staged.rooms.insert(room_id, RoomRow(room_id, host_id, capacity, 0, price, True, utc(sales_end)),
                                 "seat_inventory")
        if default_tier:  # one price for the whole room: its default tier, whose id is the room's
            self.open_tier(room_id, room_id, capacity, price, None, None, False, None)

    def _room(self, room_id: UUID) -> RoomRow | None:
        self._locks.acquire(ROOMS, [str(room_id)])
        return self.staged.rooms.get(room_id)

    def _update_room(self, room_id: UUID, **changes: Any) -> None:
        room = self._room(room_id)
        if room is not None:
            self.staged.rooms.put(room_id, replace(room, **changes))

    def _update_tier(self, room_id: UUID, tier_id: UUID, **changes: Any) -> None:
        self.lock_rooms([room_id])
        tier = self.staged.tiers.get(tier_id)
        if tier is not None:
            self.staged.tiers.put(tier_id, replace(tier, **changes))

    def set_price(self, room_id: UUID, price: Money) -> None:
        self._update_room(room_id, price=price)
        self._update_tier(room_id, room_id, price=price)  # the default tier, whose id is the room's

    def set_sales_end(self, room_id: UUID, sales_end: datetime | None) -> None:
        self._update_room(room_id, sales_end=utc(sales_end))

    def close_sales(self, room_id: UUID) -> None:
        self._update_room(room_id, on_sale=False)

    def set_capacity(self, room_id: UUID, capacity: int) -> int | None:
        room = self._room(room_id)
        if room is None:
            return 0
        if room.taken > capacity:
            return room.taken
        self.staged.rooms.put(room_id, replace(room, capacity=capacity))
        self._update_tier(room_id, room_id, capacity=capacity)  # the default tier sells the whole room
        self._freed.add(room_id)
        return None

    def open_tier(self, room_id: UUID, tier_id: UUID, capacity: int, price: Money, sales_start: datetime | None,
                  sales_end: datetime | None, hidden: bool, minimum_amount: int | None) -> None:
        self.lock_rooms([room_id])  # a tier is written only behind its room's lock
        self.staged.tiers.insert(tier_id, TierRow(tier_id, room_id, capacity, 0, price, hidden, False,
                                                  utc(sales_start), utc(sales_end), minimum_amount), "tier_inventory")

    def set_tier_price(self, room_id: UUID, tier_id: UUID, price: Money) -> None:
        self._update_tier(room_id, tier_id, price=price)

    def set_tier_capacity(self, room_id: UUID, tier_id: UUID, capacity: int) -> int | None:
        self.lock_rooms([room_id])
        tier = self.staged.tiers.get(tier_id)
        if tier is None:
            return 0
        if tier.taken > capacity:
            return tier.taken
        self.staged.tiers.put(tier_id, replace(tier, capacity=capacity))
        self._freed.add(room_id)
        return None

    def close_tier(self, room_id: UUID, tier_id: UUID) -> None:
        self._update_tier(room_id, tier_id, closed=True)

    def open_code(self, terms: CodeTerms) -> None:
        terms = replace(terms, valid_from=utc(terms.valid_from), valid_until=utc(terms.valid_until))
        self.staged.codes.insert(terms.code_id, CodeRow(terms, 0), "code_inventory")

    def room_hosts(self, room_ids: Collection[UUID]) -> dict[UUID, str]:
        return {room_id: room.host_id for room_id in room_ids if (room := self.staged.rooms.get(room_id)) is not None}

    def lock_codes(self, code_ids: Iterable[UUID]) -> None:
        for key in self._locks.acquire(CODES, [str(c) for c in code_ids]):
            if UUID(key) in self.staged.codes:
                self._codes.add(UUID(key))

    def lock_rooms(self, room_ids: Iterable[UUID], skip_busy: bool = False) -> None:
        self._locks.acquire(ROOMS, [str(r) for r in room_ids])  # one transaction at a time: never busy

    # --- seats -----------------------------------------------------------------

    def claim_seats(self, room_id: UUID, claims: Sequence[Sequence[Any]], now: datetime,
                    hold_expires_at: datetime, replayable: Collection[UUID] | None = None) -> list[SeatClaim]:
        return self.claim_rooms({room_id: claims}, now, hold_expires_at, replayable)[room_id]

    def _sold_out(self, status: str, room_id: UUID, sales_end: datetime | None, tiers: Mapping[UUID, Any],
                  now: datetime, tier_id: UUID | None = None) -> SeatClaim:
        """As store/claim_reads_sql.py `_sold_out`: a sweep may free a seat now; the answer's time bound."""
        expiry = self.staged.next_hold_expiry(room_id)
        return SeatClaim(status, tier_id=tier_id, expired_holds=expiry is not None and expiry <= now,  # type: ignore[arg-type]
                         stable_until=stable_until(now, sales_end, tiers.values(), expiry))

    def claim_rooms(self, claims: Mapping[UUID, Sequence[Sequence[Any]]], now: datetime,
                    hold_expires_at: datetime, replayable: Collection[UUID] | None = None,
                    ceilings: Mapping[str, int] | None = None, skip_busy: bool = False) -> dict[UUID, list[SeatClaim]]:
        """Every room locked first, in the lock order; then each claim decided as store/guards_sql.py does.

        One transaction at a time: no room is ever busy."""
        self.lock_rooms(claims)
        now, expires = utc(now), utc(hold_expires_at)
        assert now is not None and expires is not None
        claimed_now: set[UUID] = set()  # a ticket claimed twice in one call is a replay, replayable or not
        results: dict[UUID, list[SeatClaim]] = {}
        for room_id, pairs in claims.items():
            out = results[room_id] = []
            for holder, ticket_id, wanted, code_id, amount in (SeatWanted(*w) for w in pairs):
                room = self.staged.rooms.get(room_id)
                if room is None:
                    out.append(SeatClaim("unknown_room"))
                    continue
                tiers = {tier_id: row.inventory() for tier_id, row in self.staged.tiers_of(room_id).items()}
                tier, problem, code, named = self._choose(tiers, room, wanted, code_id, amount, now, ceilings)
                known = ticket_id in self.staged.holds and (
                    replayable is None or ticket_id in replayable or ticket_id in claimed_now)
                live = self.staged.live_ticket(room_id, holder)
                if known:
                    out.append(SeatClaim("replay", ticket_id=ticket_id))
                elif live is not None:
                    out.append(SeatClaim("already_holds", ticket_id=live))
                elif not (room.on_sale and (room.sales_end is None or room.sales_end > now)):
                    out.append(SeatClaim("not_on_sale"))
                elif tier is None:
                    out.append(SeatClaim(problem))  # type: ignore[arg-type]
                elif room.taken >= room.capacity:
                    out.append(self._sold_out("sold_out", room_id, room.sales_end, tiers, now))
                elif tier.taken >= tier.capacity:
                    out.append(self._sold_out("tier_sold_out", room_id, room.sales_end, tiers, now, tier.tier_id))
                elif code_id is not None and (refused := self._take_code_use(code_id)) is not None:
                    out.append(SeatClaim(refused))  # type: ignore[arg-type]
                else:
                    self._count(room_id, tier.tier_id, +1)
                    # A ticket id already stored (and not replayable) is refused here, as by the primary key.
                    self.staged.put_hold(HoldRow(ticket_id, room_id, holder, True, False, expires, now, tier.tier_id,
                                                 code_id), new=True)
                    claimed_now.add(ticket_id)
                    out.append(SeatClaim("claimed", price=Money(named, tier.price.currency), host_id=room.host_id,
                                         tier_id=tier.tier_id, code=code))
        return results

    def _choose(self, tiers: Mapping[UUID, Any], room: RoomRow, wanted: UUID | None, code_id: UUID | None,
                amount: int | None, now: datetime, ceilings: Mapping[str, int] | None) -> tuple[Any, str, Any, int]:
        """(tier, "", code terms, list amount) for a claim, or (None, the refusal's name, ...)."""
        row = self.staged.codes.get(code_id) if code_id is not None and code_id in self._codes else None
        code = row.terms if row is not None else None
        return price_claim(tiers, room.room_id, room.host_id, wanted, code, code_id, amount, now, ceilings)

    def _count(self, room_id: UUID, tier_id: UUID | None, delta: int) -> None:
        """Seats taken (+1) or given back (-1) in the room and its tier; the caps' checks back it."""
        room = self._room(room_id)
        assert room is not None  # Safeguard: a hold's room is never removed
        if delta < 0:
            self._freed.add(room_id)
        self.staged.rooms.put(room_id, replace(room, taken=room.taken + delta))
        tier = self.staged.tiers.get(tier_id) if tier_id is not None else None
        if tier is not None:
            self.staged.tiers.put(tier.tier_id, replace(tier, taken=tier.taken + delta))

    def _take_code_use(self, code_id: UUID) -> str | None:
        """Take one use of a locked code; the refusal's name if none is left (or the code is unknown)."""
        row = self.staged.codes.get(code_id) if code_id in self._codes else None
        if row is None:
            return "code_invalid"
        if row.terms.max_uses is not None and row.used >= row.terms.max_uses:
            return "code_exhausted"
        self.staged.codes.put(code_id, replace(row, used=row.used + 1))
        return None

    def _give_back_code(self, code_id: UUID) -> None:
        self.lock_codes([code_id])  # free if locked already; out of order (after a room) it raises
        row = self.staged.codes.get(code_id) if code_id in self._codes else None
        if row is not None and row.used > 0:
            self.staged.codes.put(code_id, replace(row, used=row.used - 1))

    def reclaim_seat(self, ticket_id: UUID, now: datetime) -> bool:
        hold = self.staged.holds.get(ticket_id)
        if hold is None or hold.live:
            return False
        room = self._room(hold.room_id)
        if room is None or not room.on_sale or room.taken >= room.capacity:
            return False
        tier = self.staged.tiers.get(hold.tier_id) if hold.tier_id is not None else None
        if hold.tier_id is not None and (tier is None or tier.taken >= tier.capacity):
            return False
        if self.staged.live_ticket(hold.room_id, hold.holder_id) is not None:
            return False
        self._count(hold.room_id, hold.tier_id, +1)
        self.staged.put_hold(replace(hold, live=True))
        return True

    def mark_paid(self, ticket_id: UUID) -> None:
        hold = self.staged.holds.get(ticket_id)
        if hold is not None:
            self.staged.put_hold(replace(hold, paid=True))

    def transfer_hold(self, ticket_id: UUID, room_id: UUID, from_holder: str, to_holder: str) -> TransferStatus:
        self.lock_rooms([room_id])  # rooms before holds: every claim and transfer in the room waits here
        if self.staged.live_ticket(room_id, to_holder) is not None:
            return "receiver_holds"
        hold = self.staged.holds.get(ticket_id)
        if hold is None or not hold.live or hold.room_id != room_id or hold.holder_id != from_holder:
            return "no_hold"
        self.staged.put_hold(replace(hold, holder_id=to_holder))
        return "transferred"

    def release_seat(self, ticket_id: UUID, room_id: UUID, code_id: UUID | None = None) -> bool:
        if code_id is not None:
            self.lock_codes([code_id])  # the code before the room: the lock order
        self.lock_rooms([room_id])  # the room before its hold: the lock order (free if claimed here)
        hold = self.staged.holds.get(ticket_id)
        if hold is None or not hold.live:
            return False
        self.staged.put_hold(replace(hold, live=False))
        if code_id is not None and hold.code_id == code_id:
            self._give_back_code(code_id)
        self._count(hold.room_id, hold.tier_id, -1)
        return True

    # --- money and dedupe ----------------------------------------------------------

    def plan_revenue(self, sales: Iterable[tuple[str, str, UUID | None, int]], limits: Mapping[str, int]) -> None:
        """No slices in memory (one transaction at a time): every sale counts on its creator's row, exactly."""
        self.lock_revenue({(creator, currency) for creator, currency, _, _ in sales}, limits)

    def lock_revenue(self, keys: Iterable[tuple[str, str]], limits: Mapping[str, int] | None = None) -> None:
        """Lock the creators' lifetime rows (made if new), in the lock order."""
        for key in self._locks.acquire(REVENUE, keys):
            if key not in self.staged.revenue:
                self.staged.revenue.put(key, 0)

    def fold_revenue_slices(self, keys: Iterable[tuple[str, str]]) -> bool:
        return True  # no slices here

    def accrue_revenue(self, creator_id: str, currency: str, delta: int, room_id: UUID | None = None) -> int:
        key = (creator_id, currency)
        if not self._locks.holds(REVENUE, key):
            self.lock_revenue([key])
        before = self.staged.revenue.get(key) or 0
        self.staged.revenue.put(key, before + delta)
        return before

    def first_time(self, key: str) -> bool:
        self._locks.acquire(KEYS, [key])
        if key in self.staged.processed:
            return False
        self.staged.processed.put(key, True)
        return True

    def link_account(self, account_id: str, user_id: str, status: str) -> None:
        """Remember the account once; like ON CONFLICT DO NOTHING on either of its unique keys."""
        self._locks.acquire(ACCOUNTS, [account_id])
        accounts = self.staged.accounts
        users = {a.user_id for a in accounts.base.values()} | {a.user_id for a in accounts.new.values()}
        if account_id not in accounts and user_id not in users:
            accounts.put(account_id, AccountRow(user_id, status))

    def set_account_status(self, account_id: str, status: str) -> None:
        self._locks.acquire(ACCOUNTS, [account_id])
        account = self.staged.accounts.get(account_id)
        if account is not None:
            self.staged.accounts.put(account_id, replace(account, status=status))

    # No payment queue in memory: a paced gateway's pacers share it through the database (store/pacing_sql.py).
    def queue_payments(self, payments: Any) -> None:
        raise NotImplementedError("the in-memory store has no payment queue; pace on SQLite or PostgreSQL")

    def queued_places(self) -> dict[UUID, Any]:
        return {}


class GuardedMemoryRecorder(POPOApplicationRecorder):
    """`domain.guards.GuardedRecorder` in memory: events in the POPO recorder, guard rows in `GuardTables`."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = GuardTables()

    def transact(self, work: Callable[[MemoryGuards], Sequence[StoredEvent]]) -> Sequence[int]:
        """One transaction at a time (the recorder's lock, like SQLite's BEGIN IMMEDIATE): the work's
        guard rows are applied only after the work returned and its events passed their checks."""
        with self._database_lock:
            guards = MemoryGuards(self.tables)
            stored = work(guards)
            if stored:
                self._assert_uniqueness(stored)  # IntegrityError: nothing is written
            guards.staged.apply()
            ids = list(self._update_table(stored) or []) if stored else []
        if ids:
            self._notify_listeners()
        return ids

    def guard_reads(self) -> MemoryReads:
        return MemoryReads(self.tables, self._database_lock)

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        found: dict[UUID, list[StoredEvent]] = {}
        with self._database_lock:
            for originator_id in originator_ids:
                events = list(self.select_events(originator_id))
                if events:
                    found[originator_id] = events
        return found


class MemoryFactory(POPOFactory):
    """eventsourcing's POPO factory whose application recorder honours APPLICATION_RECORDER_TOPIC."""

    def application_recorder(self) -> ApplicationRecorder:
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        recorder_class = resolve_topic(topic) if topic else GuardedMemoryRecorder
        assert issubclass(recorder_class, POPOApplicationRecorder)
        return recorder_class()
