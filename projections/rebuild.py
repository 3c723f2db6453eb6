"""Rebuild projections from zero: replay the whole log into fresh tables, then swap them in atomically.

Several projections rebuild in one pass over the log (each event is decoded
once), or, given `in_processes` (PostgreSQL: one process per projection,
projections/parallel_replay.py) and a log of at least `parallel_min_events`,
each in its own process at once. The swap transaction locks the projections'
position rows, applies whatever the live projector committed meanwhile, and
renames the fresh tables into place. Imports store/ and this package only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from store.db import Database, Tx
from projections.batches import Projection, apply, collector_paused, decode_rows, for_update, set_position
from projections.faults import clear_fault
from projections.light_events import EventDecoder, event_kind

SUFFIX = "__rebuild"
# Events per batch of a replay: each batch costs a transaction, its statements and their round trips.
# 20,000 against 5,000: the same Python CPU, about a tenth less of PostgreSQL's (bench/RESULTS.md).
BATCH = 20_000
# Index builds at once at the end of a replay (projections/rebuild.py's `_build_indexes`).
INDEX_BUILDS = 3
CONNECTION_WAIT = 120.0  # seconds a builder waits for its connection
# (names, suffix, batch_size) -> {name: last position}: replays each named projection in its own process.
InProcesses = Callable[[Sequence[str], str, int], dict[str, int]]


class Rebuilder:
    def __init__(self, recorder: Any, mapper: Any, db: Database, projections: Mapping[str, Projection]) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.decoder = EventDecoder(mapper)  # the mapper's events, decoded for less (projections/light_events.py)
        self.db = db
        self.projections = projections

    def rebuild(self, names: Sequence[str], batch_size: int, in_processes: InProcesses | None,
                parallel_min_events: int) -> int:
        projections = [self.projections[name] for name in names]
        with self.db.transaction() as tx:
            for projection in projections:
                for table, create, _ in projection.tables(SUFFIX):
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
                    tx.execute(create)
        head = self.recorder.max_notification_id() or 0
        if in_processes is not None and len(names) > 1 and head >= parallel_min_events:
            positions = in_processes(names, SUFFIX, batch_size)
        else:
            position = self.replay(names, SUFFIX, batch_size)
            positions = {name: position for name in names}
        with self.db.transaction() as tx:
            # Hold the live projector off: it cannot move these positions until we commit.
            live = {r["name"]: int(r["position"]) for r in tx.all(
                "SELECT name, position FROM projection_positions ORDER BY name" + for_update(tx))}
            target = max(list(positions.values()) + [live.get(name, 0) for name in names])
            position = min(positions.values())
            while position < target:
                tail = self._rows(position + 1, batch_size, target)
                if not tail:
                    break
                events = decode_rows(self.decoder, tail, projections)
                for name, projection in zip(names, projections, strict=True):
                    apply(projection, tx, [(p, e) for p, e in events if p > positions[name]], SUFFIX)
                position = tail[-1][0]
            for name, projection in zip(names, projections, strict=True):
                _swap(tx, projection, SUFFIX)
                set_position(tx, projection.name, max(position, positions[name]))
                clear_fault(tx, projection.name)  # replayed past whatever it could not apply before
        return max([position, *positions.values()])

    def replay(self, names: Sequence[str], suffix: str, batch_size: int = BATCH) -> int:
        """Apply the whole log to the named projections' `suffix` tables; returns the last position.

        On PostgreSQL the tables' secondary indexes are built once the rows are in (one sort
        each, instead of a B-tree insert per row); the swap renames them into place. So are
        the primary keys of the tables a projection only ever appends to (`append_only`):
        nothing reads them during a replay, and a duplicate still fails the rebuild, at the end.
        """
        projections = [self.projections[name] for name in names]
        pg = self.db.dialect == "postgresql"
        deferred = self._drop_keys(projections, suffix) if pg else []

        topics, through = self._topics(projections)

        def read(start: int) -> tuple[int | None, list[tuple[int, Any]]]:
            """(the position read up to, the events found there), or None at the end of the log.

            Up to `through`, only the topics these projections handle are fetched (when they
            handle fewer than the log holds), a window of positions at a time: bounded, so no
            plan can scan the rest of the log to find a batch's worth. Past it, everything."""
            if start <= through:
                stop = min(through, start + 2 * batch_size - 1) if topics else through
                rows = self._rows(start, stop - start + 1, stop, topics) if topics else []
                return stop, decode_rows(self.decoder, rows, projections)
            rows = self._rows(start, batch_size)
            if not rows:
                return None, []
            return rows[-1][0], decode_rows(self.decoder, rows, projections)

        # The next batch is read and decoded while this one is written: the writes
        # mostly wait on the database, which releases the interpreter to the reader.
        # The collector stays paused for the whole replay, not per batch: resumed between
        # batches, it walked the batch the reader was decoding, every time, and found no
        # garbage (measured: 87 young collections, 0.6 s of a 13 s rebuild, 0 objects freed).
        position = 0
        with collector_paused(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-reader") as reader:
            ahead = reader.submit(read, 1)
            while True:
                last, events = ahead.result()
                if last is None:
                    break
                position = last
                ahead = reader.submit(read, position + 1)
                if events:
                    with self.db.transaction() as tx:
                        for projection in projections:
                            apply(projection, tx, events, suffix)
        if pg:
            self._build_indexes(projections, suffix, deferred)
        return position

    def _build_indexes(self, projections: Sequence[Projection], suffix: str,
                       deferred: Sequence[tuple[str, str, str]]) -> None:
        """The fresh tables' statistics, keys and indexes, once their rows are in (PostgreSQL).

        Each is built on a connection of its own, `INDEX_BUILDS` at once, the largest tables'
        first: one after the other, the last builds of a replay (a sort each, most of it on one
        core) left the other core idle at the end of the rebuild. A dropped primary key comes
        back as its unique index, built like the others, then attached (`PRIMARY KEY USING
        INDEX`: a change to the catalog only); an `ALTER TABLE ... ADD PRIMARY KEY` would hold
        the table against every other build on it. A duplicate still fails the rebuild.
        """
        attach = [(table, constraint) for table, constraint, definition in deferred
                  if definition.startswith("PRIMARY KEY (")]
        statements = [f"CREATE UNIQUE INDEX {constraint} ON {table} {definition.removeprefix('PRIMARY KEY ')}"
                      for table, constraint, definition in deferred if (table, constraint) in attach]
        statements += [index for projection in projections for _, _, indexes in projection.tables(suffix)
                       for index in indexes]
        with self.db.transaction() as tx:
            size = {table: int(tx.one("SELECT pg_relation_size(%s::regclass) AS n", (table,))["n"])  # type: ignore[index]
                    for table in {_indexed_table(statement) for statement in statements}}
        statements.sort(key=lambda statement: -size[_indexed_table(statement)])

        def build(statement: str) -> None:
            # Each builder opens a connection of its own, once; on a busy machine that has taken more
            # than the pool's default 5 s (a rebuild failed so at load 30), and a rebuild can wait.
            with self.db.transaction(wait=CONNECTION_WAIT) as tx:
                tx.execute(statement)

        # Statistics for the fresh tables before they go live (a rename keeps them), taken by each
        # replay (in its process, beside the others) before the builds (ANALYZE and CREATE INDEX on one
        # table wait for each other). Without them the planner guessed: at 3M events an entries page was
        # planned for 300,000 postings instead of 500, parallel and JIT-compiled, 100-400 ms for a page.
        analyses = [f"ANALYZE {table}" for projection in projections for table, _, _ in projection.tables(suffix)]
        with ThreadPoolExecutor(max_workers=INDEX_BUILDS, thread_name_prefix="replay-index") as builders:
            for done in [builders.submit(build, statement) for statement in analyses]:
                done.result()
            for built in [builders.submit(build, statement) for statement in statements]:
                built.result()
        with self.db.transaction() as tx:
            for table, constraint, definition in deferred:
                if (table, constraint) in attach:
                    tx.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} PRIMARY KEY USING INDEX {constraint}")
                else:  # Safeguard: a key of another shape is added as it was dropped.
                    tx.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {definition}")

    def _rows(self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()) -> Sequence[tuple[Any, ...]]:
        """Stored events from `start` as plain (id, originator_id, originator_version, topic, state) rows."""
        plain = getattr(self.recorder, "select_notification_rows", None)
        if plain is not None:
            return plain(start, limit, stop, topics)  # type: ignore[no-any-return]
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in self.recorder.select_notifications(start=start, limit=limit, stop=stop, topics=topics)]

    def _topics(self, projections: Sequence[Projection]) -> tuple[list[str], int]:
        """(the stored topics of the events `projections` handle, the position they hold for), or ([], 0)
        to read every event: the recorder cannot list its topics, or every topic it holds is wanted.

        A projection that handles a few kinds (the ledger: sales, refunds, disputes, payouts) then
        never fetches the rest of the log (the catch-up bench: half of it, every reservation). The
        topics are listed after the position is taken, so every event up to it has its topic
        listed: the recorder commits events in the order of their positions (its table lock).
        A topic this code cannot resolve is fetched, and decoding it fails as before."""
        listed = getattr(self.recorder, "stored_topics", None)
        if listed is None:
            return [], 0
        through = self.recorder.max_notification_id() or 0
        wanted = {kind for projection in projections for kind in projection.handles}
        stored = listed()
        topics = [topic for topic in stored if _kind(topic) in wanted | {None}]
        if len(topics) == len(stored):
            return [], 0
        return topics, through

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


def _kind(topic: str) -> str | None:
    """The event kind of a stored topic; None when it cannot be resolved (then it is fetched, and decoding says why)."""
    try:
        return event_kind(topic)
    except Exception:  # a topic this code no longer knows
        return None


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


def _indexed_table(create_index_sql: str) -> str:
    """The table of a `CREATE [UNIQUE] INDEX name ON table ...` statement."""
    words = create_index_sql.split()
    return words[words.index("ON") + 1]


def index_name(create_index_sql: str) -> str:
    """The index name of a `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON ...` statement."""
    words = create_index_sql.split()
    return words[words.index("ON") - 1]
