"""The waitlist's line and its offers' seats, as part of `SqlGuards` (store/guards_sql.py), and their reads.

One row per listener in a room's line (`waitlist`): `waiting`, `offered` (a seat
held for them until `offer_expires_us`), then `accepted`, `expired`, `declined`
or `left`. A partial unique index keeps one waiting-or-offered row per listener
and room. Like a tier row, a line row is read and written only while its room's
inventory row is held by the same transaction, so the line needs no place of its
own in the lock order (domain/guards.py): the room's lock serialises joins
(their places), offers, takes and drops. An offer's seat counts in the room's
and the tier's `taken`, exactly like a ticket's hold, so no sale can take it; a
ticket bought with the offer takes that seat without counting it again.

Offers are made by `serve_waitlists`, at the end of any transaction that gave a
seat back or raised a cap (`_freed`, noted by SqlGuards), first in line first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from domain.money import Money
from domain.guards import JoinResult, LineSpot, OfferGrant, OfferSeat
from domain.ids import offer_id_for
from store.columns import column as _c
from store.timecodes import to_us

LINE_TIERS_SQL = ("SELECT tier_id, capacity, taken, hidden, closed, price_amount, price_currency, minimum_amount"
                  " FROM tier_inventory WHERE room_id = %s")


class WaitlistGuards:
    """Mixed into SqlGuards; uses its `_exec`, `_one`, `_write_holds`, `_holds`, `_give_back`, `_freed`, `lock_rooms`."""

    def _line_room(self, rid: str, now_us: int) -> tuple[Any, dict[str, Any]] | None:
        """The room's inventory row (None: no such room) and its tiers by id; the room locked first."""
        self.lock_rooms([rid])  # type: ignore[attr-defined]
        inv = self._one("SELECT host_id, capacity, taken, on_sale, sales_end_us FROM seat_inventory"  # type: ignore[attr-defined]
                        " WHERE room_id = %s", (rid,))
        if inv is None:
            return None
        tiers = {_c(t, "tier_id", 0): t for t in self._exec(LINE_TIERS_SQL, (rid,)).fetchall()}  # type: ignore[attr-defined]
        return inv, tiers

    @staticmethod
    def _open(inv: Any, now_us: int) -> bool:
        end = _c(inv, "sales_end_us", 4)
        return bool(_c(inv, "on_sale", 3)) and (end is None or end > now_us)

    def _holds_live(self, rid: str, holder: str) -> bool:
        self._write_holds()  # type: ignore[attr-defined]
        return self._one("SELECT 1 FROM seat_holds WHERE live AND room_id = %s AND holder_id = %s",  # type: ignore[attr-defined]
                         (rid, holder)) is not None

    def join_waitlist(self, entry_id: UUID, room_id: UUID, tier_id: UUID | None, holder_id: str,
                      now: datetime) -> JoinResult:
        rid, now_us = str(room_id), to_us(now)
        found = self._line_room(rid, now_us)
        if found is None:
            return JoinResult("unknown_room")
        inv, tiers = found
        if not self._open(inv, now_us):
            return JoinResult("not_on_sale")
        if tier_id is None:
            visible = [t for t, row in tiers.items() if not _c(row, "hidden", 3) and not _c(row, "closed", 4)]
            if rid in tiers and rid in visible:
                chosen = rid  # the room's default tier
            elif len(visible) == 1:
                chosen = visible[0]
            else:
                return JoinResult("tier_required" if visible else "not_on_sale")
        else:
            chosen = str(tier_id)
            if chosen not in tiers or _c(tiers[chosen], "hidden", 3):
                return JoinResult("unknown_tier")
            if _c(tiers[chosen], "closed", 4):
                return JoinResult("tier_not_on_sale")
        if self._holds_live(rid, holder_id):
            return JoinResult("already_holds")
        if self._one("SELECT 1 FROM waitlist WHERE room_id = %s AND holder_id = %s"  # type: ignore[attr-defined]
                     " AND status IN ('waiting', 'offered')", (rid, holder_id)) is not None:
            return JoinResult("already_on_waitlist")
        tier = tiers[chosen]
        if int(_c(inv, "taken", 2)) < int(_c(inv, "capacity", 1)) and int(_c(tier, "taken", 2)) < int(_c(tier, "capacity", 1)):
            return JoinResult("not_sold_out")
        row = self._one("SELECT COALESCE(MAX(place), 0) + 1 AS place FROM waitlist WHERE room_id = %s", (rid,))  # type: ignore[attr-defined]
        place = int(_c(row, "place", 0))
        self._exec("INSERT INTO waitlist (entry_id, room_id, tier_id, holder_id, place, status, joined_us)"  # type: ignore[attr-defined]
                   " VALUES (%s, %s, %s, %s, %s, 'waiting', %s)", (str(entry_id), rid, chosen, holder_id, place, now_us))
        return JoinResult("joined", UUID(chosen), place)

    def serve_waitlists(self, now: datetime, expires_at: datetime) -> list[OfferGrant]:
        freed: set[str] = self._freed  # type: ignore[attr-defined]
        grants: list[OfferGrant] = []
        now_us, expires_us = to_us(now), to_us(expires_at)
        while freed:
            rid = min(freed)  # rooms in the lock order; each was locked when its seat came back
            freed.discard(rid)
            waiting = self._exec("SELECT entry_id, tier_id, holder_id, place FROM waitlist"  # type: ignore[attr-defined]
                                 " WHERE room_id = %s AND status = 'waiting' ORDER BY place", (rid,)).fetchall()
            if not waiting:  # most rooms have no line: one indexed read, nothing more
                continue
            found = self._line_room(rid, now_us)
            if found is None or not self._open(found[0], now_us):
                continue
            inv, tiers = found
            free = int(_c(inv, "capacity", 1)) - int(_c(inv, "taken", 2))
            if free <= 0:
                continue
            tier_free = {t: int(_c(row, "capacity", 1)) - int(_c(row, "taken", 2)) for t, row in tiers.items()
                         if not _c(row, "closed", 4)}
            for entry in waiting:
                if free <= 0:
                    break
                entry_id, tier_id, holder = _c(entry, "entry_id", 0), _c(entry, "tier_id", 1), _c(entry, "holder_id", 2)
                if tier_free.get(tier_id, 0) <= 0 or self._holds_live(rid, holder):
                    continue  # no seat in their tier (they keep their place), or they hold a ticket already
                offer_id = offer_id_for(UUID(entry_id))
                self._exec("UPDATE waitlist SET status = 'offered', offer_id = %s, offer_expires_us = %s"  # type: ignore[attr-defined]
                           " WHERE entry_id = %s", (str(offer_id), expires_us, entry_id))
                self._exec("UPDATE seat_inventory SET taken = taken + 1 WHERE room_id = %s", (rid,))  # type: ignore[attr-defined]
                self._exec("UPDATE tier_inventory SET taken = taken + 1 WHERE tier_id = %s", (tier_id,))  # type: ignore[attr-defined]
                free, tier_free[tier_id] = free - 1, tier_free[tier_id] - 1
                grants.append(OfferGrant(offer_id, UUID(entry_id), UUID(rid), UUID(tier_id), holder,
                                         int(_c(entry, "place", 3))))
        return grants

    def _offer_row(self, offer_id: UUID) -> Any:
        sql = ("SELECT entry_id, room_id, tier_id, holder_id, status, offer_expires_us, ticket_id FROM waitlist"
               " WHERE offer_id = %s")
        row = self._one(sql, (str(offer_id),))  # type: ignore[attr-defined]
        if row is None:
            return None
        self.lock_rooms([_c(row, "room_id", 1)])  # type: ignore[attr-defined]
        return self._one(sql, (str(offer_id),))  # type: ignore[attr-defined]  # again, under the room's lock

    def take_offer_seat(self, offer_id: UUID, ticket_id: UUID, holder_id: str, now: datetime,
                        hold_expires_at: datetime) -> OfferSeat:
        row = self._offer_row(offer_id)
        if row is None or _c(row, "holder_id", 3) != holder_id:
            return OfferSeat("unknown_offer")
        status, rid, tier_id = _c(row, "status", 4), _c(row, "room_id", 1), _c(row, "tier_id", 2)
        if status == "accepted":
            return OfferSeat("replay")
        if status != "offered" or int(_c(row, "offer_expires_us", 5)) <= to_us(now):
            return OfferSeat("offer_expired")
        if self._holds_live(rid, holder_id):
            return OfferSeat("already_holds")
        tier = self._one("SELECT price_amount, price_currency, minimum_amount FROM tier_inventory WHERE tier_id = %s",  # type: ignore[attr-defined]
                         (tier_id,))
        host = self._one("SELECT host_id FROM seat_inventory WHERE room_id = %s", (rid,))  # type: ignore[attr-defined]
        self._exec("UPDATE waitlist SET status = 'accepted', ticket_id = %s WHERE offer_id = %s",  # type: ignore[attr-defined]
                   (str(ticket_id), str(offer_id)))
        tid = str(ticket_id)  # the offer's seat, now the ticket's hold: `taken` already counts it
        self._holds[tid] = [tid, rid, holder_id, True, False, to_us(hold_expires_at), to_us(now), tier_id, None]  # type: ignore[attr-defined]
        return OfferSeat("claimed", Money(int(_c(tier, "price_amount", 0)), _c(tier, "price_currency", 1)),
                         _c(host, "host_id", 0), UUID(tier_id), _c(tier, "minimum_amount", 2))

    def drop_offer(self, offer_id: UUID, status: Literal["expired", "declined"]) -> bool:
        row = self._offer_row(offer_id)
        if row is None or _c(row, "status", 4) != "offered":
            return False
        self._exec("UPDATE waitlist SET status = %s WHERE offer_id = %s", (status, str(offer_id)))  # type: ignore[attr-defined]
        self._give_back(_c(row, "room_id", 1), _c(row, "tier_id", 2))  # type: ignore[attr-defined]
        return True

    def leave_waitlist(self, entry_id: UUID) -> bool:
        row = self._one("SELECT room_id FROM waitlist WHERE entry_id = %s", (str(entry_id),))  # type: ignore[attr-defined]
        if row is None:
            return False
        self.lock_rooms([_c(row, "room_id", 0)])  # type: ignore[attr-defined]
        return self._one("UPDATE waitlist SET status = 'left' WHERE entry_id = %s AND status = 'waiting'"  # type: ignore[attr-defined]
                         " RETURNING entry_id", (str(entry_id),)) is not None


class WaitlistReads:
    """Mixed into SqlGuardReads; uses its `_q`."""

    def expired_offers(self, now: datetime, limit: int = 500) -> list[UUID]:
        rows = self._q("SELECT offer_id FROM waitlist WHERE status = 'offered' AND offer_expires_us <= %s"  # type: ignore[attr-defined]
                       " ORDER BY offer_expires_us, offer_id LIMIT %s", (to_us(now), limit))
        return [UUID(_c(r, "offer_id", 0)) for r in rows]

    def line_spot(self, room_id: UUID, holder_id: str) -> LineSpot | None:
        rows = self._q("SELECT entry_id, status, offer_id FROM waitlist WHERE room_id = %s AND holder_id = %s"  # type: ignore[attr-defined]
                       " AND status IN ('waiting', 'offered')", (str(room_id), holder_id))
        if not rows:
            return None
        offer = _c(rows[0], "offer_id", 2)
        return LineSpot(UUID(_c(rows[0], "entry_id", 0)), _c(rows[0], "status", 1), UUID(offer) if offer else None)
