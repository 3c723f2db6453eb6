"""An admission index loaded from the catalog answers like one that followed the whole log, for ANY story
(ledger_story.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.rooms.model import RoomState
from domain.sales.model import TicketStatus
from projections.admission_index import AdmissionIndex
from projections.admission_tail import AdmissionTail
from tests.integration.projections.ledger_story import (  # noqa: F401 - the module fixture is shared
    OPERATIONS,
    PROPERTY_SETTINGS,
    Story,
    fresh_services,
    migrated_template,
)


def expected_admission(box: Any, room: Any, user: str, tickets: list[Any]) -> tuple[bool, str | None]:
    """(admit, role) from the aggregates: the cast, or a listener holding a paid ticket, in an open room."""
    current = box.get_room(room.id)
    if current.state in (RoomState.CANCELLED, RoomState.ENDED):
        return False, None
    if user == current.host_id:
        return True, "host"
    if user in current.cohosts:
        return True, "cohost"
    if user in current.speakers:
        return True, "speaker"
    if any(t.room_id == room.id and t.holder_id == user and t.status is TicketStatus.PAID for t in tickets):
        return True, "listener"
    return False, None


@PROPERTY_SETTINGS
@given(data=st.data())
def test_an_admission_index_loaded_from_the_catalog_answers_like_one_that_followed_the_whole_log(migrated_template: Path, data) -> None:  # noqa: ANN001
    with fresh_services(migrated_template) as services:
        # Arrange: any sequence; the catalog catches up part-way, more events follow.
        story = Story(services, data)
        story.set_up()
        operations = data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=15, max_size=60), label="operations")
        split = data.draw(st.integers(0, len(operations)), label="snapshot after")
        box, projector, db = services.app, services.projector, services.db
        for operation in operations[:split]:
            story.run(operation)
        projector.catch_up()
        for operation in operations[split:]:
            story.run(operation)

        # Act: one index follows the log from the start; one loads the catalog snapshot, then tails.
        followed, loaded = AdmissionIndex(), AdmissionIndex()
        AdmissionTail(followed, box.recorder, box.mapper, db).catch_up()
        tail = AdmissionTail(loaded, box.recorder, box.mapper, db)
        tail.load_snapshot()
        tail.catch_up()

        # Assert: the same answer for everyone, and admitted exactly when the aggregates say so.
        tickets = [box.get_ticket(t) for t in story.tickets]
        people = sorted({r.host_id for r in story.rooms} | set(story.listeners) | {"stranger"})
        for room in story.rooms:
            for user in people:
                answer = followed.check(str(room.id), user)
                assert loaded.check(str(room.id), user) == answer, (room.id, user)
                expected = expected_admission(box, room, user, tickets)
                assert (answer.admit, answer.role) == expected, (room.id, user, answer)
