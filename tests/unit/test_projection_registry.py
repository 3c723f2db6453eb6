"""Each read model is a class whose handlers say, in its body, which events they handle (projections/projection.py)."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.domain import CanMutateAggregate

from domain.attendance.model import Presence
from domain.rooms.model import Room
from domain.sales.model import Ticket
from domain.webhooks.model import WebhookEndpoint
from payouts.model import Payout, Reconciliation
from projections.admission_index import AdmissionIndex
from projections.attendance import AttendanceProjection
from projections.catalog import CatalogProjection
from projections.ledger import LedgerProjection
from projections.payouts import PayoutsProjection
from projections.projection import Projection, handles
from projections.webhook_endpoints import WebhookEndpointsProjection

# The table projections, and the admission index each API process keeps in memory.
PROJECTIONS = [CatalogProjection, LedgerProjection, AttendanceProjection, PayoutsProjection, WebhookEndpointsProjection,
               AdmissionIndex]


def event_kinds() -> set[str]:
    """`Aggregate.Event` for every event class of the aggregates the projections follow."""
    return {f"{aggregate.__name__}.{name}" for aggregate in (Room, Ticket, Presence, WebhookEndpoint, Payout,
                                                             Reconciliation)
            for name, value in vars(aggregate).items()
            if isinstance(value, type) and issubclass(value, CanMutateAggregate)}


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.__name__)
def test_every_event_kind_a_projection_handles_names_a_real_event_class(projection: type[Any]) -> None:
    unknown = set(projection.handlers) - event_kinds()

    assert unknown == set()
    assert projection.handlers, "a projection handles at least one event"


def test_a_projection_refuses_two_handlers_for_one_event_kind() -> None:
    with pytest.raises(TypeError, match="Ticket.Paid is handled by both"):

        class Twice(Projection[Any]):
            name = "twice"

            @handles(Ticket.Paid)
            def paid(self, view: Any, e: Any, pos: int) -> None: ...

            @handles("Ticket.Paid")
            def paid_again(self, view: Any, e: Any, pos: int) -> None: ...


def test_an_event_kind_must_name_the_aggregate_and_the_event() -> None:
    with pytest.raises(ValueError, match="Aggregate.Event"):
        handles("Paid")


def test_handlers_run_in_log_order_against_any_view() -> None:
    class Recording(Projection[list]):
        name = "recording"

        @handles(Room.Started, Room.Ended)
        def changed(self, view: list, e: Any, pos: int) -> None:
            view.append((type(e).__qualname__, pos))

    class Other:  # an event no handler names: passed over
        pass

    view: list = []
    started = Room.Started.__new__(Room.Started)
    ended = Room.Ended.__new__(Room.Ended)

    Recording().apply_to(view, [(1, started), (2, Other()), (3, ended)])

    assert view == [("Room.Started", 1), ("Room.Ended", 3)]
    assert Recording().handles == {"Room.Started", "Room.Ended"}
