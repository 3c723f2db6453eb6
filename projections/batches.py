"""One batch of the log, applied to projections: what to decode, how to apply it, and the tracked positions.

Shared by the live projector (projections/projector.py) and the rebuild
(projections/rebuild.py). A projection's position lives in
`projection_positions` and moves in the same transaction as its rows, with a
compare-and-set: that is what makes every event apply exactly once, without
dedupe tables. Imports store/ and this package only.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from store.db import Tx
from projections.light_events import event_kind


class Projection(Protocol):
    """What the projector needs of a read model (projections/projection.py gives it to every one)."""

    name: str

    @property
    def handles(self) -> frozenset[str]:
        """The event kinds (`Ticket.Paid`) the projection reacts to: the projector decodes no others."""

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        """(table, CREATE TABLE sql, [CREATE INDEX sql]) for each table, names suffixed."""

    def apply_batch(self, tx: Tx, events: list[tuple[int, Any]], suffix: str = "") -> None:
        """Apply (position, event) pairs in log order; must only write this projection's tables."""


def decode(mapper: Any, notifications: Sequence[Any], projections: Iterable[Projection]) -> list[tuple[int, Any]]:
    """(position, domain event) for the notifications some of `projections` handles.

    `mapper`: anything with the mapper's `to_domain_event` (the projector passes
    projections/light_events.py's `EventDecoder`, which gives the same events for less).

    Decoding is most of what an ignored event costs (a ledger rebuild skips every
    reservation). The kind comes from the stored topic (`event_kind`).
    """
    wanted: set[str] = set()
    for projection in projections:
        wanted.update(projection.handles)
    return [(n.id, mapper.to_domain_event(n)) for n in notifications if event_kind(n.topic) in wanted]


def decode_rows(decoder: Any, rows: Sequence[tuple[Any, ...]], projections: Iterable[Projection]) -> list[tuple[int, Any]]:
    """`decode` for the recorder's plain rows (id, originator_id, originator_version, topic, state):
    a replay reads the whole log, and builds no `Notification` per row (`decoder`: an `EventDecoder`)."""
    wanted: set[str] = set()
    for projection in projections:
        wanted.update(projection.handles)
    return [(row[0], decoder.from_row(row)) for row in rows if event_kind(row[3]) in wanted]


def apply(projection: Projection, tx: Tx, events: list[tuple[int, Any]], suffix: str) -> None:
    """The batch's events to one projection (set-based: it reads and writes its rows once)."""
    if events:
        projection.apply_batch(tx, events, suffix)


# --- positions ----------------------------------------------------------------------------


def lock_positions(tx: Tx, names: Iterable[str]) -> dict[str, int]:
    """The positions of `names`, their rows locked (PostgreSQL) until the transaction ends,
    so projectors in several processes take turns instead of applying the same events."""
    names = sorted(names)
    for name in names:
        tx.execute("INSERT INTO projection_positions (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
                   (name,))
    rows = tx.all("SELECT name, position FROM projection_positions ORDER BY name" + for_update(tx))
    found = {r["name"]: int(r["position"]) for r in rows}
    return {name: found[name] for name in names}


def advance(tx: Tx, name: str, old: int, new: int) -> None:
    """Move a projection from `old` to `new`, or raise if another projector moved it meanwhile."""
    row = tx.one("UPDATE projection_positions SET position = %s WHERE name = %s AND position = %s RETURNING position",
                 (new, name, old))
    if row is None:  # Safeguard, should never happen while the rows are locked.
        raise ConcurrentProjectorError(f"projection {name} moved past {old} meanwhile; batch rolled back")


def set_position(tx: Tx, name: str, position: int) -> None:
    tx.execute("INSERT INTO projection_positions (name, position) VALUES (%s, %s)"
               " ON CONFLICT (name) DO UPDATE SET position = excluded.position", (name, position))


def for_update(tx: Tx) -> str:
    return " FOR UPDATE" if tx.dialect == "postgresql" else ""


class ConcurrentProjectorError(Exception):
    """Another projector advanced the same projection; this batch was rolled back."""


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
