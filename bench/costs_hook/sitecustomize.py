"""Counters inside the API workers for `bench/many_rooms_costs.py` (loaded with PYTHONPATH=bench/costs_hook).

Wraps `SqlGuards.claim_rooms` (calls, rooms, requests, claims' statuses, skip-busy calls),
`SqlGuards.lock_revenue` (calls that lock creator rows) and the recorder's `transact`
(transactions), and writes the counts to BOXOFFICE_COSTS_DIR/costs-<pid>.json every second.
Does nothing unless BOXOFFICE_COSTS_DIR is set. A benchmark tool, never loaded by the service.
"""

from __future__ import annotations

import collections
import importlib.abc
import json
import os
import sys
import threading
import time
from typing import Any

OUT = os.environ.get("BOXOFFICE_COSTS_DIR")


def _patch(counts: collections.Counter[str]) -> None:
    from store import guard_reads, guards_sql, recorders

    claim_rooms = guards_sql.SqlGuards.claim_rooms
    lock_revenue = guards_sql.SqlGuards.lock_revenue
    transact = recorders.GuardedPostgresRecorder.transact

    def counted_claim(self: Any, claims: Any, *args: Any, **kwargs: Any) -> Any:
        out = claim_rooms(self, claims, *args, **kwargs)
        counts["claim_calls"] += 1
        counts["claim_rooms"] += len(claims)
        counts["claim_requests"] += sum(len(v) for v in claims.values())
        counts["skip_busy_calls"] += int(bool(kwargs.get("skip_busy")))
        for claim in (c for v in out.values() for c in v):
            counts["status_" + claim.status] += 1
        return out

    def counted_lock(self: Any, keys: Any, *args: Any) -> Any:
        keys = list(keys)
        if keys:
            counts["lock_revenue_calls"] += 1
            counts["lock_revenue_keys"] += len(keys)
        return lock_revenue(self, keys, *args)

    def counted_transact(self: Any, work: Any) -> Any:
        counts["transactions"] += 1
        return transact(self, work)

    expired_holds = guard_reads.SqlGuardReads.expired_holds

    def counted_sweep(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["expired_holds_reads"] += 1  # a sweep's read: a sold-out purchase's or the background loop's
        return expired_holds(self, *args, **kwargs)

    guard_reads.SqlGuardReads.expired_holds = counted_sweep  # type: ignore[method-assign]
    guards_sql.SqlGuards.claim_rooms = counted_claim  # type: ignore[method-assign]
    guards_sql.SqlGuards.lock_revenue = counted_lock  # type: ignore[method-assign]
    recorders.GuardedPostgresRecorder.transact = counted_transact  # type: ignore[method-assign]


class _OnBootstrap(importlib.abc.MetaPathFinder):
    """Patches once, when the composition root is first imported (the store is importable by then)."""

    def __init__(self, counts: collections.Counter[str]) -> None:
        self.counts, self.done = counts, False

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "api.bootstrap" and not self.done:
            self.done = True
            _patch(self.counts)
        return None


if OUT:
    _counts: collections.Counter[str] = collections.Counter()

    def _dump() -> None:
        while True:
            time.sleep(1.0)
            path = os.path.join(OUT, f"costs-{os.getpid()}.json")
            with open(path + ".tmp", "w") as f:
                json.dump(_counts, f)
            os.replace(path + ".tmp", path)  # never read half written

    threading.Thread(target=_dump, daemon=True).start()
    sys.meta_path.insert(0, _OnBootstrap(_counts))
