"""The shared rate bucket and the payment queue, in the database every API process shares.

Why here: Stripe allows about 100 operations/s per account (25 in test
mode), whatever the number of our processes. A limit kept in one process's
memory would let N processes send N times the limit, so the bucket is a row,
refilled and taken from in ONE statement (no read-then-write race, no lock
held across a call), on the database's own clock so processes on different
machines agree. Both dialects; integers only (micro-tokens).

The payment queue holds seats that were reserved while the bucket was empty:
they wait, in reservation order, for a pacer to create their PaymentIntent.
A claim is one statement too (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
pacers in several processes never take the same row); a claim older than
`stale_us` is taken again (its pacer crashed; the PaymentIntent's
idempotency key makes the second creation the same object).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from store.db import Database

MICRO = 1_000_000
_NOW_US = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000000 AS BIGINT)",  # one value per statement
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
}
_LEAST = {"postgresql": "LEAST", "sqlite": "MIN"}
_GREATEST = {"postgresql": "GREATEST", "sqlite": "MAX"}


class RateBucket:
    """`rate` tokens per second, at most `burst` at once, shared by every process using the same `name`.

    A token may be taken ahead of time (`reserve`): the bucket goes into debt
    and the caller waits until its token is due, so waiting callers never
    poll the row, and they are served in the order they asked.
    """

    def __init__(self, db: Database, name: str, rate: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.db, self.name = db, name
        self.rate = rate
        self._rate_milli = max(1, round(rate * 1000))
        self._burst_u = max(MICRO, round((burst if burst is not None else rate) * MICRO))
        d = db.dialect
        now, least, greatest = _NOW_US[d], _LEAST[d], _GREATEST[d]
        level = (f"{least}(burst_u, tokens_u + {greatest}(0, {now} - updated_us) * rate_milli / 1000)")
        self._take = (f"UPDATE rate_buckets SET tokens_u = {level} - {MICRO}, updated_us = {greatest}(updated_us, {now})"
                      f" WHERE name = %s AND {level} - {MICRO} >= %s RETURNING tokens_u")
        self._ensure = (f"INSERT INTO rate_buckets (name, tokens_u, burst_u, rate_milli, updated_us)"
                        f" VALUES (%s, %s, %s, %s, {now}) ON CONFLICT (name) DO UPDATE"
                        f" SET burst_u = excluded.burst_u, rate_milli = excluded.rate_milli")

    def ensure(self) -> RateBucket:
        """Create the row (full) or adopt this process's rate and burst for it; safe to run in every process."""
        with self.db.transaction() as tx:
            tx.execute(self._ensure, (self.name, self._burst_u, self._burst_u, self._rate_milli))
        return self

    @property
    def burst(self) -> float:
        return self._burst_u / MICRO

    def try_take(self, keep: float = 0.0) -> bool:
        """One token if one is there now and at least `keep` more stay; never waits."""
        return self._take_one(round(keep * MICRO)) is not None

    def reserve(self, max_wait: float) -> float | None:
        """Take a token due within `max_wait` seconds: the seconds to wait before using it, or None."""
        return self._take_one(-round(max_wait * self.rate * MICRO))

    def _take_one(self, floor_u: int) -> float | None:
        """Take one token if the level left is at least `floor_u` (negative: debt, paid by waiting)."""
        with self.db.transaction() as tx:
            if tx.dialect == "postgresql":  # losing the last takes in a crash costs nothing: no fsync per take
                tx.execute("SET LOCAL synchronous_commit TO OFF")
            rows = tx.all(self._take, (self.name, floor_u))  # all: SQLite must finish it before COMMIT
        if not rows:
            return None
        debt_u = -int(rows[0]["tokens_u"])
        return debt_u / (self.rate * MICRO) if debt_u > 0 else 0.0


@dataclass(frozen=True)
class QueuedPayment:
    ticket_id: UUID
    payment_method: str | None
    attempts: int


@dataclass(frozen=True)
class QueueState:
    status: str  # queued | claimed | started
    position: int  # seats ahead of this one still waiting (0: next)
    payment_id: str | None
    client_secret: str | None


_AHEAD = ("SELECT COUNT(*) AS n FROM payment_queue WHERE status IN ('queued', 'claimed')"
          " AND (reserved_us < %s OR (reserved_us = %s AND ticket_id < %s))")


class PaymentQueue:
    def __init__(self, db: Database) -> None:
        self.db = db
        skip = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
        self._claim = ("UPDATE payment_queue SET status = 'claimed', claimed_us = %s WHERE ticket_id IN ("
                       "SELECT ticket_id FROM payment_queue WHERE status = 'queued' OR (status = 'claimed'"
                       f" AND claimed_us < %s) ORDER BY reserved_us, ticket_id LIMIT %s{skip})"
                       " RETURNING ticket_id, payment_method, attempts")

    def enqueue(self, ticket_id: UUID, reserved_us: int, payment_method: str | None) -> int | None:
        """Queue a held seat; answers its position, or None if it was queued before (nothing changed)."""
        with self.db.transaction() as tx:
            added = tx.all("INSERT INTO payment_queue (ticket_id, reserved_us, status, payment_method, attempts)"
                           " VALUES (%s, %s, 'queued', %s, 0) ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id",
                           (str(ticket_id), reserved_us, payment_method))
            if not added:
                return None
            return self._ahead(tx, reserved_us, str(ticket_id))

    @staticmethod
    def _ahead(tx: Any, reserved_us: int, ticket_id: str) -> int:
        row = tx.one(_AHEAD, (reserved_us, reserved_us, ticket_id))
        return int(row["n"]) if row else 0

    def state(self, ticket_id: UUID) -> QueueState | None:
        row = self.db.query_one("SELECT * FROM payment_queue WHERE ticket_id = %s", (str(ticket_id),))
        if row is None:
            return None
        ahead = 0
        if row["status"] != "started":
            counted = self.db.query_one(_AHEAD, (row["reserved_us"], row["reserved_us"], row["ticket_id"]))
            ahead = int(counted["n"]) if counted else 0
        return QueueState(row["status"], ahead, row["payment_id"], row["client_secret"])

    def claim(self, now_us: int, stale_us: int, limit: int = 1) -> list[QueuedPayment]:
        with self.db.transaction() as tx:
            rows = tx.all(self._claim, (now_us, now_us - stale_us, limit))
        return [QueuedPayment(UUID(r["ticket_id"]), r["payment_method"], int(r["attempts"])) for r in rows]

    def started(self, ticket_id: UUID, payment_id: str, client_secret: str | None) -> None:
        self._set(ticket_id, "status = 'started', payment_id = %s, client_secret = %s", (payment_id, client_secret))

    def retry_later(self, ticket_id: UUID, error: str) -> None:
        self._set(ticket_id, "status = 'queued', attempts = attempts + 1, last_error = %s", (error[:500],))

    def forget(self, ticket_id: UUID) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM payment_queue WHERE ticket_id = %s", (str(ticket_id),))

    def forget_started_before(self, reserved_us: int) -> None:
        """Drop started rows of seats reserved before this (their holds are long over)."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM payment_queue WHERE status = 'started' AND reserved_us < %s", (reserved_us,))

    def waiting(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) AS n FROM payment_queue WHERE status IN ('queued', 'claimed')")
        return int(row["n"]) if row else 0

    def _set(self, ticket_id: UUID, assignments: str, params: tuple[Any, ...]) -> None:
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE payment_queue SET {assignments} WHERE ticket_id = %s", (*params, str(ticket_id)))
