"""The in-memory store's waitlist: the line's rows and the offers' seats, as store/waitlist_guards_sql.py keeps them.

Mixed into `MemoryGuards` (store/memory.py; uses its `staged` tables, `_room`,
`_count`, `_freed` and `lock_rooms`); `MemoryReads` adds the line's reads to
`MemoryGuardReads` (store/memory_tables.py).
The same answers as the SQL guards: one waiting-or-offered row per listener and
room, places in join order, an offer's seat counted in the room's and the tier's
`taken`, offers made at the end of a transaction for the rooms it freed seats in.
Imports the domain and store's pure helpers only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from domain.guards import JoinResult, LineSpot, OfferGrant, OfferSeat
from domain.ids import offer_id_for
from store.memory_tables import HoldRow, MemoryGuardReads, utc
from store.timecodes import from_us, to_us

OPEN = ("waiting", "offered")


@dataclass(frozen=True, slots=True)
class LineRow:
    entry_id: UUID
    room_id: UUID
    tier_id: UUID
    holder_id: str
    place: int
    status: str  # waiting | offered | accepted | expired | declined | left
    offer_id: UUID | None = None
    offer_expires_at: datetime | None = None
    ticket_id: UUID | None = None


def _rows(lines: Any) -> list[LineRow]:
    """Every row a transaction sees: the committed ones overlaid with its own."""
    return list({**lines.base, **lines.new}.values())


class MemoryWaitlistGuards:
    def _sales_open(self, room: Any, now: datetime) -> bool:
        return bool(room.on_sale) and (room.sales_end is None or room.sales_end > from_us(to_us(now)))

    def join_waitlist(self, entry_id: UUID, room_id: UUID, tier_id: UUID | None, holder_id: str,
                      now: datetime) -> JoinResult:
        room = self._room(room_id)  # type: ignore[attr-defined]  # locks the room first
        if room is None:
            return JoinResult("unknown_room")
        if not self._sales_open(room, now):
            return JoinResult("not_on_sale")
        tiers = self.staged.tiers_of(room_id)  # type: ignore[attr-defined]
        if tier_id is None:
            visible = [t for t, row in tiers.items() if not row.hidden and not row.closed]
            if room_id in visible:
                tier_id = room_id  # the room's default tier
            elif len(visible) == 1:
                tier_id = visible[0]
            else:
                return JoinResult("tier_required" if visible else "not_on_sale")
        elif tier_id not in tiers or tiers[tier_id].hidden:
            return JoinResult("unknown_tier")
        elif tiers[tier_id].closed:
            return JoinResult("tier_not_on_sale")
        if self.staged.live_ticket(room_id, holder_id) is not None:  # type: ignore[attr-defined]
            return JoinResult("already_holds")
        line = [r for r in _rows(self.staged.lines) if r.room_id == room_id]  # type: ignore[attr-defined]
        if any(r.holder_id == holder_id and r.status in OPEN for r in line):
            return JoinResult("already_on_waitlist")
        tier = tiers[tier_id]
        if room.taken < room.capacity and tier.taken < tier.capacity:
            return JoinResult("not_sold_out")
        place = max((r.place for r in line), default=0) + 1
        self.staged.lines.insert(entry_id, LineRow(entry_id, room_id, tier_id, holder_id, place, "waiting"),  # type: ignore[attr-defined]
                                 "waitlist")
        return JoinResult("joined", tier_id, place)

    def serve_waitlists(self, now: datetime, expires_at: datetime) -> list[OfferGrant]:
        freed: set[UUID] = self._freed  # type: ignore[attr-defined]
        grants: list[OfferGrant] = []
        while freed:
            room_id = min(freed, key=str)  # the lock order; each was locked when its seat came back
            freed.discard(room_id)
            room = self._room(room_id)  # type: ignore[attr-defined]
            if room is None or not self._sales_open(room, now):
                continue
            free = room.capacity - room.taken
            tiers = self.staged.tiers_of(room_id)  # type: ignore[attr-defined]
            tier_free = {t: row.capacity - row.taken for t, row in tiers.items() if not row.closed}
            waiting = sorted((r for r in _rows(self.staged.lines)  # type: ignore[attr-defined]
                              if r.room_id == room_id and r.status == "waiting"), key=lambda r: r.place)
            for entry in waiting:
                if free <= 0:
                    break
                if tier_free.get(entry.tier_id, 0) <= 0 or self.staged.live_ticket(room_id, entry.holder_id):  # type: ignore[attr-defined]
                    continue  # no seat in their tier (they keep their place), or they hold a ticket already
                offer_id = offer_id_for(entry.entry_id)
                self.staged.lines.put(entry.entry_id, replace(  # type: ignore[attr-defined]
                    entry, status="offered", offer_id=offer_id, offer_expires_at=from_us(to_us(expires_at))))
                self._count(room_id, entry.tier_id, +1)  # type: ignore[attr-defined]
                free, tier_free[entry.tier_id] = free - 1, tier_free[entry.tier_id] - 1
                grants.append(OfferGrant(offer_id, entry.entry_id, room_id, entry.tier_id, entry.holder_id, entry.place))
        return grants

    def _offer_row(self, offer_id: UUID) -> LineRow | None:
        row = next((r for r in _rows(self.staged.lines) if r.offer_id == offer_id), None)  # type: ignore[attr-defined]
        if row is not None:
            self.lock_rooms([row.room_id])  # type: ignore[attr-defined]
        return row

    def take_offer_seat(self, offer_id: UUID, ticket_id: UUID, holder_id: str, now: datetime,
                        hold_expires_at: datetime) -> OfferSeat:
        row = self._offer_row(offer_id)
        if row is None or row.holder_id != holder_id:
            return OfferSeat("unknown_offer")
        if row.status == "accepted":
            return OfferSeat("replay")
        if row.status != "offered" or row.offer_expires_at is None or row.offer_expires_at <= from_us(to_us(now)):
            return OfferSeat("offer_expired")
        if self.staged.live_ticket(row.room_id, holder_id) is not None:  # type: ignore[attr-defined]
            return OfferSeat("already_holds")
        room, tier = self._room(row.room_id), self.staged.tiers.get(row.tier_id)  # type: ignore[attr-defined]
        self.staged.lines.put(row.entry_id, replace(row, status="accepted", ticket_id=ticket_id))  # type: ignore[attr-defined]
        self.staged.put_hold(HoldRow(ticket_id, row.room_id, holder_id, True, False, utc(hold_expires_at),  # type: ignore[attr-defined, arg-type]
                                     utc(now), row.tier_id, None), new=True)  # the offer's seat: `taken` counts it
        return OfferSeat("claimed", tier.price, room.host_id, row.tier_id, tier.minimum_amount)

    def drop_offer(self, offer_id: UUID, status: Literal["expired", "declined"]) -> bool:
        row = self._offer_row(offer_id)
        if row is None or row.status != "offered":
            return False
        self.staged.lines.put(row.entry_id, replace(row, status=status))  # type: ignore[attr-defined]
        self._count(row.room_id, row.tier_id, -1)  # type: ignore[attr-defined]
        return True

    def leave_waitlist(self, entry_id: UUID) -> bool:
        row = self.staged.lines.get(entry_id)  # type: ignore[attr-defined]
        if row is None:
            return False
        self.lock_rooms([row.room_id])  # type: ignore[attr-defined]
        if row.status != "waiting":
            return False
        self.staged.lines.put(entry_id, replace(row, status="left"))  # type: ignore[attr-defined]
        return True


class MemoryReads(MemoryGuardReads):
    """`domain.guards.GuardReads` in memory, the line's reads included."""

    def expired_offers(self, now: datetime, limit: int = 500) -> list[UUID]:
        at = from_us(to_us(now))
        with self._lock:  # type: ignore[attr-defined]
            due = sorted((r for r in self._t.lines.values()  # type: ignore[attr-defined]
                          if r.status == "offered" and r.offer_expires_at is not None and r.offer_expires_at <= at),
                         key=lambda r: (r.offer_expires_at, str(r.offer_id)))
            return [r.offer_id for r in due[:limit]]

    def line_spot(self, room_id: UUID, holder_id: str) -> LineSpot | None:
        with self._lock:  # type: ignore[attr-defined]
            row = next((r for r in self._t.lines.values()  # type: ignore[attr-defined]
                        if r.room_id == room_id and r.holder_id == holder_id and r.status in OPEN), None)
        return LineSpot(row.entry_id, row.status, row.offer_id) if row is not None else None  # type: ignore[arg-type]
