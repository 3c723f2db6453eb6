"""The unit of work: how every command reads aggregates and appends their events.

One object, shared by the command classes and the payout runs, so no caller
needs the eventsourcing application's internals (its repository, mapper or
recorder). Writes go one of two ways:

- `transact(decide, dedupe_key)`: decide with the write guards (seat cap, one
  live ticket, webhook seen once, payout reservations) and append the new
  events of the aggregates `decide` returns, in ONE transaction; `record` is
  the same with nothing to decide;
- `save(aggregate)`: append one aggregate's events when no guard is involved.

Both return the log position of the last event, so a caller can wait for the
projections to reach it, and both wake the commit listeners (read models that
poke their tails). Reads: `load`/`find`/`load_many` for aggregates, `guards`
for the guard tables, `position` for the head of the log.

Imports eventsourcing, the stdlib and domain's top modules only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate

from domain.errors import DuplicateDeliveryError, NotFoundError
from domain.guards import GuardedRecorder, GuardReads, WriteGuards

log = logging.getLogger(__name__)

R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)

Decide = Callable[[WriteGuards], tuple[R, Sequence[Aggregate]]]


class UnitOfWork:
    """Reads and atomic writes on the event store and its write guards (see the module docstring)."""

    def __init__(self, app: Application[UUID]) -> None:
        if not hasattr(app.recorder, "transact"):
            raise TypeError(
                "the recorder must implement domain.guards.GuardedRecorder; "
                "set APPLICATION_RECORDER_TOPIC (the composition root does)"
            )
        self._app = app
        self._recorder: GuardedRecorder = app.recorder  # type: ignore[assignment]
        self._repository = app.repository
        self._mapper = app.mapper
        # Called with the log position after every commit (read models poke their tails).
        self.commit_listeners: list[Callable[[int], None]] = []
        # Called after every commit of this process with the domain events it appended (sold-out marks).
        self.event_listeners: list[Callable[[Sequence[Any]], None]] = []
        # Called at the end of every transaction, inside it, with its guards: the aggregates they
        # return are appended too (the waitlists offer the seats a transaction freed).
        self.finishers: list[Callable[[WriteGuards], Sequence[Aggregate]]] = []

    # --- writes --------------------------------------------------------------

    def transact(self, decide: Decide[R], dedupe_key: str | None = None) -> tuple[R, int | None]:
        """Decide with the guards and append the aggregates' new events, atomically.

        `decide` must not read the event store (on SQLite the write lock is
        held); load aggregates before calling. With a `dedupe_key` (a webhook
        event id) the key is recorded in the same transaction; if it was seen
        before, nothing is written and DuplicateDeliveryError is raised.
        """
        box: dict[str, Any] = {}

        def work(guards: WriteGuards) -> list[Any]:
            if dedupe_key is not None and not guards.first_time(dedupe_key):
                raise DuplicateDeliveryError(dedupe_key)
            result, aggregates = decide(guards)
            aggregates = [*aggregates, *(a for finish in self.finishers for a in finish(guards))]
            events = [e for aggregate in aggregates for e in aggregate.collect_events()]
            box["result"], box["events"] = result, events
            return [self._mapper.to_stored_event(e) for e in events]

        ids = self._recorder.transact(work)
        position = max(ids) if ids else None
        if position is not None:
            self.appended(box["events"])
            self.committed(position)
        return box["result"], position

    def transact_or_replay(self, decide: Decide[R], replay: Callable[[], R | None],
                           *lost: type[Exception]) -> tuple[R, int | None]:
        """`transact` for a write made under an Idempotency-Key. The same request sent twice at once: the
        twin that loses the race fails with one of `lost` (the rule or the key the winner satisfied first).
        Then `replay()` finds what the key made, and that is the answer, with no position (nothing new was
        written); None: the key made nothing, and the failure stands."""
        try:
            return self.transact(decide)
        except lost:
            made = replay()
            if made is None:
                raise
            return made, None

    def record(self, aggregates: Iterable[Aggregate], dedupe_key: str | None = None) -> int | None:
        """Append these aggregates' new events in one transaction, with no guard to decide on
        (and the `dedupe_key` recorded with them: seen before, DuplicateDeliveryError)."""
        changed = list(aggregates)
        _, position = self.transact(lambda guards: (None, changed), dedupe_key)
        return position

    def acknowledge(self, dedupe_key: str) -> bool:
        """Record a delivery that has no effect; False if it was seen before."""
        try:
            self.record((), dedupe_key)
        except DuplicateDeliveryError:
            return False
        return True

    def save(self, *aggregates: Aggregate) -> int | None:
        """Append the aggregates' new events without the guards; the position of the last one."""
        recordings = self._app.save(*aggregates)
        self.appended([r.domain_event for r in recordings])
        return recordings[-1].notification.id if recordings else None

    def appended(self, events: Sequence[Any]) -> None:
        """Tell the event listeners what this process just committed."""
        for listener in self.event_listeners:
            try:
                listener(events)
            except Exception:  # Safeguard: a listener's failure must never fail a committed write
                log.exception("event listener failed")

    def committed(self, position: int) -> None:
        """Tell the commit listeners the log reached `position`."""
        for listener in self.commit_listeners:
            try:
                listener(position)
            except Exception:  # a read model's wake-up must never fail a committed write
                log.exception("commit listener failed")

    # --- reads ---------------------------------------------------------------

    @property
    def guards(self) -> GuardReads:
        return self._recorder.guard_reads()

    def position(self) -> int:
        return self._recorder.max_notification_id() or 0  # type: ignore[attr-defined]

    def load(self, cls: type[A], aggregate_id: UUID, what: str, version: int | None = None) -> A:
        """The aggregate (as of `version`, if given); NotFoundError if there is none of that class."""
        aggregate = self.find(cls, aggregate_id, version)
        if aggregate is None:
            raise NotFoundError(f"{what} {aggregate_id} not found")
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A | None:
        """The aggregate, or None if there is none of that class with that id."""
        try:
            aggregate = self._repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID], what: str) -> list[A]:
        """What `load` answers for each id, from one read of the store instead of one per id
        (a payout run loads thousands of rooms). Same events, same mutators: no snapshots are
        configured, so replaying each aggregate's events from the start is the whole story."""
        stored = self._recorder.select_events_of(aggregate_ids)
        loaded = []
        for aggregate_id in aggregate_ids:
            aggregate = project_aggregate(None, map(self._mapper.to_domain_event, stored.get(aggregate_id, ())))
            if not isinstance(aggregate, cls):
                raise NotFoundError(f"{what} {aggregate_id} not found")
            loaded.append(aggregate)
        return loaded
