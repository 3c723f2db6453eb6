"""What a seat claim reads and decides, as part of `SqlGuards` (store/guards_sql.py).

`_read_claims` reads, under the rooms' row locks, the inventory rows, the holds
that matter and the rooms' tiers, in one round trip on PostgreSQL; `_choose`
decides a claim's tier, code and price (the caps are counted by the caller).
A claim refused sold out says whether the room has an expired hold to sweep, and
when its answer may first change by time alone (`_sold_out`): without a hold to
sweep the purchase is refused at once, and a plain purchase's refusal marks the
room sold out until then (domain/sales/sold_out.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.guards import SeatClaim
from domain.rooms.tiers import price_claim
from domain.sales.sold_out import stable_until
from store.tier_guards_sql import TIERS_SQL
from store.timecodes import from_us
from store.columns import column as _col

_INVENTORY = "room_id, host_id, capacity, taken, on_sale, sales_end_us, price_amount, price_currency"
# The room's soonest unpaid hold expiry, through the partial index `seat_holds_unpaid_by_room` (migration 0020:
# `live AND NOT paid` literally, as it says): one index probe whatever the other rooms hold.
_NEXT_EXPIRY = ("SELECT s.hold_expires_us FROM seat_holds s WHERE s.live AND NOT s.paid AND s.room_id = {room}"
                " ORDER BY s.hold_expires_us LIMIT 1")


class ClaimReads:
    """Mixed into SqlGuards; uses its `_exec`, `_one`, `_pg`, `_cursor` and `_codes`."""

    def _choose(self, tiers: Mapping[UUID, Any], room_id: UUID, host: str, wanted: UUID | None,
                code_id: UUID | None, amount: int | None, now: datetime, ceilings: Mapping[str, int] | None
                ) -> tuple[Any, str, Any, int]:
        """(tier, "", code terms, list amount) for a claim, or (None, the refusal's name, ...)."""
        code = self._codes[str(code_id)][0] if code_id is not None and str(code_id) in self._codes else None
        return price_claim(tiers, room_id, host, wanted, code, code_id, amount, now, ceilings)

    def _sold_out(self, status: str, rid: str, now: datetime, now_us: int, expiries: dict[str, int | None],
                  sales_end_us: int | None, tiers: Mapping[UUID, Any], tier_id: UUID | None = None) -> SeatClaim:
        """A sold-out claim: may a sweep give the room a seat now (a live unpaid hold whose hold has passed),
        and when may its answer change by time alone (`stable_until`)? The room's soonest unpaid hold expiry:
        PostgreSQL read it with the claims (`_read_claims`); SQLite asks now, once a room found sold out."""
        if rid not in expiries:
            row = self._one(_NEXT_EXPIRY.format(room="%s"), (rid,))
            expiries[rid] = None if row is None else int(_col(row, "hold_expires_us", 0))
        expiry = expiries[rid]
        return SeatClaim(status, tier_id=tier_id, expired_holds=expiry is not None and expiry <= now_us,  # type: ignore[arg-type]
                         stable_until=stable_until(now, from_us(sales_end_us), tiers.values(), from_us(expiry)))

    def _read_claims(self, rids: list[str], tids: list[str], asked: list[tuple[str, str]], wanted: Mapping[str, int],
                     now_us: int, skip_busy: bool = False
                     ) -> tuple[dict[str, Any], list[Any], list[Any], set[str], dict[str, int | None]]:
        """The rooms' inventory rows (locked, in order), the holds that matter to the claims, the rooms' tiers,
        (`skip_busy`, PostgreSQL) the rooms that exist but another transaction holds: not locked, not waited
        for, and (PostgreSQL) each room's soonest unpaid hold expiry (`_sold_out`), read only for the rooms
        that `wanted` (claims per room) may sell out: the others cannot be refused sold out."""
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
            # A sold-out claim says whether a sweep could give a seat back, and when one could: a room (or
            # one of its tiers) that the batch's claims may fill is asked for its soonest unpaid hold expiry,
            # through the partial index of the rooms' unpaid holds; the others are not asked (the select
            # list is computed only for the rows the WHERE keeps).
            revenue = self._send_revenue_reads(rids)  # type: ignore[attr-defined]
            expired.execute(
                "SELECT q.r, (" + _NEXT_EXPIRY.format(room="q.r") + ") AS e FROM unnest(%b::text[], %b::int4[])"
                " AS q(r, n) WHERE"
                " EXISTS (SELECT 1 FROM seat_inventory i WHERE i.room_id = q.r AND i.taken + q.n > i.capacity) OR"
                " EXISTS (SELECT 1 FROM tier_inventory t WHERE t.room_id = q.r AND t.taken + q.n > t.capacity)",
                (rids, [wanted.get(rid, 0) for rid in rids]), prepare=False)
            inventories = {_col(r, "room_id", 0): r for r in self._cursor.fetchall()}
            busy = {_col(r, "room_id", 0) for r in known.fetchall()} - set(inventories) if skip_busy else set()
            expiries = {_col(r, "r", 0): _col(r, "e", 1) for r in expired.fetchall()}
            revenue(inventories)
            return inventories, holds.fetchall(), tiers.fetchall(), busy, expiries
