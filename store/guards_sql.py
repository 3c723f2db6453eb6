"""The write guards in SQL, for SQLite and PostgreSQL alike.

Runs inside the transaction that appends the events (see domain/guards.py for
why). Statements are written once with `%s` placeholders; SQLite gets `?`.
Timestamps are epoch microseconds (BIGINT) so both databases compare them the
same way.

No deadlock: every row lock goes through `_acquire`, which keeps the global
lock order of domain/guards.py (guard kind, then key in "C" string order) and
raises LockOrderError on a row that sorts before one already locked (the one
check, shared with the in-memory store: store/lock_order.py). Tables
and their place in that order: processed_keys, code_inventory,
seat_inventory, creator_revenue, seat_holds, payout_accounts; the events
table lock is taken last, by the recorder. tier_inventory rows are written
only behind their room's row (store/tier_guards_sql.py). A hold row is changed only by commands on its own
ticket, after its room's lock (a new hold cannot collide with another
transaction's: both would hold the room first), so holds are not tracked one
by one; a ticket's events conflict on its version anyway. Statements that lock many rows at once sort them with
ORDER BY ... COLLATE "C" under FOR UPDATE (PostgreSQL locks in the sorted
order), so a batch of any number of rooms locks them in one round trip.

Array parameters go in binary (`%b`, PostgreSQL only): with `%s` psycopg dumps a list
with its text array dumper, which quotes and escapes each element in Python (a flash
sale's holds and events cost 10-15 us a row that way, 1.6-2.2 us in binary).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.guards import SeatClaim, SeatWanted
from domain.money import Money
from store.claim_reads_sql import ClaimReads
from store.code_guards_sql import CODES, CodeGuards
from store.lock_order import ACCOUNTS, KEYS, LOCK_RANKS, ROOMS, LockOrder
from store.pacing_sql import PaymentQueueGuards
from store.revenue_guards_sql import RevenueGuards
from store.tier_guards_sql import TierGuards, tier_inventory
from store.transfer_guards_sql import TransferGuards
from store.waitlist_guards_sql import WaitlistGuards
from store.timecodes import to_us
from store.columns import column as _col

assert LOCK_RANKS["code"] == CODES  # Safeguard: store/code_guards_sql.py names the codes' rank
HOLD_COLUMNS = "ticket_id, room_id, holder_id, live, paid, hold_expires_us, created_us, tier_id, code_id"



class SqlGuards(ClaimReads, TierGuards, CodeGuards, TransferGuards, RevenueGuards, WaitlistGuards, PaymentQueueGuards):
    """`domain.guards.WriteGuards` over a DB-API cursor."""

    def __init__(self, cursor: Any, placeholder: str) -> None:
        self._cursor = cursor
        self._ph = placeholder
        self._pg = placeholder == "%s"
        self._locks = LockOrder()  # every guard row locked so far, and the greatest of them
        # Written once at flush(), just before the events: one statement per kind, not per ticket.
        self._init_revenue()
        self._init_payment_queue()  # seats whose payment starts later, at the processor's pace
        self._paid: list[str] = []
        # Holds claimed in this transaction, inserted once with their final flags (a sale
        # paid in the same transaction needs no second statement to mark it).
        self._holds: dict[str, list[Any]] = {}
        self._codes: dict[str, list[Any]] = {}  # codes locked in this transaction: [terms, uses]
        self._dirty_codes: set[str] = set()
        self._freed: set[str] = set()  # rooms given a seat back or a larger cap: their lines are served at the end

    # --- the lock order ------------------------------------------------------------

    def _acquire(self, rank: int, keys: Iterable[Any]) -> list[Any]:
        """Record locks about to be taken on these rows; returns the keys not held yet, sorted.

        Raises LockOrderError if a new row sorts before a row already locked (store/lock_order.py)."""
        return self._locks.acquire(rank, keys)

    def flush(self) -> None:
        """Write what was buffered; the recorder calls this before appending the events.

        Only rows locked earlier are updated here (revenue) or new rows inserted (holds,
        behind their room's lock), so flushing takes no lock out of order."""
        self._write_holds()
        self._flush_codes()
        self._flush_revenue()
        if self._paid:
            marks = ", ".join(["%s"] * len(self._paid))
            self._exec(f"UPDATE seat_holds SET paid = %s WHERE ticket_id IN ({marks})", (True, *self._paid))
            self._paid.clear()
        self._flush_payment_queue()

    def _write_holds(self) -> None:
        if self._holds and self._pg:
            columns = list(zip(*self._holds.values(), strict=True))
            self._cursor.execute(
                f"INSERT INTO seat_holds ({HOLD_COLUMNS}) SELECT * FROM unnest(%b::text[], %b::text[], %b::text[],"
                " %b::bool[], %b::bool[], %b::int8[], %b::int8[], %b::text[], %b::text[])",
                [list(c) for c in columns], prepare=False)
            self._holds.clear()
        elif self._holds:
            rows = list(self._holds.values())
            self._exec(
                f"INSERT INTO seat_holds ({HOLD_COLUMNS}) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows)),
                [v for row in rows for v in row],
            )
            self._holds.clear()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._ph != "%s":
            sql = sql.replace("%s", self._ph)
        self._cursor.execute(sql, tuple(params))
        return self._cursor

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._exec(sql, params).fetchone()

    # --- inventory -------------------------------------------------------------

    def open_inventory(self, room_id: UUID, host_id: str, capacity: int, price: Money, sales_end: datetime | None,
                       default_tier: bool = True) -> None:
        self._acquire(ROOMS, [str(room_id)])
        self._exec(
            "INSERT INTO seat_inventory (room_id, host_id, capacity, taken, price_amount, price_currency, on_sale, sales_end_us)"
            " VALUES (%s, %s, %s, 0, %s, %s, %s, %s)",
            (str(room_id), host_id, capacity, price.amount, price.currency, True, to_us(sales_end)),
        )
        self._potential[str(room_id)] = 0  # what its seats could bring, added up by its tiers (sizes its revenue slice)
        if default_tier:  # one price for the whole room: its default tier, whose id is the room's
            self.open_tier(room_id, room_id, capacity, price, None, None, False, None)

    def set_price(self, room_id: UUID, price: Money) -> None:
        self._acquire(ROOMS, [str(room_id)])
        self._exec(
            "UPDATE seat_inventory SET price_amount = %s, price_currency = %s WHERE room_id = %s",
            (price.amount, price.currency, str(room_id)),
        )
        self.set_tier_price(room_id, room_id, price)  # the default tier, whose id is the room's

    def room_hosts(self, room_ids: Collection[UUID]) -> dict[UUID, str]:
        ids = sorted(str(r) for r in room_ids)
        rows = self._exec("SELECT room_id, host_id FROM seat_inventory WHERE room_id IN ("
                          + ", ".join(["%s"] * len(ids)) + ")", ids).fetchall()
        return {UUID(_col(r, "room_id", 0)): _col(r, "host_id", 1) for r in rows}

    def set_sales_end(self, room_id: UUID, sales_end: datetime | None) -> None:
        self._acquire(ROOMS, [str(room_id)])
        self._exec("UPDATE seat_inventory SET sales_end_us = %s WHERE room_id = %s", (to_us(sales_end), str(room_id)))

    def close_sales(self, room_id: UUID) -> None:
        self._acquire(ROOMS, [str(room_id)])
        self._exec("UPDATE seat_inventory SET on_sale = %s WHERE room_id = %s", (False, str(room_id)))

    def set_capacity(self, room_id: UUID, capacity: int) -> int | None:
        self._acquire(ROOMS, [str(room_id)])
        row = self._one(
            "UPDATE seat_inventory SET capacity = %s WHERE room_id = %s AND taken <= %s RETURNING taken",
            (capacity, str(room_id), capacity),
        )
        if row is not None:
            # The default tier sells the whole room; it holds no more than the room does.
            self._exec("UPDATE tier_inventory SET capacity = %s WHERE tier_id = %s", (capacity, str(room_id)))
            self._freed.add(str(room_id))  # a larger cap may serve the line
            return None
        row = self._one("SELECT taken FROM seat_inventory WHERE room_id = %s", (str(room_id),))
        return int(row[0] if not isinstance(row, dict) else row["taken"]) if row is not None else 0

    def lock_rooms(self, room_ids: Iterable[UUID], skip_busy: bool = False) -> None:
        fresh = self._acquire(ROOMS, [str(r) for r in room_ids])
        if fresh and self._pg and skip_busy:  # the rooms another transaction holds are not held after all
            self._cursor.execute('SELECT room_id FROM seat_inventory WHERE room_id = ANY(%b) ORDER BY room_id COLLATE "C"'
                                 " FOR UPDATE SKIP LOCKED", (fresh,), prepare=False)
            self._locks.forget(ROOMS, set(fresh) - {_col(r, "room_id", 0) for r in self._cursor.fetchall()})
        elif fresh and self._pg:  # SQLite's BEGIN IMMEDIATE already holds the whole database
            self._cursor.execute('SELECT 1 FROM seat_inventory WHERE room_id = ANY(%b) ORDER BY room_id COLLATE "C"'
                                 " FOR UPDATE", (fresh,), prepare=False)

    # --- seats -----------------------------------------------------------------

    def _take(self, room_id: str, now_us: int) -> Any:
        self._acquire(ROOMS, [room_id])
        return self._one(
            "UPDATE seat_inventory SET taken = taken + 1 WHERE room_id = %s AND taken < capacity AND on_sale = %s"
            " RETURNING host_id", (room_id, True))

    def _give_back(self, room_id: str, tier_id: str | None) -> None:
        self._acquire(ROOMS, [room_id])
        self._freed.add(room_id)
        self._exec("UPDATE seat_inventory SET taken = taken - 1 WHERE room_id = %s", (room_id,))
        if tier_id is not None:
            self._exec("UPDATE tier_inventory SET taken = taken - 1 WHERE tier_id = %s", (tier_id,))

    def claim_seats(self, room_id: UUID, claims: Sequence[Sequence[Any]], now: datetime,
                    hold_expires_at: datetime, replayable: Collection[UUID] | None = None) -> list[SeatClaim]:
        return self.claim_rooms({room_id: claims}, now, hold_expires_at, replayable)[room_id]

    def claim_rooms(self, claims: Mapping[UUID, Sequence[Sequence[Any]]], now: datetime,
                    hold_expires_at: datetime, replayable: Collection[UUID] | None = None,
                    ceilings: Mapping[str, int] | None = None, skip_busy: bool = False) -> dict[UUID, list[SeatClaim]]:
        """Claim seats in many rooms: on PostgreSQL one round trip, whatever the number of rooms.

        The inventory rows are locked first, in the lock order, so claims on these rooms from
        other processes wait here and see every hold committed before them.
        """
        self._write_holds()  # claims earlier in this transaction
        now_us = to_us(now)
        wants = {room_id: [SeatWanted(*w) for w in pairs] for room_id, pairs in claims.items()}
        rids = {room_id: str(room_id) for room_id in claims}
        self._acquire(ROOMS, rids.values())
        tids = [str(w.ticket_id) for ws in wants.values() for w in ws if replayable is None or w.ticket_id in replayable]
        asked = sorted({(rids[room_id], w.holder_id) for room_id, ws in wants.items() for w in ws})
        counts = {rids[room_id]: len(ws) for room_id, ws in wants.items()}
        inventories, existing, tier_rows, busy, expiries = self._read_claims(sorted(rids.values()), tids, asked, counts,
                                                                            now_us, skip_busy)
        self._locks.forget(ROOMS, busy)
        tiers_of: dict[str, dict[UUID, Any]] = {}
        for row in tier_rows:
            tier = tier_inventory(row)
            tiers_of.setdefault(_col(row, "room_id", 1), {})[tier.tier_id] = tier
        known = {_col(r, "ticket_id", 0) for r in existing}
        live = {(_col(r, "room_id", 3), _col(r, "holder_id", 1)): _col(r, "ticket_id", 0) for r in existing
                if _col(r, "live", 2)}
        results: dict[UUID, list[SeatClaim]] = {}
        granted: dict[str, int] = {}
        tier_granted: dict[str, int] = {}
        expires_us = to_us(hold_expires_at)
        for room_id, ws in wants.items():
            rid = rids[room_id]
            inv = inventories.get(rid)
            if inv is None:
                results[room_id] = [SeatClaim("busy" if rid in busy else "unknown_room") for _ in ws]
                continue
            capacity, taken, on_sale, sales_end_us = (int(_col(inv, "capacity", 2)), int(_col(inv, "taken", 3)),
                                                       bool(_col(inv, "on_sale", 4)), _col(inv, "sales_end_us", 5))
            open_ = on_sale and (sales_end_us is None or sales_end_us > now_us)
            host = _col(inv, "host_id", 1)
            tiers = tiers_of.get(rid, {})
            out = results[room_id] = []
            for holder, ticket_id, wanted, code_id, amount in ws:
                tid = str(ticket_id)
                tier, problem, code, named = self._choose(tiers, room_id, host, wanted, code_id, amount, now, ceilings)
                if tid in known:
                    out.append(SeatClaim("replay", ticket_id=ticket_id))
                elif (rid, holder) in live:
                    out.append(SeatClaim("already_holds", ticket_id=UUID(live[(rid, holder)])))
                elif not open_:
                    out.append(SeatClaim("not_on_sale"))
                elif tier is None:
                    out.append(SeatClaim(problem))  # type: ignore[arg-type]
                elif taken + granted.get(rid, 0) >= capacity:
                    out.append(self._sold_out("sold_out", rid, now, now_us, expiries, sales_end_us, tiers))
                elif tier.taken + tier_granted.get(str(tier.tier_id), 0) >= tier.capacity:
                    out.append(self._sold_out("tier_sold_out", rid, now, now_us, expiries, sales_end_us, tiers,
                                              tier.tier_id))
                elif code_id is not None and (refused := self._take_code_use(str(code_id))) is not None:
                    out.append(SeatClaim(refused))  # type: ignore[arg-type]
                else:
                    granted[rid] = granted.get(rid, 0) + 1
                    tier_granted[str(tier.tier_id)] = tier_granted.get(str(tier.tier_id), 0) + 1
                    known.add(tid)
                    live[(rid, holder)] = tid
                    self._holds[tid] = [tid, rid, holder, True, False, expires_us, now_us, str(tier.tier_id),
                                        str(code_id) if code_id is not None else None]
                    out.append(SeatClaim("claimed", price=Money(named, tier.price.currency), host_id=host,
                                         tier_id=tier.tier_id, code=code))
        for rid, inv in inventories.items():  # what the unsold seats could bring: sizes revenue slices
            left = int(_col(inv, "capacity", 2)) - int(_col(inv, "taken", 3)) - granted.get(rid, 0)
            self._potential[rid] = max(left, 0) * max((t.price.amount for t in tiers_of.get(rid, {}).values()), default=0)
        if granted and self._pg:
            self._cursor.execute(
                "UPDATE seat_inventory AS i SET taken = i.taken + d.n FROM unnest(%b::text[], %b::int4[]) AS d(room_id, n)"
                " WHERE i.room_id = d.room_id", (list(granted), list(granted.values())), prepare=False)
        else:
            for rid, n in granted.items():
                self._exec("UPDATE seat_inventory SET taken = taken + %s WHERE room_id = %s", (n, rid))
        self._add_tier_taken(tier_granted)
        return results

    def reclaim_seat(self, ticket_id: UUID, now: datetime) -> bool:
        self._write_holds()
        row = self._one("SELECT room_id, holder_id, tier_id FROM seat_holds WHERE ticket_id = %s AND NOT live",
                        (str(ticket_id),))
        if row is None:
            return False
        rid, holder, tier_id = _col(row, "room_id", 0), _col(row, "holder_id", 1), _col(row, "tier_id", 2)
        if self._take(rid, to_us(now)) is None:
            return False
        if tier_id is not None and self._one(  # the tier's seat too, behind the room's lock just taken
                "UPDATE tier_inventory SET taken = taken + 1 WHERE tier_id = %s AND taken < capacity RETURNING taken",
                (tier_id,)) is None:
            self._give_back(rid, None)
            return False
        other = self._one("SELECT 1 FROM seat_holds WHERE live AND room_id = %s AND holder_id = %s", (rid, holder))
        if other is not None:
            self._give_back(rid, tier_id)
            return False
        self._exec("UPDATE seat_holds SET live = %s WHERE ticket_id = %s", (True, str(ticket_id)))
        return True

    def mark_paid(self, ticket_id: UUID) -> None:
        hold = self._holds.get(str(ticket_id))
        if hold is not None:
            hold[4] = True
        else:
            self._paid.append(str(ticket_id))

    def release_seat(self, ticket_id: UUID, room_id: UUID, code_id: UUID | None = None) -> bool:
        if code_id is not None:
            self.lock_codes([code_id])  # the code before the room: the lock order
        hold = self._holds.get(str(ticket_id))
        if hold is not None:  # claimed in this transaction (a declined instant payment)
            if not hold[3]:
                return False
            hold[3] = False
            if code_id is not None and hold[8] == str(code_id):
                self._give_back_code(hold[8])
            self._give_back(hold[1], hold[7])
            return True
        self.lock_rooms([room_id])  # the room before its hold: the lock order
        row = self._one(
            "UPDATE seat_holds SET live = %s WHERE ticket_id = %s AND live RETURNING room_id, tier_id, code_id",
            (False, str(ticket_id)),
        )
        if row is None:
            return False
        self.unqueue_payment(ticket_id)  # a seat given back waits for no payment
        if code_id is not None and _col(row, "code_id", 2) == str(code_id):
            self._give_back_code(str(code_id))
        self._give_back(_col(row, "room_id", 0), _col(row, "tier_id", 1))
        return True

    # --- money and dedupe ----------------------------------------------------------

    def first_time(self, key: str) -> bool:
        self._acquire(KEYS, [key])
        row = self._one("INSERT INTO processed_keys (key) VALUES (%s) ON CONFLICT DO NOTHING RETURNING key", (key,))
        return row is not None

    def link_account(self, account_id: str, user_id: str, status: str) -> None:
        self._acquire(ACCOUNTS, [account_id])
        self._exec("INSERT INTO payout_accounts (account_id, user_id, status) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                   (account_id, user_id, status))

    def set_account_status(self, account_id: str, status: str) -> None:
        self._acquire(ACCOUNTS, [account_id])
        self._exec("UPDATE payout_accounts SET status = %s WHERE account_id = %s", (status, account_id))
