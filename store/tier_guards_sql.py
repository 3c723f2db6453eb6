"""The tiers' guarded counters, as part of `SqlGuards` (store/guards_sql.py).

A tier row is written only while its room's inventory row is held by the same
transaction (`lock_rooms` or a claim takes it first), so no transaction ever
waits on a tier row: tiers need no place of their own in the lock order. The
CHECK (taken <= capacity) backs every decision made under that lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.guards import TierInventory
from domain.money import Money
from store.timecodes import from_us, to_us
from store.columns import column as _c

TIER_COLUMNS = ("tier_id, room_id, capacity, taken, price_amount, price_currency, hidden, closed, sales_start_us,"
                " sales_end_us, minimum_amount")
TIERS_SQL = f"SELECT {TIER_COLUMNS} FROM tier_inventory WHERE room_id = %s ORDER BY tier_id"


class TierGuards:
    """Mixed into SqlGuards; uses its `_exec`, `_one`, `_pg`, `_cursor` and `lock_rooms`."""

    def open_tier(self, room_id: UUID, tier_id: UUID, capacity: int, price: Money, sales_start: datetime | None,
                  sales_end: datetime | None, hidden: bool, minimum_amount: int | None) -> None:
        self.lock_rooms([room_id])  # type: ignore[attr-defined]
        self._exec(  # type: ignore[attr-defined]
            "INSERT INTO tier_inventory (tier_id, room_id, capacity, taken, price_amount, price_currency,"
            " sales_start_us, sales_end_us, hidden, closed, minimum_amount) VALUES (%s, %s, %s, 0, %s, %s, %s, %s, %s,"
            " %s, %s)", (str(tier_id), str(room_id), capacity, price.amount, price.currency, to_us(sales_start),
                         to_us(sales_end), hidden, False, minimum_amount))
        if str(room_id) in self._potential:  # type: ignore[attr-defined]  # a room opened in this transaction
            self._potential[str(room_id)] += capacity * price.amount  # type: ignore[attr-defined]

    def set_tier_price(self, room_id: UUID, tier_id: UUID, price: Money) -> None:
        self.lock_rooms([room_id])  # type: ignore[attr-defined]
        self._exec("UPDATE tier_inventory SET price_amount = %s, price_currency = %s WHERE tier_id = %s",  # type: ignore[attr-defined]
                   (price.amount, price.currency, str(tier_id)))

    def set_tier_capacity(self, room_id: UUID, tier_id: UUID, capacity: int) -> int | None:
        self.lock_rooms([room_id])  # type: ignore[attr-defined]
        row = self._one("UPDATE tier_inventory SET capacity = %s WHERE tier_id = %s AND taken <= %s RETURNING taken",  # type: ignore[attr-defined]
                        (capacity, str(tier_id), capacity))
        if row is not None:
            self._freed.add(str(room_id))  # type: ignore[attr-defined]  # a larger cap may serve the line
            return None
        row = self._one("SELECT taken FROM tier_inventory WHERE tier_id = %s", (str(tier_id),))  # type: ignore[attr-defined]
        return int(_c(row, "taken", 0)) if row is not None else 0

    def close_tier(self, room_id: UUID, tier_id: UUID) -> None:
        self.lock_rooms([room_id])  # type: ignore[attr-defined]
        self._exec("UPDATE tier_inventory SET closed = %s WHERE tier_id = %s", (True, str(tier_id)))  # type: ignore[attr-defined]

    def _add_tier_taken(self, granted: Mapping[str, int]) -> None:
        """Count claims into their tiers (rooms held); the CHECK backs the decision."""
        if granted and self._pg:  # type: ignore[attr-defined]
            self._cursor.execute(  # type: ignore[attr-defined]
                "UPDATE tier_inventory AS t SET taken = t.taken + d.n FROM unnest(%b::text[], %b::int4[]) AS d(tier_id, n)"
                " WHERE t.tier_id = d.tier_id", (list(granted), list(granted.values())), prepare=False)
        else:
            for tier_id, n in granted.items():
                self._exec("UPDATE tier_inventory SET taken = taken + %s WHERE tier_id = %s", (n, tier_id))  # type: ignore[attr-defined]


def tier_inventory(row: Any, paid: int = 0) -> TierInventory:
    return TierInventory(
        tier_id=UUID(_c(row, "tier_id", 0)), capacity=int(_c(row, "capacity", 2)), taken=int(_c(row, "taken", 3)),
        paid=paid, price=Money(int(_c(row, "price_amount", 4)), _c(row, "price_currency", 5)),
        hidden=bool(_c(row, "hidden", 6)), closed=bool(_c(row, "closed", 7)),
        sales_start=from_us(_c(row, "sales_start_us", 8)), sales_end=from_us(_c(row, "sales_end_us", 9)),
        minimum_amount=_c(row, "minimum_amount", 10),
    )
