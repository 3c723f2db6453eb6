"""The write guards in SQL, for SQLite and PostgreSQL alike.

Runs inside the transaction that appends the events (see domain/guards.py for
why). Statements are written once with `%s` placeholders; SQLite gets `?`.
Timestamps are epoch microseconds (BIGINT) so both databases compare them the
same way. Safeguard against deadlocks on PostgreSQL: callers claim rooms in a
fixed order, and the events table lock is always taken last.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.guards import ExpiredHold, Inventory, SeatClaim
from domain.money import Money
from store.timecodes import from_us, to_us


class SqlGuards:
    """`domain.guards.WriteGuards` over a DB-API cursor."""

    def __init__(self, cursor: Any, placeholder: str) -> None:
        self._cursor = cursor
        self._ph = placeholder
        self._pg = placeholder == "%s"
        self._lock_suffix = " FOR UPDATE" if self._pg else ""
        # Written once at flush(), just before the events: one statement per kind, not per ticket.
        self._lifetimes: dict[tuple[str, str], int] = {}
        self._dirty_lifetimes: set[tuple[str, str]] = set()
        self._paid: list[str] = []
        # Holds claimed in this transaction, inserted once with their final flags (a sale
        # paid in the same transaction needs no second statement to mark it).
        self._holds: dict[str, list[Any]] = {}

    def flush(self) -> None:
        """Write what was buffered; the recorder calls this before appending the events."""
        self._write_holds()
        if self._dirty_lifetimes:
            for creator_id, currency in sorted(self._dirty_lifetimes):
                self._exec("UPDATE creator_revenue SET lifetime = %s WHERE creator_id = %s AND currency = %s",
                           (self._lifetimes[(creator_id, currency)], creator_id, currency))
            self._dirty_lifetimes.clear()
        if self._paid:
            marks = ", ".join(["%s"] * len(self._paid))
            self._exec(f"UPDATE seat_holds SET paid = %s WHERE ticket_id IN ({marks})", (True, *self._paid))
            self._paid.clear()

    def _write_holds(self) -> None:
        if self._holds and self._pg:
            columns = list(zip(*self._holds.values(), strict=True))
            self._cursor.execute(
                "INSERT INTO seat_holds (ticket_id, room_id, holder_id, live, paid, hold_expires_us, created_us)"
                " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bool[], %s::bool[], %s::int8[],"
                " %s::int8[])", [list(c) for c in columns], prepare=False)
            self._holds.clear()
        elif self._holds:
            rows = list(self._holds.values())
            self._exec(
                "INSERT INTO seat_holds (ticket_id, room_id, holder_id, live, paid, hold_expires_us, created_us) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows)),
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

    def open_inventory(self, room_id: UUID, host_id: str, capacity: int, price: Money, sales_end: datetime | None) -> None:
        self._exec(
            "INSERT INTO seat_inventory (room_id, host_id, capacity, taken, price_amount, price_currency, on_sale, sales_end_us)"
            " VALUES (%s, %s, %s, 0, %s, %s, %s, %s)",
            (str(room_id), host_id, capacity, price.amount, price.currency, True, to_us(sales_end)),
        )

    def set_price(self, room_id: UUID, price: Money) -> None:
        self._exec(
            "UPDATE seat_inventory SET price_amount = %s, price_currency = %s WHERE room_id = %s",
            (price.amount, price.currency, str(room_id)),
        )

    def set_sales_end(self, room_id: UUID, sales_end: datetime | None) -> None:
        self._exec("UPDATE seat_inventory SET sales_end_us = %s WHERE room_id = %s", (to_us(sales_end), str(room_id)))

    def close_sales(self, room_id: UUID) -> None:
        self._exec("UPDATE seat_inventory SET on_sale = %s WHERE room_id = %s", (False, str(room_id)))

    def set_capacity(self, room_id: UUID, capacity: int) -> int | None:
        row = self._one(
            "UPDATE seat_inventory SET capacity = %s WHERE room_id = %s AND taken <= %s RETURNING taken",
            (capacity, str(room_id), capacity),
        )
        if row is not None:
            return None
        row = self._one("SELECT taken FROM seat_inventory WHERE room_id = %s", (str(room_id),))
        return int(row[0] if not isinstance(row, dict) else row["taken"]) if row is not None else 0

    # --- seats -----------------------------------------------------------------

    def _take(self, room_id: str, now_us: int, check_sales_end: bool = True) -> Any:
        sales_end = " AND (sales_end_us IS NULL OR sales_end_us > %s)" if check_sales_end else ""
        params: tuple[Any, ...] = (room_id, True, now_us) if check_sales_end else (room_id, True)
        return self._one(
            "UPDATE seat_inventory SET taken = taken + 1"
            " WHERE room_id = %s AND taken < capacity AND on_sale = %s" + sales_end +
            " RETURNING host_id, price_amount, price_currency",
            params,
        )

    def _give_back(self, room_id: str) -> None:
        self._exec("UPDATE seat_inventory SET taken = taken - 1 WHERE room_id = %s", (room_id,))

    def claim_seats(self, room_id: UUID, claims: Sequence[tuple[str, UUID]], now: datetime,
                    hold_expires_at: datetime, replayable: Collection[UUID] | None = None) -> list[SeatClaim]:
        """Claim seats for many (holder, ticket) pairs of one room in a few statements.

        The inventory row is locked first, so claims on the room from other
        processes wait here and see every hold committed before them.
        """
        self._write_holds()  # another room's claims earlier in this transaction
        rid, now_us = str(room_id), to_us(now)
        tids = [str(t) for _, t in claims if replayable is None or t in replayable]
        holders = sorted({h for h, _ in claims})
        inventory_sql = ("SELECT host_id, capacity, taken, on_sale, sales_end_us, price_amount, price_currency"
                         " FROM seat_inventory WHERE room_id = %s" + self._lock_suffix)
        if self._pg:
            # Both questions go out before either answer is read: one round trip. The holds
            # query runs after the row lock is granted, so it sees every hold committed
            # before it. Static text with arrays (converted once by psycopg), never prepared:
            # a generic plan made while the table was young would scan every hold.
            # The live hold of each holder is looked up by its full unique key, one probe per
            # holder (OFFSET 0 keeps the planner from flattening the probe into a join): without
            # statistics, as in a young table, it would rather read every hold of the room.
            self._cursor.execute(inventory_sql, (rid,), prepare=False)
            with self._cursor.connection.cursor() as holds:
                holds.execute(
                    ("SELECT ticket_id, holder_id, live, room_id FROM seat_holds WHERE ticket_id = ANY(%s) UNION ALL "
                     if tids else "") +
                    "SELECT h.ticket_id, h.holder_id, h.live, h.room_id FROM unnest(%s::text[]) AS q(holder_id)"
                    " CROSS JOIN LATERAL (SELECT ticket_id, holder_id, live, room_id FROM seat_holds"
                    " WHERE live AND room_id = %s AND holder_id = q.holder_id OFFSET 0) h",
                    ((tids,) if tids else ()) + (holders, rid), prepare=False)
                inv = self._cursor.fetchone()
                existing = holds.fetchall()
        else:
            inv = self._one(inventory_sql, (rid,))
            existing = self._exec(
                "SELECT ticket_id, holder_id, live, room_id FROM seat_holds WHERE ticket_id IN ("
                + ", ".join(["%s"] * len(tids)) + ") OR (live AND room_id = %s AND holder_id IN ("
                + ", ".join(["%s"] * len(holders)) + "))",
                (*tids, rid, *holders),
            ).fetchall()
        if inv is None:
            return [SeatClaim("unknown_room") for _ in claims]
        known = {_col(r, "ticket_id", 0) for r in existing}
        live_by_holder = {_col(r, "holder_id", 1): _col(r, "ticket_id", 0) for r in existing
                          if _col(r, "live", 2) and _col(r, "room_id", 3) == rid}
        capacity, taken, on_sale, sales_end_us = (int(_col(inv, "capacity", 1)), int(_col(inv, "taken", 2)),
                                                   bool(_col(inv, "on_sale", 3)), _col(inv, "sales_end_us", 4))
        open_ = on_sale and (sales_end_us is None or sales_end_us > now_us)
        price = Money(int(_col(inv, "price_amount", 5)), _col(inv, "price_currency", 6))
        host = _col(inv, "host_id", 0)
        results: list[SeatClaim] = []
        granted: list[tuple[str, str]] = []
        for holder, ticket_id in claims:
            tid = str(ticket_id)
            if tid in known:
                results.append(SeatClaim("replay", ticket_id=ticket_id))
            elif holder in live_by_holder:
                results.append(SeatClaim("already_holds", ticket_id=UUID(live_by_holder[holder])))
            elif not open_:
                results.append(SeatClaim("not_on_sale"))
            elif taken + len(granted) >= capacity:
                results.append(SeatClaim("sold_out"))
            else:
                granted.append((holder, tid))
                known.add(tid)
                live_by_holder[holder] = tid
                results.append(SeatClaim("claimed", price=price, host_id=host))
        if granted:
            self._exec("UPDATE seat_inventory SET taken = taken + %s WHERE room_id = %s", (len(granted), rid))
            expires_us = to_us(hold_expires_at)
            for holder, tid in granted:
                self._holds[tid] = [tid, rid, holder, True, False, expires_us, now_us]
        return results

    def reclaim_seat(self, ticket_id: UUID, now: datetime) -> bool:
        self._write_holds()
        row = self._one("SELECT room_id, holder_id FROM seat_holds WHERE ticket_id = %s AND NOT live", (str(ticket_id),))
        if row is None:
            return False
        rid, holder = _col(row, "room_id", 0), _col(row, "holder_id", 1)
        if self._take(rid, to_us(now), check_sales_end=False) is None:  # type: ignore[arg-type]
            return False
        other = self._one("SELECT 1 FROM seat_holds WHERE live AND room_id = %s AND holder_id = %s", (rid, holder))
        if other is not None:
            self._give_back(rid)
            return False
        self._exec("UPDATE seat_holds SET live = %s WHERE ticket_id = %s", (True, str(ticket_id)))
        return True

    def mark_paid(self, ticket_id: UUID) -> None:
        hold = self._holds.get(str(ticket_id))
        if hold is not None:
            hold[4] = True
        else:
            self._paid.append(str(ticket_id))

    def release_seat(self, ticket_id: UUID) -> bool:
        hold = self._holds.get(str(ticket_id))
        if hold is not None:  # claimed in this transaction (a declined instant payment)
            if not hold[3]:
                return False
            hold[3] = False
            self._give_back(hold[1])
            return True
        row = self._one(
            "UPDATE seat_holds SET live = %s WHERE ticket_id = %s AND live RETURNING room_id",
            (False, str(ticket_id)),
        )
        if row is None:
            return False
        self._give_back(_col(row, "room_id", 0))
        return True

    # --- money and dedupe ----------------------------------------------------------

    def accrue_revenue(self, creator_id: str, currency: str, delta: int) -> int:
        """Lock the creator's lifetime row once per transaction, then count in memory until flush()."""
        key = (creator_id, currency)
        if key not in self._lifetimes:
            row = self._one(
                "INSERT INTO creator_revenue (creator_id, currency, lifetime) VALUES (%s, %s, 0)"
                " ON CONFLICT (creator_id, currency) DO UPDATE SET lifetime = creator_revenue.lifetime"
                " RETURNING lifetime",
                key,
            )
            self._lifetimes[key] = int(_col(row, "lifetime", 0))
        before = self._lifetimes[key]
        self._lifetimes[key] = before + delta
        self._dirty_lifetimes.add(key)
        return before

    def first_time(self, key: str) -> bool:
        row = self._one("INSERT INTO processed_keys (key) VALUES (%s) ON CONFLICT DO NOTHING RETURNING key", (key,))
        return row is not None

    def link_account(self, account_id: str, user_id: str, status: str) -> None:
        self._exec("INSERT INTO payout_accounts (account_id, user_id, status) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                   (account_id, user_id, status))

    def set_account_status(self, account_id: str, status: str) -> None:
        self._exec("UPDATE payout_accounts SET status = %s WHERE account_id = %s", (status, account_id))


def _col(row: Any, name: str, index: int = 0) -> Any:
    """A column of a row from either driver (psycopg dict rows, sqlite3.Row)."""
    if isinstance(row, dict):
        return row[name]
    try:
        return row[name]
    except (IndexError, KeyError, TypeError):
        return row[index]


class SqlGuardReads:
    """`domain.guards.GuardReads` over a connection factory (no write transaction)."""

    def __init__(self, run: Any, placeholder: str) -> None:
        self._run = run  # run(sql, params) -> list of rows
        self._ph = placeholder

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if self._ph != "%s":
            sql = sql.replace("%s", self._ph)
        return self._run(sql, tuple(params))

    def inventories(self, room_ids: Sequence[UUID]) -> dict[UUID, Inventory]:
        out: dict[UUID, Inventory] = {}
        for rid in room_ids:
            inv = self.inventory(rid)
            if inv is not None:
                out[rid] = inv
        return out

    def inventory(self, room_id: UUID) -> Inventory | None:
        rows = self._q(
            "SELECT room_id, host_id, capacity, taken, price_amount, price_currency, on_sale, sales_end_us,"
            " (SELECT COUNT(*) FROM seat_holds h WHERE h.live AND h.paid AND h.room_id = i.room_id) AS paid"
            " FROM seat_inventory i WHERE room_id = %s",
            (str(room_id),),
        )
        if not rows:
            return None
        r = rows[0]
        return Inventory(
            room_id=room_id,
            host_id=_col(r, "host_id", 1),
            capacity=int(_col(r, "capacity", 2)),
            taken=int(_col(r, "taken", 3)),
            paid=int(_col(r, "paid", 8)),
            price=Money(int(_col(r, "price_amount", 4)), _col(r, "price_currency", 5)),
            on_sale=bool(_col(r, "on_sale", 6)),
            sales_end=from_us(_col(r, "sales_end_us", 7)),
        )

    def expired_holds(self, now: datetime, room_id: UUID | None = None, limit: int = 500) -> list[ExpiredHold]:
        # `live AND NOT paid` literally, as the partial index says: a parameter would hide it from generic plans.
        sql = "SELECT ticket_id, room_id FROM seat_holds WHERE live AND NOT paid AND hold_expires_us <= %s"
        params: list[Any] = [to_us(now)]
        if room_id is not None:
            sql += " AND room_id = %s"
            params.append(str(room_id))
        sql += " ORDER BY hold_expires_us LIMIT %s"
        params.append(limit)
        return [ExpiredHold(UUID(_col(r, "ticket_id", 0)), UUID(_col(r, "room_id", 1))) for r in self._q(sql, params)]

    def tickets_of_room(self, room_id: UUID) -> list[UUID]:
        rows = self._q("SELECT ticket_id FROM seat_holds WHERE room_id = %s ORDER BY created_us, ticket_id", (str(room_id),))
        return [UUID(_col(r, "ticket_id", 0)) for r in rows]

    def lifetime_revenue(self, creator_id: str, currency: str) -> int:
        rows = self._q("SELECT lifetime FROM creator_revenue WHERE creator_id = %s AND currency = %s", (creator_id, currency))
        return int(_col(rows[0], "lifetime", 0)) if rows else 0

    def enabled_payout_accounts(self) -> dict[str, str]:
        rows = self._q("SELECT user_id, account_id FROM payout_accounts WHERE status = %s", ("enabled",))
        return {_col(r, "user_id", 0): _col(r, "account_id", 1) for r in rows}

    def processed(self, key: str) -> bool:
        return bool(self._q("SELECT 1 FROM processed_keys WHERE key = %s", (key,)))

    def creator_of_account(self, account_id: str) -> str | None:
        rows = self._q("SELECT user_id FROM payout_accounts WHERE account_id = %s", (account_id,))
        return _col(rows[0], "user_id", 0) if rows else None
