"""The projector: the event log, in order and in batches, into read tables, exactly once.

For each batch it opens ONE read-table transaction, applies every event to
every projection that has not yet seen it, and moves each projection's
position with a compare-and-set in the same transaction. A crash anywhere
rolls the whole batch back; a second projector racing on the same projection
loses the compare-and-set and rolls back. So every event is applied exactly
once, without dedupe tables.

`rebuild(name)` replays the whole log into fresh copies of a projection's
tables, then, in one transaction that also applies whatever arrived
meanwhile, swaps them in and sets the position.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from store.db import Database, Tx
from projections.light_events import event_kind

log = logging.getLogger(__name__)


class Projection(Protocol):
    name: str

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        """(table, CREATE TABLE sql, [CREATE INDEX sql]) for each table, names suffixed."""

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        """Apply one event; must only write this projection's tables."""

    # Optional: `handles`, the event class names (`Ticket.Paid`) the projection reacts to.
    # Events no projection of a batch handles are not decoded at all; without it, all are.


@dataclass(frozen=True)
class Status:
    name: str
    position: int
    head: int

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
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.db = db
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size
        self._on_batch = on_batch
        self._cond = threading.Condition()
        self._seen = 0
        # Event-loop waiters (position, loop, future), woken from the thread that sees progress.
        self._async_waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        # Rebuilds of several projections replay each in its own process when set
        # (names, suffix, batch_size) -> {name: position}; projections/parallel_replay.py.
        self.replayer: Callable[[Sequence[str], str, int], dict[str, int]] | None = None
        self.parallel_min_events = 50_000  # below this, spawning processes costs more than it saves

    # --- positions -------------------------------------------------------------

    def positions(self) -> dict[str, int]:
        rows = self.db.query("SELECT name, position FROM projection_positions")
        found = {r["name"]: int(r["position"]) for r in rows}
        return {name: found.get(name, 0) for name in self.projections}

    def status(self) -> list[Status]:
        head = self.recorder.max_notification_id() or 0
        return [Status(name, pos, head) for name, pos in self.positions().items()]

    def position(self) -> int:
        """The position every projection has reached."""
        return min(self.positions().values(), default=0)

    # --- catching up -----------------------------------------------------------

    def run_once(self) -> int:
        """Apply one batch; returns how many notifications it covered.

        The projections' position rows are locked first, inside the batch's
        transaction, so projectors in several processes take turns instead of
        applying the same events and colliding.
        """
        caught_up = self.position()
        if caught_up >= (self.recorder.max_notification_id() or 0):  # idle: no lock taken
            self._seen_at_least(caught_up)
            return 0
        with collector_paused(), self.db.transaction() as tx:
            positions = self._lock_positions(tx)
            start = min(positions.values(), default=0)
            notifications = self.recorder.select_notifications(start=start + 1, limit=self.batch_size)
            if not notifications:
                self._seen_at_least(start)
                return 0
            events = self._decode(notifications, self.projections.values())
            last = notifications[-1].id
            for name, projection in self.projections.items():
                old = positions[name]
                if old >= last:  # ahead of this batch (a rebuild swapped it in further on): never go back
                    continue
                self._apply(projection, tx, [(p, e) for p, e in events if p > old], "")
                self._advance(tx, name, old, last)
            if tx.dialect == "postgresql":  # delivered on commit: followers wake at once
                tx.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(last)))
        self._notify(last)
        return len(notifications)

    def _decode(self, notifications: Sequence[Any], projections: Iterable[Projection]) -> list[tuple[int, Any]]:
        """(position, domain event) for the notifications some projection handles.

        Decoding is most of what an ignored event costs (a ledger rebuild skips every
        reservation). The kind comes from the stored topic (`event_kind`).
        """
        wanted: set[str] = set()
        for projection in projections:
            handles = getattr(projection, "handles", None)
            if handles is None:
                return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]
            wanted.update(handles)
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications if event_kind(n.topic) in wanted]

    @staticmethod
    def _apply(projection: Projection, tx: Tx, events: list[tuple[int, Any]], suffix: str) -> None:
        """Set-based when the projection can (apply_batch), one event at a time otherwise."""
        if not events:
            return
        batch = getattr(projection, "apply_batch", None)
        if batch is not None:
            batch(tx, events, suffix)
            return
        for position, event in events:
            projection.apply(tx, event, position, suffix)

    def _lock_positions(self, tx: Tx) -> dict[str, int]:
        for name in sorted(self.projections):
            tx.execute(
                "INSERT INTO projection_positions (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING", (name,)
            )
        lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""
        rows = tx.all("SELECT name, position FROM projection_positions ORDER BY name" + lock)
        found = {r["name"]: int(r["position"]) for r in rows}
        return {name: found[name] for name in self.projections}

    def _advance(self, tx: Tx, name: str, old: int, new: int) -> None:
        row = tx.one(
            "UPDATE projection_positions SET position = %s WHERE name = %s AND position = %s RETURNING position",
            (new, name, old),
        )
        if row is None:  # Safeguard, should never happen while the rows are locked.
            raise ConcurrentProjectorError(f"projection {name} moved past {old} meanwhile; batch rolled back")

    def catch_up(self, until: int | None = None) -> int:
        """Apply batches until the log is exhausted (or `until` is reached). Safe beside a
        running projector: the position row locks make them take turns."""
        total = 0
        while True:
            n = self.run_once()
            total += n
            if n == 0 or (until is not None and self.position() >= until):
                return total

    # --- waiting (read-your-writes) ----------------------------------------------

    def _notify(self, position: int) -> None:
        self._seen_at_least(position)
        if self._on_batch:
            self._on_batch(position)

    def _seen_at_least(self, position: int) -> None:
        with self._cond:
            if position <= self._seen:
                return
            self._seen = position
            self._cond.notify_all()
            if not self._async_waiters:
                return
            due = [w for w in self._async_waiters if w[0] <= position]
            self._async_waiters = [w for w in self._async_waiters if w[0] > position]
        for _, loop, future in due:
            loop.call_soon_threadsafe(_resolve, future)

    def poke(self) -> None:
        """A command committed: catch up now rather than at the next poll."""
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
        with self._cond:
            while self._seen < position:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    async def wait_async(self, position: int | None, timeout: float = 5.0) -> bool:
        """`wait` for an event loop: no thread is parked while the projector catches up."""
        if not position or self._seen >= position:
            return True
        if self._thread is None:
            return await asyncio.get_running_loop().run_in_executor(None, self.wait, position, timeout)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (position, loop, future)
        with self._cond:
            if self._seen >= position:
                return True
            self._async_waiters.append(waiter)
        self.poke()
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._cond:
                if waiter in self._async_waiters:
                    self._async_waiters.remove(waiter)

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

    def _listen(self, poll_interval: float) -> None:
        import psycopg

        with psycopg.connect(self.db.conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._seen_at_least(self.position())
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=max(poll_interval, 0.5), stop_after=1):
                    if notice.payload.isdigit():
                        self._seen_at_least(int(notice.payload))

    def start(self, poll_interval: float = 0.05) -> None:
        """Run in a background thread of this process (the embedded default)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, args=(poll_interval,), name="projector", daemon=True)
        self._thread.start()

    def run_forever(self, poll_interval: float = 0.05) -> None:
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
                self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- rebuilding --------------------------------------------------------------

    def rebuild(self, *names: str, batch_size: int = 5000) -> int:
        """Replay the whole log into fresh tables, then swap them in atomically.

        Several projections rebuild in one pass over the log (each event is
        decoded once), or, with a `replayer` (PostgreSQL: one process per
        projection, projections/parallel_replay.py) and a log of at least
        `parallel_min_events`, each in its own process at once. The swap
        transaction locks the projections' position rows, applies whatever the
        live projector committed meanwhile, and renames the fresh tables into place.
        """
        projections = [self.projections[name] for name in names]
        suffix = "__rebuild"
        with self.db.transaction() as tx:
            for projection in projections:
                for table, create, _ in projection.tables(suffix):
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
                    tx.execute(create)
        head = self.recorder.max_notification_id() or 0
        if self.replayer is not None and len(names) > 1 and head >= self.parallel_min_events:
            positions = self.replayer(names, suffix, batch_size)
        else:
            position = self.replay(names, suffix, batch_size)
            positions = {name: position for name in names}
        with self.db.transaction() as tx:
            # Hold the live projector off: it cannot move these positions until we commit.
            live = {r["name"]: int(r["position"]) for r in tx.all(
                "SELECT name, position FROM projection_positions ORDER BY name" + self._for_update(tx))}
            target = max(list(positions.values()) + [live.get(name, 0) for name in names])
            position = min(positions.values())
            while position < target:
                tail = self.recorder.select_notifications(start=position + 1, limit=batch_size, stop=target)
                if not tail:
                    break
                events = self._decode(tail, projections)
                for name, projection in zip(names, projections, strict=True):
                    self._apply(projection, tx, [(p, e) for p, e in events if p > positions[name]], suffix)
                position = tail[-1].id
            for name, projection in zip(names, projections, strict=True):
                self._swap(tx, projection, suffix)
                tx.execute("INSERT INTO projection_positions (name, position) VALUES (%s, %s)"
                           " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                           (projection.name, max(position, positions[name])))
        return max([position, *positions.values()])

    def replay(self, names: Sequence[str], suffix: str, batch_size: int = 5000) -> int:
        """Apply the whole log to the named projections' `suffix` tables; returns the last position.

        On PostgreSQL the tables' secondary indexes are built once the rows are in (one sort
        each, instead of a B-tree insert per row); the swap renames them into place. So are
        the primary keys of the tables a projection only ever appends to (`append_only`):
        nothing reads them during a replay, and a duplicate still fails the rebuild, at the end.
        """
        projections = [self.projections[name] for name in names]
        pg = self.db.dialect == "postgresql"
        deferred = self._drop_keys(projections, suffix) if pg else []

        def read(start: int) -> tuple[Sequence[Any], list[tuple[int, Any]]]:
            notifications = self.recorder.select_notifications(start=start, limit=batch_size)
            return notifications, self._decode(notifications, projections)

        # The next batch is read and decoded while this one is written: the writes
        # mostly wait on the database, which releases the interpreter to the reader.
        # The collector stays paused for the whole replay, not per batch: resumed between
        # batches, it walked the batch the reader was decoding, every time, and found no
        # garbage (measured: 87 young collections, 0.6 s of a 13 s rebuild, 0 objects freed).
        position = 0
        with collector_paused(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-reader") as reader:
            ahead = reader.submit(read, 1)
            while True:
                notifications, events = ahead.result()
                if not notifications:
                    break
                position = notifications[-1].id
                ahead = reader.submit(read, position + 1)
                with self.db.transaction() as tx:
                    for projection in projections:
                        self._apply(projection, tx, events, suffix)
        if pg:
            with self.db.transaction() as tx:
                for table, constraint, definition in deferred:
                    tx.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {definition}")
                for projection in projections:
                    for _, _, indexes in projection.tables(suffix):
                        for index in indexes:
                            tx.execute(index)
        return position

    def _drop_keys(self, projections: Sequence[Projection], suffix: str) -> list[tuple[str, str, str]]:
        """Drop the primary keys of the fresh append-only tables (PostgreSQL); what re-adds them."""
        dropped = []
        with self.db.transaction() as tx:
            for projection in projections:
                for table in sorted(getattr(projection, "append_only", ())):
                    key = tx.one("SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
                                 " WHERE conrelid = %s::regclass AND contype = 'p'", (table + suffix,))
                    if key is not None:
                        tx.execute(f"ALTER TABLE {table + suffix} DROP CONSTRAINT {key['conname']}")
                        dropped.append((table + suffix, key["conname"], key["definition"]))
        return dropped

    @staticmethod
    def _swap(tx: Tx, projection: Projection, suffix: str) -> None:
        for (table, _, indexes), (fresh, _, fresh_indexes) in zip(projection.tables(), projection.tables(suffix), strict=True):
            tx.execute(f"DROP TABLE {table}")
            tx.execute(f"ALTER TABLE {fresh} RENAME TO {table}")
            if tx.dialect == "postgresql":  # built by replay(); their names lose the suffix
                for row in tx.all("SELECT indexname FROM pg_indexes WHERE tablename = %s", (table,)):
                    if suffix in row["indexname"]:
                        tx.execute(f"ALTER INDEX {row['indexname']} RENAME TO {row['indexname'].replace(suffix, '')}")
            else:
                for fresh_index, index in zip(fresh_indexes, indexes, strict=True):
                    tx.execute(f"DROP INDEX IF EXISTS {index_name(fresh_index)}")
                    tx.execute(index)

    @staticmethod
    def _for_update(tx: Tx) -> str:
        return " FOR UPDATE" if tx.dialect == "postgresql" else ""


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is applied (or a whole replay runs).

    A batch allocates a few hundred thousand short-lived, acyclic objects (decoded
    events, rows, postings). While they live, every few hundred allocations the
    collector walks the young heap again, and its older generations now and then:
    measured, a fifth to a third of a ledger rebuild. Reference counting still
    frees them when the batch ends, and the collector runs as usual after it.
    Process-wide: a concurrent thread only loses collection for that long (for a
    replay, the rebuild's duration; it makes no cyclic garbage to speak of).
    """
    if not gc.isenabled():  # already paused (another batch, or the host turned it off)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def index_name(create_index_sql: str) -> str:
    """The index name of a `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON ...` statement."""
    words = create_index_sql.split()
    return words[words.index("ON") - 1]


CHANNEL = "boxoffice_projections"


class ConcurrentProjectorError(Exception):
    """Another projector advanced the same projection; this batch was rolled back."""
