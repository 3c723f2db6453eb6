"""The one shape of a read model: a class with a handler per event kind, writing through a view.

    class AttendanceProjection(Projection[AttendanceView]):
        name = "attendance"
        views = {"postgresql": PostgresAttendanceView, "sqlite": SqliteAttendanceView}

        @handles(Presence.Joined)
        def joined(self, view: AttendanceView, e: Presence.Joined, position: int) -> None:
            view.joined(...)

Each handler says in the class body which events it handles (`@handles`);
the class collects them into `handlers` when it is created, and refuses two
handlers for one kind. An event a projection has no handler for is not even
decoded for it (projections/batches.py).

Handlers are keyed by the event's kind, `Aggregate.Event` (its `__qualname__`,
which is also what the projector reads from a stored topic to decide what to
decode). `@handles` takes the event class where this floor may import it
(domain/), and its kind as text for events defined on a floor above
(payouts/model.py's Payout and Reconciliation); a test checks that every kind
named names a real event class.

A batch of events meets one view: `view_for(tx, suffix)` picks the view class
for the transaction's engine (each read model's view interface has a
PostgreSQL and a SQLite implementation), `prepare` tells it which rows the
batch will touch (so it reads them in one query per table), the handlers
change it, and `flush` writes it, in the projector's transaction, with the
projection's position (exactly once). Imports store/ and this package only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from store.db import Tx

F = TypeVar("F", bound=Callable[..., None])


class View(Protocol):
    def flush(self) -> None:
        """Write what the batch changed."""


V = TypeVar("V", bound=View)
Handler = Callable[[Any, Any, Any, int], None]  # (projection, view, event, position)


def handles(*events: type | str) -> Callable[[F], F]:
    """Mark a projection's method as the handler of these events (classes, or `Aggregate.Event` kinds)."""
    kinds = tuple(e if isinstance(e, str) else e.__qualname__ for e in events)
    for kind in kinds:
        if kind.count(".") != 1:  # Safeguard: a bare or module-qualified name would never match.
            raise ValueError(f"an event kind is Aggregate.Event, not {kind!r}")

    def mark(method: F) -> F:
        method.__handles__ = kinds  # type: ignore[attr-defined]
        return method

    return mark


class HandlesEvents:
    """A class whose `@handles` methods are collected into `handlers` (kind -> function) when it is
    created; two handlers for one kind in one class body are refused. Subclasses inherit and may override."""

    handlers: ClassVar[Mapping[str, Callable[..., None]]] = MappingProxyType({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = dict(cls.handlers)
        mine: dict[str, str] = {}
        for attribute, value in vars(cls).items():
            for kind in getattr(value, "__handles__", ()):
                if kind in mine:
                    raise TypeError(f"{cls.__name__}: {kind} is handled by both {mine[kind]} and {attribute}")
                mine[kind] = attribute
                found[kind] = value
        cls.handlers = MappingProxyType(found)


class Projection(HandlesEvents, Generic[V]):
    name: ClassVar[str]
    handlers: ClassVar[Mapping[str, Handler]]  # (projection, view, event, position), by kind
    # engine (`tx.dialect`) -> the view class for it.
    views: ClassVar[Mapping[str, Callable[[Tx, str], Any]]]
    # Tables written only by appends and never read while the log is applied (projections/rebuild.py).
    append_only: ClassVar[frozenset[str]] = frozenset()

    @property
    def handles(self) -> frozenset[str]:
        """The event kinds this projection reacts to (the projector decodes no others for it)."""
        return frozenset(self.handlers)

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        """(table, CREATE TABLE sql, [CREATE INDEX sql]) for each table, names suffixed: what the
        migrations must have created (their drift test compares), and what a rebuild creates afresh."""
        raise NotImplementedError

    def view_for(self, tx: Tx, suffix: str = "") -> V:
        """This read model's view over `tx`, on the tables named with `suffix` (a rebuild's fresh copies)."""
        return self.views[tx.dialect](tx, suffix)  # type: ignore[no-any-return]

    def prepare(self, view: V, events: list[tuple[int, Any]]) -> None:
        """Tell the view which rows the batch will touch, before any handler runs (none by default)."""

    def apply_batch(self, tx: Tx, events: list[tuple[int, Any]], suffix: str = "") -> None:
        """Apply (position, event) pairs in log order, through one view, written once at the end."""
        view = self.view_for(tx, suffix)
        self.prepare(view, events)
        self.apply_to(view, events)
        view.flush()

    def apply_to(self, view: V, events: list[tuple[int, Any]]) -> None:
        """Run each event's handler against `view` (any implementation: SQL or in memory)."""
        handlers = self.handlers
        for position, event in events:
            handler = handlers.get(type(event).__qualname__)
            if handler is not None:
                handler(self, view, event, position)

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        """One event (the library-runner baseline in bench/ applies events one at a time)."""
        self.apply_batch(tx, [(position, event)], suffix)
