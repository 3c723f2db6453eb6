"""The codes' guarded use counters, as part of `SqlGuards` (store/guards_sql.py).

Lock order (domain/guards.py, LOCK_ORDER): codes come before rooms, because a
creator-wide code is shared by every room of its host: taken in the middle of
a batch's rooms it would cross the rooms' order. A transaction that takes or
gives back a use locks its codes first (`lock_codes`, through `_acquire`),
counts uses in memory and writes them once at flush.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.guards import CodeTerms
from store.timecodes import from_us, to_us
from store.columns import column as _c

CODES = 1  # the codes' rank in domain.guards.LOCK_ORDER (store/guards_sql.py checks it)
CODE_COLUMNS = ("code_id, host_id, room_id, percent_off, amount_off, currency, max_uses, used, valid_from_us,"
                " valid_until_us, tier_ids, unlocks_tier_ids")


class CodeGuards:
    """Mixed into SqlGuards; uses its `_exec`, `_one`, `_lock_suffix` and `_col`."""

    _codes: dict[str, list[Any]]  # code id -> [terms, used], for codes locked in this transaction
    _dirty_codes: set[str]

    def open_code(self, terms: CodeTerms) -> None:
        self._exec(  # type: ignore[attr-defined]
            f"INSERT INTO code_inventory ({CODE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s)",
            (str(terms.code_id), terms.host_id, str(terms.room_id) if terms.room_id else None, terms.percent_off,
             terms.amount_off, terms.currency, terms.max_uses, to_us(terms.valid_from), to_us(terms.valid_until),
             " ".join(sorted(str(t) for t in terms.tier_ids)), " ".join(sorted(str(t) for t in terms.unlocks_tier_ids))),
        )

    def lock_codes(self, code_ids: Iterable[UUID]) -> None:
        """Lock these codes' rows (before any room row) and keep their terms and counts for this transaction."""
        wanted = self._acquire(CODES, [str(c) for c in code_ids])  # type: ignore[attr-defined]
        if not wanted:
            return
        if self._pg:  # type: ignore[attr-defined]
            rows = self._cursor.execute(  # type: ignore[attr-defined]
                f'SELECT {CODE_COLUMNS} FROM code_inventory WHERE code_id = ANY(%b) ORDER BY code_id COLLATE "C"'
                " FOR UPDATE", (wanted,), prepare=False).fetchall()
        else:  # SQLite's BEGIN IMMEDIATE already holds the whole database
            rows = self._exec(  # type: ignore[attr-defined]
                f"SELECT {CODE_COLUMNS} FROM code_inventory WHERE code_id IN ({', '.join(['%s'] * len(wanted))})",
                wanted).fetchall()
        for row in rows:
            self._codes[_c(row, "code_id", 0)] = [code_terms(row), int(_c(row, "used", 7))]

    def _take_code_use(self, code_id: str) -> str | None:
        """Take one use of a locked code; the refusal's name if none is left (or the code is unknown)."""
        state = self._codes.get(code_id)
        if state is None:
            return "code_invalid"
        terms, used = state
        if terms.max_uses is not None and used >= terms.max_uses:
            return "code_exhausted"
        state[1] = used + 1
        self._dirty_codes.add(code_id)
        return None

    def _give_back_code(self, code_id: str) -> None:
        self.lock_codes([UUID(code_id)])  # free if locked already; out of order (after a room) it raises
        state = self._codes.get(code_id)
        if state is not None and state[1] > 0:
            state[1] -= 1
            self._dirty_codes.add(code_id)

    def _flush_codes(self) -> None:
        for code_id in sorted(self._dirty_codes):
            self._exec("UPDATE code_inventory SET used = %s WHERE code_id = %s",  # type: ignore[attr-defined]
                       (self._codes[code_id][1], code_id))
        self._dirty_codes.clear()


def code_terms(row: Any) -> CodeTerms:
    room = _c(row, "room_id", 2)
    return CodeTerms(
        code_id=UUID(_c(row, "code_id", 0)), host_id=_c(row, "host_id", 1), room_id=UUID(room) if room else None,
        percent_off=_c(row, "percent_off", 3), amount_off=_c(row, "amount_off", 4), currency=_c(row, "currency", 5),
        max_uses=_c(row, "max_uses", 6), valid_from=from_us(_c(row, "valid_from_us", 8)),
        valid_until=from_us(_c(row, "valid_until_us", 9)),
        tier_ids=frozenset(UUID(t) for t in (_c(row, "tier_ids", 10) or "").split()),
        unlocks_tier_ids=frozenset(UUID(t) for t in (_c(row, "unlocks_tier_ids", 11) or "").split()),
    )
