"""The shared rate bucket and the payment queue, in the database every API process shares.

Why here: Stripe allows about 100 operations/s per account (25 in test
mode), whatever the number of our processes. A limit kept in one process's
memory would let N processes send N times the limit, so the bucket is a row,
refilled and taken from in ONE statement (no read-then-write race, no lock
held across a call), on the database's own clock so processes on different
machines agree. Both dialects; integers only (micro-tokens).

The payment queue holds held seats waiting, in reservation order, for a
pacer to create their PaymentIntent. A seat joins it in its reservation's own
transaction (`PaymentQueueGuards`, a part of the write guards): one more
statement in that transaction's pipeline, whose answer (each seat's place)
is read after the commit, so a purchase costs no round trip more than on the
sandbox. A release (hold expired, payment failed) drops the seat's row in its
own transaction. The queue's rows are touched after every guard row, and the
pacers' own statements lock one queue row each and wait for nothing else, so
the queue has no place in the lock order (domain/guards.py).
A claim is one statement too (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
pacers in several processes never take the same row); a claim older than
`stale_us` is taken again (its pacer crashed; the PaymentIntent's
idempotency key makes the second creation the same object).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.payments import PaymentToQueue, QueuePlace
from store.columns import column as _col
from store.db import Database
from store.timecodes import to_us

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
    status: str  # queued | claimed | starting (its purchase starts it) | started
    position: int  # seats ahead of this one still waiting (0: next)
    payment_id: str | None
    client_secret: str | None


WAITING = "('queued', 'claimed', 'starting')"  # the partial index payment_queue_waiting (migration 0019)
HEAD = "(SELECT min(seq) FROM payment_queue WHERE status IN ('queued', 'claimed'))"  # the next seat a pacer takes


class PaymentQueue:
    """The pacers' side of the queue (the purchases' side: `PaymentQueueGuards`, below). A seat's place
    is its `seq` less the smallest `seq` still waiting for a pacer: the seats queued before it, less
    those already started out of turn (a pacer ahead of another), in one index probe, not a count."""

    def __init__(self, db: Database) -> None:
        self.db = db
        skip = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
        # A `starting` row is its purchase's to start; taken here only if that purchase died (stale).
        self._claim = ("UPDATE payment_queue SET status = 'claimed', claimed_us = %s WHERE ticket_id IN ("
                       f"SELECT ticket_id FROM payment_queue WHERE status IN {WAITING} AND (status = 'queued'"
                       f" OR claimed_us < %s) ORDER BY seq LIMIT %s{skip})"
                       " RETURNING ticket_id, payment_method, attempts")
        seq = "" if db.dialect == "postgresql" else ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM payment_queue)"
        self._enqueue = (f"INSERT INTO payment_queue (ticket_id, reserved_us, status, payment_method, attempts"
                         f"{', seq' if seq else ''}) VALUES (%s, %s, 'queued', %s, 0{seq})"
                         " ON CONFLICT (ticket_id) DO NOTHING RETURNING seq")

    def enqueue(self, ticket_id: UUID, reserved_us: int, payment_method: str | None) -> int | None:
        """Queue a held seat (one not queued by its reservation: a waitlist offer's, or one reserved before
        the queue was written with the reservation); its place, or None if it was queued before."""
        with self.db.transaction() as tx:
            added = tx.all(self._enqueue, (str(ticket_id), reserved_us, payment_method))
            if not added:
                return None
            row = tx.one(f"SELECT %s - {HEAD} AS ahead", (int(added[0]["seq"]),))
            return max(0, int(row["ahead"] or 0)) if row else 0

    def state(self, ticket_id: UUID) -> QueueState | None:
        row = self.db.query_one(f"SELECT q.*, q.seq - {HEAD} AS ahead FROM payment_queue q WHERE ticket_id = %s",
                                (str(ticket_id),))
        if row is None:
            return None
        ahead = max(0, int(row["ahead"] or 0)) if row["status"] != "started" else 0
        return QueueState(row["status"], ahead, row["payment_id"], row["client_secret"])

    def claim(self, now_us: int, stale_us: int, limit: int = 1) -> list[QueuedPayment]:
        with self.db.transaction() as tx:
            rows = tx.all(self._claim, (now_us, now_us - stale_us, limit))
        return [QueuedPayment(UUID(r["ticket_id"]), r["payment_method"], int(r["attempts"])) for r in rows]

    def started(self, ticket_id: UUID, payment_id: str, client_secret: str | None) -> None:
        self._set(ticket_id, "status = 'started', payment_id = %s, client_secret = %s", (payment_id, client_secret))

    def retry_later(self, ticket_id: UUID, error: str) -> None:
        self._set(ticket_id, "status = 'queued', attempts = attempts + 1, last_error = %s", (error[:500],))

    def not_started(self, ticket_id: UUID, error: str, now_us: int) -> None:
        """A `starting` seat whose purchase could not reach Stripe: a retry of the purchase resumes it,
        or a pacer takes it once its claim is stale."""
        self._set(ticket_id, "attempts = attempts + 1, last_error = %s, claimed_us = %s", (error[:500], now_us))

    def requeue(self, ticket_id: UUID) -> QueueState | None:
        """A `starting` seat its purchase could not start (no token to spare) waits for a pacer."""
        self._set(ticket_id, "status = 'queued'", (), only="status = 'starting'")
        return self.state(ticket_id)

    def forget(self, ticket_id: UUID) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM payment_queue WHERE ticket_id = %s", (str(ticket_id),))

    def forget_started_before(self, claimed_us: int) -> None:
        """Drop started rows claimed before this, on the pacers' clock (their holds are long over)."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM payment_queue WHERE status = 'started' AND claimed_us < %s", (claimed_us,))

    def waiting(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) AS n FROM payment_queue WHERE status IN ('queued', 'claimed')")
        return int(row["n"]) if row else 0

    def _set(self, ticket_id: UUID, assignments: str, params: tuple[Any, ...], only: str = "TRUE") -> None:
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE payment_queue SET {assignments} WHERE ticket_id = %s AND {only}",
                       (*params, str(ticket_id)))


# One statement, pipelined with the reservation's other writes: the seats go in (numbered by the
# identity column `seq`), and each answers how many seats still wait ahead of it, from the partial
# index's first entry instead of a count. A purchase alone in its batch may start its payment itself
# (`starting`) when nobody waits.
_QUEUE_PG = (
    f"WITH head AS (SELECT {HEAD} AS s),"
    " added AS (INSERT INTO payment_queue (ticket_id, reserved_us, status, payment_method, attempts, claimed_us)"
    " SELECT t, r, CASE WHEN n AND (SELECT s FROM head) IS NULL THEN 'starting' ELSE 'queued' END, m, 0, %s"
    " FROM unnest(%b::text[], %b::int8[], %b::text[], %b::bool[]) AS u(t, r, m, n)"  # binary arrays (guards_sql.py)
    " ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id, seq, status)"
    " SELECT ticket_id, seq - COALESCE((SELECT s FROM head), (SELECT min(seq) FROM added)) AS ahead, status"
    " FROM added")


class PaymentQueueGuards:
    """`domain.payments.PaymentQueueGuards`, mixed into SqlGuards (store/guards_sql.py)."""

    _cursor: Any
    _pg: bool

    _exec: Callable[..., Any]  # SqlGuards'
    _one: Callable[..., Any]

    def _init_payment_queue(self) -> None:
        self._to_queue: list[PaymentToQueue] = []
        self._unqueue: list[str] = []
        self._queue_answer: Any = None  # PostgreSQL: the insert's cursor, read after the commit
        self._places: dict[UUID, QueuePlace] = {}

    def queue_payments(self, payments: Any) -> None:
        self._to_queue.extend(payments)

    def unqueue_payment(self, ticket_id: UUID) -> None:
        """A released seat waits for no payment: its row goes with the release."""
        self._unqueue.append(str(ticket_id))

    def queued_places(self) -> dict[UUID, QueuePlace]:
        return self._places

    def after_commit(self) -> None:
        """PostgreSQL: read the places the pipelined insert answered (the recorder calls this after its sync)."""
        if self._queue_answer is not None:
            rows, self._queue_answer = self._queue_answer.fetchall(), None
            self._places = {UUID(_col(r, "ticket_id", 0)): QueuePlace(_col(r, "status", 2), int(_col(r, "ahead", 1)))
                            for r in rows}

    def _flush_payment_queue(self) -> None:
        if self._unqueue:
            self._exec(f"DELETE FROM payment_queue WHERE ticket_id IN ({', '.join(['%s'] * len(self._unqueue))})",
                       self._unqueue)
            self._unqueue = []
        if not self._to_queue:
            return
        queued, self._to_queue = self._to_queue, []
        now_us = time.time_ns() // 1000  # a `starting` row's claim, on the pacers' clock (stale after a minute)
        if self._pg:
            self._queue_answer = self._cursor.connection.cursor()
            self._queue_answer.execute(_QUEUE_PG, (
                now_us, [str(p.ticket_id) for p in queued], [_us(p) for p in queued], [p.payment_method for p in queued],
                [p.may_start_now for p in queued]), prepare=False)
            return
        # SQLite: one writer at a time, so the rows are numbered here.
        head = _col(self._one(f"SELECT {HEAD} AS s"), "s")
        top = int(_col(self._one("SELECT COALESCE(max(seq), 0) AS s FROM payment_queue"), "s"))
        for n, p in enumerate(queued, start=top + 1):
            status = "starting" if p.may_start_now and head is None else "queued"
            if self._one("INSERT INTO payment_queue (ticket_id, reserved_us, status, payment_method, attempts, seq,"
                         " claimed_us) VALUES (%s, %s, %s, %s, 0, %s, %s) ON CONFLICT (ticket_id) DO NOTHING"
                         " RETURNING ticket_id", (str(p.ticket_id), _us(p), status, p.payment_method, n, now_us)
                         ) is not None:
                self._places[p.ticket_id] = QueuePlace(status, n - (head if head is not None else top + 1))


def _us(payment: PaymentToQueue) -> int:
    return to_us(payment.reserved_at)
