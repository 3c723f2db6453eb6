"""The global lock order of the write guards, kept by one small object per transaction.

Why here: every guard implementation (store/guards_sql.py, store/memory.py)
must refuse a guard row locked out of the order of domain/guards.py
(`LOCK_ORDER`: guard kind, then key in "C" string order), so that a command
written in the wrong order fails in every test run, on every store, instead of
deadlocking one PostgreSQL run in a hundred. Imports the domain only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.guards import LOCK_ORDER, LockOrderError

# Ranks, in the order of LOCK_ORDER, and the table each kind lives in (named in the errors).
KEYS, CODES, ROOMS, REVENUE, HOLDS, ACCOUNTS = range(len(LOCK_ORDER))
LOCK_RANKS = {kind: rank for rank, kind in enumerate(LOCK_ORDER)}
TABLES = ("processed_keys", "code_inventory", "seat_inventory", "creator_revenue", "seat_holds", "payout_accounts")


class LockOrder:
    """The guard rows one transaction has locked so far, and the greatest of them."""

    def __init__(self) -> None:
        self._held: set[tuple[int, Any]] = set()
        self._last: tuple[int, Any] | None = None

    def holds(self, rank: int, key: Any) -> bool:
        return (rank, key) in self._held

    def forget(self, rank: int, keys: Iterable[Any]) -> None:
        """Rows recorded by `acquire` whose lock was not taken after all (skipped: SKIP LOCKED)."""
        self._held.difference_update((rank, k) for k in keys)
        self._last = max(self._held) if self._held else None

    def acquire(self, rank: int, keys: Iterable[Any]) -> list[Any]:
        """Record locks about to be taken on these rows; returns the keys not held yet, sorted.

        Re-touching a row already held is free. Raises LockOrderError if a new row
        sorts before a row already locked (Python compares str by code point, which
        is PostgreSQL's "C" collation of their UTF-8)."""
        fresh = sorted({k for k in keys if (rank, k) not in self._held})
        if fresh:
            first = (rank, fresh[0])
            if self._last is not None and first < self._last:
                raise LockOrderError(f"{TABLES[rank]} {fresh[0]!r} locked after {TABLES[self._last[0]]}"
                                     f" {self._last[1]!r}: guard rows must be locked in one global order")
            self._held.update((rank, k) for k in fresh)
            self._last = (rank, fresh[-1])
        return fresh
