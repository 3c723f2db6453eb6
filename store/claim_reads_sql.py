"""What a seat claim reads and decides, as part of `SqlGuards` (store/guards_sql.py).

`_read_claims` reads, under the rooms' row locks, the inventory rows, the holds
that matter and the rooms' tiers, in one round trip on PostgreSQL; `_choose`
decides a claim's tier, code and price (the caps are counted by the caller).
A claim refused sold out says whether the room has an expired hold to sweep
(`_expired_hold`): without one the purchase is refused at once, with no sweep.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.rooms.tiers import price_claim
from store.tier_guards_sql import TIERS_SQL
from store.columns import column as _col

_INVENTORY = "room_id, host_id, capacity, taken, on_sale, sales_end_us, price_amount, price_currency"
# `live AND NOT paid` literally, as the partial index `seat_holds_expiry` says (see store/guard_reads.py).
_EXPIRED_HOLD = "SELECT 1 FROM seat_holds s WHERE s.live AND NOT s.paid AND s.hold_expires_us <= %s AND s.room_id = {room}"


class ClaimReads:
    """Mixed into SqlGuards; uses its `_exec`, `_one`, `_pg`, `_cursor` and `_codes`."""

    def _choose(self, tiers: Mapping[UUID, Any], room_id: UUID, host: str, wanted: UUID | None,
                code_id: UUID | None, amount: int | None, now: datetime, ceilings: Mapping[str, int] | None
                ) -> tuple[Any, str, Any, int]:
        """(tier, "", code terms, list amount) for a claim, or (None, the refusal's name, ...)."""
        code = self._codes[str(code_id)][0] if code_id is not None and str(code_id) in self._codes else None
        return price_claim(tiers, room_id, host, wanted, code, code_id, amount, now, ceilings)

    def _expired_hold(self, rid: str, now_us: int, expired: dict[str, bool]) -> bool:
        """Has the room a live unpaid hold whose hold has passed (what a sweep releases)? PostgreSQL read
        it with the claims (`_read_claims`); SQLite asks now, once a room, only for a room found sold out."""
        if rid not in expired:
            expired[rid] = self._one(_EXPIRED_HOLD.format(room="%s") + " LIMIT 1", (now_us, rid)) is not None
        return expired[rid]

    def _read_claims(self, rids: list[str], tids: list[str], asked: list[tuple[str, str]], wanted: Mapping[str, int],
                     now_us: int, skip_busy: bool = False
                     ) -> tuple[dict[str, Any], list[Any], list[Any], set[str], dict[str, bool]]:
        """The rooms' inventory rows (locked, in order), the holds that matter to the claims, the rooms' tiers,
        (`skip_busy`, PostgreSQL) the rooms that exist but another transaction holds: not locked, not waited
        for, and (PostgreSQL) whether each room has an expired hold (`_expired_hold`), read only for the rooms
        that `wanted` (claims per room) may sell out: the rest are False."""
        if not self._pg:
            tier_rows = [t for rid in rids for t in self._exec(TIERS_SQL, (rid,)).fetchall()]
            inventories = {}
            for rid in rids:
                inv = self._one(f"SELECT {_INVENTORY} FROM seat_inventory WHERE room_id = %s", (rid,))
                if inv is not None:
                    inventories[rid] = inv
            existing: list[Any] = []
            for rid in rids:
                holders = [h for r, h in asked if r == rid]
                existing += self._exec(
                    "SELECT ticket_id, holder_id, live, room_id FROM seat_holds WHERE live AND room_id = %s"
                    " AND holder_id IN (" + ", ".join(["%s"] * len(holders)) + ")", (rid, *holders)).fetchall()
            for start in range(0, len(tids), 500):
                chunk = tids[start:start + 500]
                existing += self._exec("SELECT ticket_id, holder_id, live, room_id FROM seat_holds WHERE ticket_id IN ("
                                       + ", ".join(["%s"] * len(chunk)) + ")", chunk).fetchall()
            return inventories, existing, tier_rows, set(), {}
        # Both questions go out before either answer is read: one round trip. The holds query
        # runs after the row locks are granted, so it sees every hold committed before them.
        # Static text with arrays (converted once by psycopg), never prepared: a generic plan
        # made while the table was young would scan every hold. The live hold of each holder
        # is looked up by its full unique key, one probe per (room, holder) (OFFSET 0 keeps
        # the planner from flattening the probe into a join): without statistics, as in a
        # young table, it would rather read every hold of the room.
        self._cursor.execute(f'SELECT {_INVENTORY} FROM seat_inventory WHERE room_id = ANY(%b)'
                             ' ORDER BY room_id COLLATE "C" FOR UPDATE' + (" SKIP LOCKED" if skip_busy else ""),
                             (rids,), prepare=False)
        with self._cursor.connection.cursor() as holds, self._cursor.connection.cursor() as tiers, \
                self._cursor.connection.cursor() as known, self._cursor.connection.cursor() as expired:
            if skip_busy:  # which rooms exist: those not locked above are busy, not unknown
                known.execute("SELECT room_id FROM seat_inventory WHERE room_id = ANY(%b)", (rids,), prepare=False)
            # The rooms' tiers, read under the rooms' locks (every tier write holds its room first).
            tiers.execute(TIERS_SQL.replace("room_id = %s", "room_id = ANY(%b)"), (rids,), prepare=False)
            holds.execute(
                ("SELECT ticket_id, holder_id, live, room_id FROM seat_holds WHERE ticket_id = ANY(%b) UNION ALL "
                 if tids else "") +
                "SELECT h.ticket_id, h.holder_id, h.live, h.room_id FROM unnest(%b::text[], %b::text[]) AS q(r, h)"
                " CROSS JOIN LATERAL (SELECT s.ticket_id, s.holder_id, s.live, s.room_id FROM seat_holds s"
                " WHERE s.live AND s.room_id = q.r AND s.holder_id = q.h OFFSET 0) h",
                ((tids,) if tids else ()) + ([r for r, _ in asked], [h for _, h in asked]), prepare=False)
            # A sold-out claim says whether a sweep could give a seat back: a room (or one of its tiers)
            # that the batch's claims may fill is asked for an expired hold, through the partial index of
            # live unpaid holds (`seat_holds_expiry`); the others are not asked (CASE decides in order).
            expired.execute(
                "SELECT q.r FROM unnest(%b::text[], %b::int4[]) AS q(r, n) WHERE CASE WHEN"
                " EXISTS (SELECT 1 FROM seat_inventory i WHERE i.room_id = q.r AND i.taken + q.n > i.capacity) OR"
                " EXISTS (SELECT 1 FROM tier_inventory t WHERE t.room_id = q.r AND t.taken + q.n > t.capacity)"
                " THEN EXISTS (" + _EXPIRED_HOLD.format(room="q.r") + ") END",
                (rids, [wanted.get(rid, 0) for rid in rids], now_us), prepare=False)
            inventories = {_col(r, "room_id", 0): r for r in self._cursor.fetchall()}
            busy = {_col(r, "room_id", 0) for r in known.fetchall()} - set(inventories) if skip_busy else set()
            found = {_col(r, "r", 0) for r in expired.fetchall()}
            return inventories, holds.fetchall(), tiers.fetchall(), busy, {rid: rid in found for rid in rids}
