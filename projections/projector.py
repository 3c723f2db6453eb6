"""The projector: the event log, in order and in batches, into read tables, exactly once.

For each batch it opens ONE read-table transaction, applies every event to
every projection that has not yet seen it, and moves each projection's
position with a compare-and-set in the same transaction. A crash anywhere
rolls the whole batch back; a second projector racing on the same projection
loses the compare-and-set and rolls back. So every event is applied exactly
once, without dedupe tables.

One projection that cannot apply an event stops nobody else: the batch is
then applied to each projection alone (projections/isolation.py); the healthy
ones advance, the failing one stays right before the event, recorded in
`projection_faults` (projections/faults.py) and retried with backoff, never
past it. `/readyz` and `/metrics` read that record in every process.

`rebuild(name)` replays the whole log into fresh copies of a projection's
tables, then, in one transaction that also applies whatever arrived
meanwhile, swaps them in and sets the position (projections/rebuild.py).
The batch steps and the position rows are in projections/batches.py; the
read-your-writes waits in projections/waiting.py. Imports store/ and this
package only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from domain.clock import Clock, SystemClock
from store.db import Database
from store.run_lock import DatabaseLock, LockTimeout
from store.timecodes import to_us
from projections.batches import (
    ConcurrentProjectorError,
    Projection,
    advance,
    apply,
    collector_paused,
    decode,
    lock_positions,
)
from projections.faults import Fault, ProjectionStuckError, read_state
from projections.isolation import apply_alone
from projections.light_events import EventDecoder
from projections.rebuild import BATCH as REPLAY_BATCH, InProcesses, Rebuilder
from projections.waiting import Progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    name: str
    position: int
    head: int
    fault: Fault | None = None  # it cannot apply the event after `position` (projections/faults.py)
    stuck: bool = False  # ...and has failed there `stuck_after` times in a row

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Projector:
    def __init__(
        self,
        recorder: Any,
        mapper: Any,
        db: Database,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        on_batch: Callable[[int], None] | None = None,
        clock: Clock | None = None,
        stuck_after: int = 3,
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.decoder = EventDecoder(mapper)  # the mapper's events, decoded for less (projections/light_events.py)
        self.db = db
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size
        self._on_batch = on_batch
        self.clock = clock or SystemClock()  # dates failures and times their retries (projections/faults.py)
        self.stuck_after = stuck_after  # failures in a row at one position that make a projection stuck
        self._turn = threading.Lock()  # one batch at a time in this process (the runner's, a catch_up's)
        self.progress = Progress()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._wanted = threading.Event()  # a reader waits (poke): cuts a hot pause short
        self.rebuilder = Rebuilder(recorder, mapper, db, self.projections)
        # Rebuilds of several projections replay each in its own process when set
        # (names, suffix, batch_size) -> {name: position}; projections/parallel_replay.py.
        self.replayer: InProcesses | None = None
        self.parallel_min_events = 50_000  # below this, spawning processes costs more than it saves

    # --- positions -------------------------------------------------------------

    def positions(self) -> dict[str, int]:
        return {name: position for name, (position, _) in self._state().items()}

    def status(self) -> list[Status]:
        state = self._state()
        head = self.recorder.max_notification_id() or 0
        return [Status(name, pos, head, fault, fault is not None and fault.stuck(self.stuck_after))
                for name, (pos, fault) in state.items()]

    def position(self) -> int:
        """The position every projection has reached, but the stuck ones: a read waits for the
        projections that can move, not for one that cannot (/readyz names it)."""
        return self._reached(self._state())

    def _state(self) -> dict[str, tuple[int, Fault | None]]:
        return read_state(self.db, self.projections)

    def _reached(self, state: dict[str, tuple[int, Fault | None]], moved: int | None = None) -> int:
        """The least position of the projections that are not stuck (`moved`: where those without a
        fault are now); of all of them when every one is."""
        live = [moved if moved is not None and fault is None else pos for pos, fault in state.values()
                if fault is None or not fault.stuck(self.stuck_after)]
        return min(live or [pos for pos, _ in state.values()], default=0)

    # --- catching up -----------------------------------------------------------

    def run_once(self) -> int:
        """Apply one batch; returns how many notifications it covered.

        The projections that are not failing take one batch together (`_batch`); if it fails,
        each takes it alone, so that one failing projection stops no other (`_alone`). A failing
        projection is retried alone, once its backoff is over (projections/faults.py).
        """
        with self._turn:
            state = self._state()
            head = self.recorder.max_notification_id() or 0
            now_us = to_us(self.clock.now())
            healthy = [name for name, (_, fault) in state.items() if fault is None]
            due = [name for name, (_, fault) in state.items() if fault is not None and fault.retry_at_us() <= now_us]
            behind = [name for name in healthy if state[name][0] < head]
            covered = 0
            if behind:
                try:
                    covered, last = self._batch(healthy, self._reached(state, moved=head))
                    self._notify(self._reached(state, moved=last))
                except ConcurrentProjectorError:
                    raise
                except Exception:
                    log.warning("a projector batch failed; applying it to each projection alone", exc_info=True)
                    due = sorted(set(due) | set(behind))
            elif not due:  # idle: no lock taken
                self._seen_at_least(self._reached(state))
                return 0
            if due:
                covered = max([covered, *(self._alone(name, now_us) for name in due)])
                self._notify(self.position())
            return covered

    def _batch(self, names: Sequence[str], others: int) -> tuple[int, int]:
        """One batch for `names` in one transaction: (notifications covered, the last one's position).

        The projections' position rows are locked first, inside the batch's transaction, so
        projectors in several processes take turns instead of applying the same events and
        colliding. `others`: the least position of the other projections a read waits for.
        """
        projections = [self.projections[name] for name in names]
        with collector_paused(), self.db.transaction() as tx:
            positions = lock_positions(tx, names)
            start = min(positions.values(), default=0)
            notifications = self.recorder.select_notifications(start=start + 1, limit=self.batch_size)
            if not notifications:
                return 0, start
            events = decode(self.decoder, notifications, projections)
            last = notifications[-1].id
            for projection in projections:
                old = positions[projection.name]
                if old >= last:  # ahead of this batch (a rebuild swapped it in further on): never go back
                    continue
                apply(projection, tx, [(p, e) for p, e in events if p > old], "")
                advance(tx, projection.name, old, last)
            if tx.dialect == "postgresql":  # delivered on commit: followers wake at once
                tx.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(min(last, others))))
        return len(notifications), last

    def _alone(self, name: str, now_us: int) -> int:
        """One batch for `name` alone (projections/isolation.py): it advances up to the event it
        cannot apply, if any, and that failure is recorded."""
        covered, fault, error = apply_alone(self.db, self.recorder, self.decoder, self.projections[name],
                                            self.batch_size, now_us)
        if fault is not None:
            stuck = " STUCK:" if fault.stuck(self.stuck_after) else ""
            log.error("projection%s %s; retrying with backoff, never past it", stuck, fault.detail,
                      exc_info=error if fault.attempts == 1 else None)
        return covered

    def catch_up(self, until: int | None = None) -> int:
        """Apply batches until the log is exhausted (or `until` is reached). Safe beside a
        running projector: the position row locks make them take turns.

        Raises ProjectionStuckError when a projection that cannot apply an event is left behind
        (`until`, or the log's head): the caller wanted it caught up, and it is not."""
        total = 0
        while True:
            n = self.run_once()
            total += n
            if n == 0 or (until is not None and self.position() >= until):
                break
        behind = [s.fault for s in self.status() if s.fault is not None and s.position < (until or s.head)]
        if behind:
            raise ProjectionStuckError(behind)
        return total

    # --- waiting (read-your-writes) ----------------------------------------------

    def _notify(self, position: int) -> None:
        self._seen_at_least(position)
        if self._on_batch:
            self._on_batch(position)

    def _seen_at_least(self, position: int) -> None:
        self.progress.seen_at_least(position)

    def poke(self) -> None:
        """A reader waits for a position: catch up now, even while hot (see run_forever)."""
        self._wake.set()
        self._wanted.set()

    def nudge(self) -> None:
        """A command committed: a quiet projector catches up now; a hot one at its next batch."""
        self._wake.set()

    def wait(self, position: int | None, timeout: float = 5.0) -> bool:
        """Block until every projection has reached `position` (or the timeout).

        Progress made by a projector in another process is seen too: the
        in-process runner reports the position it finds on every idle poll.
        """
        if not position:
            return True
        deadline = time.monotonic() + timeout
        if self._thread is None:  # no in-process runner: poll the table
            while self.position() < position:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.01)
            return True
        self.poke()
        return self.progress.wait(position, deadline)

    async def wait_async(self, position: int | None, timeout: float = 5.0) -> bool:
        """`wait` for an event loop: no thread is parked while the projector catches up."""
        if not position or self.progress.seen >= position:
            return True
        if self._thread is None:
            return await asyncio.get_running_loop().run_in_executor(None, self.wait, position, timeout)
        return await self.progress.wait_async(position, timeout, self.poke)

    # --- running ---------------------------------------------------------------

    def follow(self, poll_interval: float = 0.02) -> None:
        """Only watch the position another process's projector reaches (worker mode),
        so read-your-writes waits share one watcher instead of querying each.

        On PostgreSQL the projector NOTIFYs its position with every commit and the
        watcher LISTENs (waking at once); polling remains as the fallback.
        """
        def run() -> None:
            while not self._stop.is_set():
                try:
                    self._seen_at_least(self.position())
                    if self.db.dialect == "postgresql":
                        self._listen(poll_interval)
                    else:
                        self._stop.wait(poll_interval)
                except Exception:
                    log.exception("following projection positions failed; retrying")
                    self._stop.wait(1.0)

        self._stop.clear()
        self._thread = threading.Thread(target=run, name="projector-follower", daemon=True)
        self._thread.start()

    def _listen(self, poll_interval: float, seconds: float | None = None) -> None:
        """Report the projector's positions (its NOTIFYs, and a read at the start) until stopped,
        or for `seconds`."""
        import psycopg

        deadline = None if seconds is None else time.monotonic() + seconds
        with psycopg.connect(self.db.conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._seen_at_least(self.position())
            while not self._stop.is_set():
                wait = max(poll_interval, 0.5)
                if deadline is not None:
                    if (left := deadline - time.monotonic()) <= 0:
                        return
                    wait = min(left, wait)
                for notice in conn.notifies(timeout=wait, stop_after=1):
                    if notice.payload.isdigit():
                        self._seen_at_least(int(notice.payload))

    def start(self, poll_interval: float = 0.05) -> None:
        """Run in a background thread of this process (the embedded default). On PostgreSQL, where
        several API processes each start one, one of them leads (see `_lead_or_follow`)."""
        self._stop.clear()
        target = self._lead_or_follow if self.db.dialect == "postgresql" else self.run_forever
        self._thread = threading.Thread(target=target, args=(poll_interval,), name="projector", daemon=True)
        self._thread.start()

    def _lead_or_follow(self, poll_interval: float) -> None:
        """Project while this process holds the projector's leader lock (a session advisory lock,
        store/run_lock.py); else follow the leader's positions (as API processes do in the worker
        layout) and try again every LEAD_RETRY seconds. Two projectors taking turns on the position
        rows each applied half-size batches (a batch's fixed cost twice as often) and contended for
        their processes' GIL with the sale; one leader applies a poll's worth of events a batch. A
        leader that dies, however it dies, drops its session and the lock with it: a follower takes
        over within LEAD_RETRY."""
        lock = DatabaseLock(self.db.url, LEAD_LOCK)
        while not self._stop.is_set():
            try:
                with lock.held(timeout=0.001):
                    self.run_forever(poll_interval)  # until stopped
                return
            except LockTimeout:
                self._follow(LEAD_RETRY, poll_interval)
            except Exception:
                log.exception("projector leadership failed; retrying")
                self._stop.wait(1.0)

    def _follow(self, seconds: float, poll_interval: float) -> None:
        try:
            self._listen(poll_interval, seconds)
        except Exception:
            log.exception("following the leading projector failed; retrying")
            self._stop.wait(1.0)

    def run_forever(self, poll_interval: float = 0.05) -> None:
        """Batches until stopped. Quiet (nothing new): wait for the poll or a commit's nudge. Hot (a
        batch found events but not a full batch: a sale appending all the time): pause for the poll
        interval before the next batch, nudges or not, so that a batch takes a poll's worth of events
        instead of one commit's (a batch's fixed cost, six projections' positions and statements,
        was most of a sale's projection); a reader's poke cuts the pause short. A full batch (a
        backlog) goes on at once."""
        while not self._stop.is_set():
            try:
                n = self.run_once()
            except ConcurrentProjectorError as exc:
                log.info("%s", exc)
                n = 0
            except Exception:
                log.exception("projector batch failed; retrying")
                self._stop.wait(1.0)
                continue
            if n == 0:
                self._wake.wait(poll_interval)
            elif n < self.batch_size:
                self._wanted.wait(poll_interval)
            self._wake.clear()
            self._wanted.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- rebuilding --------------------------------------------------------------

    def rebuild(self, *names: str, batch_size: int = REPLAY_BATCH) -> int:
        """Replay the whole log into fresh tables, then swap them in atomically (projections/rebuild.py)."""
        return self.rebuilder.rebuild(names, batch_size, self.replayer, self.parallel_min_events)

    def replay(self, names: Sequence[str], suffix: str, batch_size: int = REPLAY_BATCH) -> int:
        """Apply the whole log to the named projections' `suffix` tables; returns the last position."""
        return self.rebuilder.replay(names, suffix, batch_size)


CHANNEL = "boxoffice_projections"
LEAD_LOCK = "boxoffice-projector"  # the in-process projectors' leader lock (store/run_lock.py)
LEAD_RETRY = 1.0  # seconds a follower waits before trying to lead again
