"""Reads of the write guards' tables outside any write transaction, for SQLite and PostgreSQL.

What a room shows as sold, held and available (in total and per tier) comes
from here: the counters the sales are checked against, never a recount.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.guards import ExpiredHold, Inventory
from domain.money import Money
from store.guards_sql import _col
from store.tier_guards_sql import TIERS_SQL, tier_inventory
from store.waitlist_guards_sql import WaitlistReads
from store.timecodes import from_us, to_us


class SqlGuardReads(WaitlistReads):
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
        paid_by_tier = {_col(r, "tier_id", 0): int(_col(r, "paid", 1)) for r in self._q(
            "SELECT tier_id, COUNT(*) AS paid FROM seat_holds WHERE room_id = %s AND live AND paid GROUP BY tier_id",
            (str(room_id),))}
        tiers = tuple(tier_inventory(t, paid_by_tier.get(_col(t, "tier_id", 0), 0))
                      for t in self._q(TIERS_SQL, (str(room_id),)))
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
            tiers=tiers,
        )

    def code_uses(self, code_id: UUID) -> int:
        rows = self._q("SELECT used FROM code_inventory WHERE code_id = %s", (str(code_id),))
        return int(_col(rows[0], "used", 0)) if rows else 0

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
        """The row's lifetime plus what the creator's rooms sold within their slices (store/revenue_guards_sql.py)."""
        rows = self._q("SELECT COALESCE((SELECT lifetime FROM creator_revenue WHERE creator_id = %s AND currency = %s), 0)"
                       " + COALESCE((SELECT SUM(used) FROM revenue_slices WHERE creator_id = %s AND currency = %s), 0)"
                       " AS lifetime", (creator_id, currency, creator_id, currency))
        return int(_col(rows[0], "lifetime", 0)) if rows else 0

    def enabled_payout_accounts(self) -> dict[str, str]:
        rows = self._q("SELECT user_id, account_id FROM payout_accounts WHERE status = %s", ("enabled",))
        return {_col(r, "user_id", 0): _col(r, "account_id", 1) for r in rows}

    def processed(self, key: str) -> bool:
        return bool(self._q("SELECT 1 FROM processed_keys WHERE key = %s", (key,)))

    def creator_of_account(self, account_id: str) -> str | None:
        rows = self._q("SELECT user_id FROM payout_accounts WHERE account_id = %s", (account_id,))
        return _col(rows[0], "user_id", 0) if rows else None
