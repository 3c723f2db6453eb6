"""Keeps an AdmissionIndex current: load a snapshot of the catalog, then follow the event log.

Every API process runs one (projections/admission_index.py says why the index is in memory).
While it applies the log it also drops the process's sold-out marks (domain/sales/sold_out.py)
of every room an event may have freed a seat in: a mark is then at most one poll stale.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from domain.sales.sold_out import SoldOutMarks
from projections.admission_index import AdmissionIndex
from projections.light_events import LightReader

log = logging.getLogger(__name__)


class AdmissionTail:
    """Keeps an AdmissionIndex current: load a snapshot, then follow the event log."""

    def __init__(self, index: AdmissionIndex, recorder: Any, mapper: Any, db: Any, poll_interval: float = 0.05,
                 batch_size: int = 2000, sold_out: SoldOutMarks | None = None) -> None:
        """`sold_out`: the process's sold-out marks; every event that may free a seat drops its room's mark."""
        self.index, self.recorder, self.mapper, self.db = index, recorder, mapper, db
        self.poll_interval, self.batch_size = poll_interval, batch_size
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._catching_up = threading.Lock()  # one reader of the log at a time: read and apply together
        self._reader = LightReader(mapper, AdmissionIndex.handlers)  # the rest of the log is not decoded
        self._sold_out = sold_out

    def load_snapshot(self) -> None:
        with self.db.transaction() as tx:  # one consistent read of position and tables
            row = tx.one("SELECT position FROM projection_positions WHERE name = %s", ("catalog",))
            position = int(row["position"]) if row else 0
            rooms = tx.all("SELECT room_id, host_id, state FROM rooms_view")
            cast = tx.all("SELECT room_id, user_id, role FROM room_cast")
            tickets = tx.all("SELECT ticket_id, room_id, holder_id, status FROM tickets_view ORDER BY position")
            transfers = tx.all("SELECT ticket_id, room_id, from_holder_id FROM ticket_transfers_view ORDER BY position")
        self.index.load(rooms, cast, tickets, position, transfers)

    def catch_up(self) -> int:
        with self._catching_up:
            return self._catch_up()

    def _catch_up(self) -> int:
        applied = 0
        while True:
            notifications = self.recorder.select_notifications(start=self.index.position + 1, limit=self.batch_size)
            if not notifications:
                return applied
            marks = self._sold_out if self._sold_out is not None and self._sold_out.active() else None
            for n in notifications:
                read = self._reader.read(n)
                if read is None:
                    self.index.advance(n.id)
                else:
                    self.index.apply(read[1], n.id, read[0])
                if marks is not None:
                    kind = read[0] if read is not None else self._reader.kind(n.topic)[0]
                    marks.forget_for(kind, n.originator_id, self._event(n, read))
            applied += len(notifications)

    def _event(self, n: Any, read: tuple[str, Any] | None) -> Callable[[], Any]:
        """The event as read; one the index ignores is decoded in full only if asked (rare: it may free a seat)."""
        return (lambda: read[1]) if read is not None else (lambda: self.mapper.to_domain_event(n))

    def poke(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="admission-tail", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                hot = self.catch_up() > 0
            except Exception:
                log.exception("admission index tail failed; retrying")
                hot = self._stop.wait(1.0) and False
            # Hot (the read found events: a sale): wait out the poll, pokes or not, so that one read
            # takes a poll's worth of events, not one commit's. Quiet: a poke wakes the tail at once.
            (self._stop if hot else self._wake).wait(self.poll_interval)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
