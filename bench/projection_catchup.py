"""Benchmark 3: rebuild the ledger and access-list (catalog) projections over a large log.

Seeds 1,000,000 events (quick: 100,000): rooms, and tickets reserved and paid,
written straight into the event store with COPY (bench/seed.py). Then times
`Projector.rebuild` of the ledger, and of the catalog and the ledger together
(events/s; the catalog alone in full mode only), beside the library's own
`ProjectionRunner` (one transaction per event) doing the same ledger work on a
20,000-event slice (quick: 5,000) in the same run.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner

from api.bootstrap import build_services
from api.settings import Settings
from store.db import _PgTx
from store.env import eventsourcing_env
from bench.common import table, throwaway_database, write
from bench.seed import EventLog
from projections.ledger import LedgerProjection

LIB_SUFFIX = "__lib"


def seed(app: Any, url: str, events: int, tickets_per_room: int = 1000) -> int:
    """Append about `events` events: rooms and paid tickets (two events each), with COPY (bench/seed.py)."""
    log = EventLog(app)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    made, lifetime, rows = 0, 0, []
    while made < events:
        room, lifetime = log.room(f"creator-{made // 50_000}", now, timedelta(0), tickets_per_room, lifetime, f"l-{made}")
        rows += room
        made += len(room) - 1
    return log.append(url, rows)


class LibraryLedgerView(PostgresTrackingRecorder):
    """The ledger as a library-style view: one transaction per event, with its tracking row."""

    def apply(self, event: Any, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            LedgerProjection().apply(_PgTx(curs), event, tracking.notification_id, LIB_SUFFIX)
            self._insert_tracking(curs, tracking)


class LibraryLedgerProjection(Projection[LibraryLedgerView]):
    name = "libledger"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        self.view.apply(domain_event, tracking)


class LogReader(Application):
    name = "boxoffice"


def library_runner(url: str, services: Any, slice_events: int) -> dict[str, Any]:
    db = services.db
    with db.transaction() as tx:
        for table_name, create, indexes in LedgerProjection().tables(LIB_SUFFIX):
            tx.execute(f"DROP TABLE IF EXISTS {table_name}")
            tx.execute(create)
    env = {**eventsourcing_env(url), "APPLICATION_RECORDER_TOPIC": "", "TRANSCODER_TOPIC": "", "CREATE_TABLE": "true"}
    started = time.perf_counter()
    with ProjectionRunner(application_class=LogReader, projection_class=LibraryLedgerProjection,
                          view_class=LibraryLedgerView, env=env) as runner:
        runner.wait(slice_events, timeout=600)
        elapsed = time.perf_counter() - started
    return {"events": slice_events, "seconds": round(elapsed, 2), "events_per_s": round(slice_events / elapsed, 1)}


def run(full: bool = False) -> dict[str, Any]:
    events, slice_events = (1_000_000, 20_000) if full else (100_000, 5_000)
    with throwaway_database() as url:
        services = build_services(Settings(database_url=url, log_level="WARNING"))
        started = time.perf_counter()
        head = seed(services.app, url, events)
        seeded = time.perf_counter() - started
        projector = services.projector
        timings = {}
        # The catalog alone is measured in full mode only (no goal of its own): quick, `make bench`, fits in 5 minutes.
        for names in ((("catalog",),) if full else ()) + (("ledger",), ("catalog", "ledger")):
            t0 = time.perf_counter()
            projector.rebuild(*names)
            elapsed = time.perf_counter() - t0
            timings["+".join(names)] = {"seconds": round(elapsed, 2), "events_per_s": round(head / elapsed, 1)}
        both = timings["catalog+ledger"]["seconds"]
        library = library_runner(url, services, slice_events)
        services.close()
    ours = head / both
    # The goal (issue 14, ARCHITECTURE.md) is over 1M events. At the quick size a rebuild's fixed costs (the
    # replay processes, keys and indexes, ANALYZE, the swap) weigh ten times more per event, so the quick
    # run keeps the lower bar it has had since the fourth session.
    target = 30_000 if full else 20_000
    result = {
        "mode": "full" if full else "quick", "events": head, "seed_seconds": round(seeded, 1),
        "rebuild": timings, "catalog_and_ledger_together_events_per_s": round(ours, 1),
        "library_projection_runner_ledger": library,
        "ratio_ours_to_library": round(timings["ledger"]["events_per_s"] / library["events_per_s"], 1),
        "goals": {f"ledger and catalog rebuilt together >= {target:,} events/s": ours >= target},
    }
    write("projection_catchup", result)
    print(table("Projection catch-up", [(k, v) for k, v in result.items()]))
    return result


if __name__ == "__main__":
    import sys

    run(full="--full" in sys.argv)
