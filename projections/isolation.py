"""One projection's batch on its own: find the event it cannot apply, keep everything before it, skip nothing.

The projector applies a batch to every projection in one transaction (fast, and
the usual case). When that fails it cannot tell which projection failed, so it
applies the batch again to each projection alone (`apply_alone`), each in its
own transaction: the healthy ones advance, and the one that fails is narrowed
down to the first event it cannot apply (decoding first, one notification at a
time; then halving the batch, each try rolled back). What precedes that event is
committed with the position just before it, and the failure is recorded in the
same transaction (projections/faults.py). The event itself is never skipped: the
projection stays right before it, and the projector retries it with backoff.

Narrowing costs about log2(batch) rolled-back transactions, only when a batch
fails. Imports store/ and this package only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.db import Database
from projections.batches import ConcurrentProjectorError, Projection, advance, apply, decode, lock_positions
from projections.faults import Fault, clear_fault, record_failure


class _RollBack(Exception):
    """Ends a trial transaction: what it applied is thrown away."""


def apply_alone(db: Database, recorder: Any, decoder: Any, projection: Projection, batch_size: int,
                now_us: int) -> tuple[int, Fault | None, BaseException | None]:
    """Apply the next batch to `projection` alone: (notifications it moved past, the fault recorded
    and its error, or None, None when the whole batch applied and any earlier fault was cleared).

    Raises ConcurrentProjectorError when another projector moved the projection meanwhile, and
    whatever a transaction raises that no event of the batch can be blamed for (the database is
    down, say): then nothing was recorded and the caller retries as before.
    """
    name = projection.name
    start = _position(db, name)
    notifications = recorder.select_notifications(start=start + 1, limit=batch_size)
    topics = {n.id: n.topic for n in notifications}
    events, undecodable = _decode_until_failure(decoder, notifications, projection)
    end = undecodable[0] - 1 if undecodable else (notifications[-1].id if notifications else start)
    try:
        if undecodable is None:
            _write(db, projection, start, events, end)
            return end - start, None, None
        at, error = undecodable
        return end - start, _write(db, projection, start, events, end, (at, topics[at], error, now_us)), error
    except ConcurrentProjectorError:
        raise
    except Exception as exc:
        if not events:  # nothing of the batch to blame: not this projection's events
            raise
        error = exc
    # The events fail: find the first that does. Applying a prefix ends well up to `good` events
    # (none: trivially) and fails at `bad` (the whole batch: just seen).
    good, bad = 0, len(events)
    while bad - good > 1:
        middle = (good + bad) // 2
        failed = _fails(db, projection, start, events[:middle])
        if failed is None:
            good = middle
        else:
            bad, error = middle, failed
    at = events[bad - 1][0]
    return at - 1 - start, _write(db, projection, start, events[:good], at - 1, (at, topics[at], error, now_us)), error


def _decode_until_failure(decoder: Any, notifications: Sequence[Any], projection: Projection
                          ) -> tuple[list[tuple[int, Any]], tuple[int, BaseException] | None]:
    """The batch's events for `projection`, up to the first notification that cannot be decoded (and
    that notification's position and error)."""
    try:
        return decode(decoder, notifications, [projection]), None
    except Exception:  # find which one: one at a time
        events: list[tuple[int, Any]] = []
        for notification in notifications:
            try:
                events.extend(decode(decoder, [notification], [projection]))
            except Exception as exc:  # the topic or the state of this one
                return events, (notification.id, exc)
        return events, None  # Safeguard: failed as a whole, not one by one; the write will tell


def _write(db: Database, projection: Projection, start: int, events: list[tuple[int, Any]], end: int,
           failure: tuple[int, str, BaseException, int] | None = None) -> Fault | None:
    """Apply `events` and move the projection from `start` to `end`, in one transaction; with a
    `failure` (position, topic, error, now), record it there too, else clear any earlier fault."""
    with db.transaction() as tx:
        _check(projection.name, lock_positions(tx, [projection.name])[projection.name], start)
        apply(projection, tx, events, "")
        if end > start:
            advance(tx, projection.name, start, end)
        if failure is None:
            clear_fault(tx, projection.name)
            return None
        at, topic, error, now_us = failure
        return record_failure(tx, projection.name, max(end, start), at, topic, error, now_us)


def _fails(db: Database, projection: Projection, start: int, events: list[tuple[int, Any]]) -> BaseException | None:
    """What applying `events` raises (None: nothing), in a transaction that is always rolled back."""
    try:
        with db.transaction() as tx:
            _check(projection.name, lock_positions(tx, [projection.name])[projection.name], start)
            apply(projection, tx, events, "")
            raise _RollBack
    except _RollBack:
        return None
    except ConcurrentProjectorError:
        raise
    except Exception as exc:
        return exc


def _position(db: Database, name: str) -> int:
    row = db.query_one("SELECT position FROM projection_positions WHERE name = %s", (name,))
    return int(row["position"]) if row else 0


def _check(name: str, position: int, start: int) -> None:
    if position != start:
        raise ConcurrentProjectorError(f"projection {name} moved from {start} to {position} meanwhile; retrying")
