"""Reactors: follow the event log with a tracked position and act outside.

A reactor has two halves, so that a slow or failing outside party never holds
the log back and no event is ever acted on twice or lost:

- `enqueue_once` reads the next batch of the log after the reactor's position
  and writes what must be done (outbox rows) *and* the new position in ONE
  transaction, with a compare-and-set on the position row locked first. A crash
  rolls both back; reactors in several processes take turns on the row lock.
  So each event is turned into work exactly once (exactly-once dispatch).
- `send_due` takes due outbox rows (claimed with a short lease so two processes
  do not send the same row at once), calls out, and records the outcome; a
  failure is retried later with backoff (at-least-once delivery: a crash after
  the call and before recording it sends again; receivers deduplicate).

`ReactorRunner` runs both halves in a background thread: inline in each API
process (embedded default) or in `boxoffice reactors run` (worker processes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from projections.light_events import event_kind
from store.db import Database, Tx

log = logging.getLogger(__name__)


class LogReactor:
    """Base of the reactors: the tracked position and the enqueue half."""

    name = "reactor"
    handles: frozenset[str] = frozenset()

    def __init__(self, recorder: Any, mapper: Any, db: Database, *, batch_size: int = 500) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.db = db
        self.batch_size = batch_size
        self.last_error: str | None = None
        self.more = False  # the last enqueue_once read a full batch: the log had more

    # --- the position ------------------------------------------------------------

    def start_at_head(self) -> None:
        """First start only: begin at the log's head rather than replaying history
        (a deployment that turns LiveKit on must not kick everyone ever refunded)."""
        head = self.recorder.max_notification_id() or 0
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO reactor_positions (name, position) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                       (self.name, head))

    def position(self) -> int:
        row = self.db.query_one("SELECT position FROM reactor_positions WHERE name = %s", (self.name,))
        return int(row["position"]) if row else 0

    def lag(self) -> int:
        return max((self.recorder.max_notification_id() or 0) - self.position(), 0)

    def _lock(self, tx: Tx) -> int:
        tx.execute("INSERT INTO reactor_positions (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
                   (self.name,))
        lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""
        row = tx.one("SELECT position FROM reactor_positions WHERE name = %s" + lock, (self.name,))
        return int(row["position"]) if row else 0

    # --- the enqueue half -----------------------------------------------------------

    def upper_bound(self, tx: Tx) -> int | None:
        """The last position this reactor may read now (None: the head)."""
        return None

    def interested(self, tx: Tx) -> bool:
        """False when no event could lead to work now (e.g. no webhook endpoint at all): the
        batch then only moves the position, without decoding a single event."""
        return True

    def react(self, tx: Tx, events: Sequence[tuple[int, Any]]) -> None:
        """Write the work for these (position, event) pairs; only this reactor's tables."""
        raise NotImplementedError

    def enqueue_once(self) -> int:
        """One batch of the log into outbox rows, with the position; how many notifications it covered.

        When nothing could lead to work (`interested` says no), the batch reads no event at all: the
        position moves straight to the head read before the check (or the upper bound), one UPDATE
        whatever the number of events passed over. In a flash sale with no webhook endpoint that is
        every batch, and reading thousands of events per second only to skip them cost each API
        process about as much as its admission index. `more` says whether a full batch was read
        (the log has more right now): the runner then goes on without waiting."""
        self.more = False
        head = self.recorder.max_notification_id() or 0
        if self.position() >= head:  # idle: no lock taken
            return 0
        with self.db.transaction() as tx:
            start = self._lock(tx)
            stop = self.upper_bound(tx)
            if stop is not None and stop <= start:
                return 0
            if not self.interested(tx):  # every event up to `head` was committed before this check
                last = head if stop is None else min(stop, head)
                if last <= start:
                    return 0
                self._move(tx, start, last)
                return last - start
            notifications = self.recorder.select_notifications(start=start + 1, limit=self.batch_size, stop=stop)
            if not notifications:
                return 0
            events = [(n.id, self.mapper.to_domain_event(n)) for n in notifications
                      if event_kind(n.topic) in self.handles]
            if events:
                self.react(tx, events)
            self._move(tx, start, notifications[-1].id)
        self.more = len(notifications) >= self.batch_size
        return len(notifications)

    def _move(self, tx: Tx, start: int, last: int) -> None:
        moved = tx.one("UPDATE reactor_positions SET position = %s WHERE name = %s AND position = %s"
                       " RETURNING position", (last, self.name, start))
        if moved is None:  # Safeguard, should never happen while the row is locked.
            raise RuntimeError(f"reactor {self.name} moved past {start} meanwhile; batch rolled back")

    def catch_up(self) -> int:
        total = 0
        while (n := self.enqueue_once()) > 0:
            total += n
        return total

    # --- the sending half -----------------------------------------------------------

    def send_due(self) -> int:
        """Send what is due; how many rows were tried."""
        return 0

    def status(self) -> dict[str, Any]:
        return {"position": self.position(), "lag": self.lag(), "last_error": self.last_error}


class ReactorRunner:
    """Runs reactors' two halves in one background thread until stopped."""

    def __init__(self, reactors: Sequence[LogReactor], poll_interval: float = 0.5) -> None:
        self.reactors = list(reactors)
        self.poll_interval = poll_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """Both halves of every reactor once; how many notifications and outbox rows they handled."""
        return self._round()[0]

    def _round(self) -> tuple[int, bool]:
        """(what run_once answers, whether to go on at once: a reactor read a full batch or sent)."""
        busy, again = 0, False
        for reactor in self.reactors:
            for half in (reactor.enqueue_once, reactor.send_due):
                try:
                    done = half()
                except Exception as exc:  # keep going; the next round retries, /readyz shows the error
                    reactor.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("reactor %s failed; retrying", reactor.name)
                    continue
                busy += done
                again = again or (done > 0 and (half == reactor.send_due or reactor.more))
        return busy, again

    def run_forever(self) -> None:
        """Rounds until stopped. A round that only caught up with the log (no backlog, nothing sent)
        waits for the poll interval: while a sale appends events every few milliseconds, a
        reactor follows at the poll's pace instead of reading the log after every commit."""
        while not self._stop.is_set():
            if not self._round()[1]:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="reactors", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
