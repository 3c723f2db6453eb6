"""The catalog agrees with the aggregates for ANY story (ledger_story.py), and a rebuild from zero gives
the same tables.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from domain.sales.model import TicketStatus
from tests.integration.projections.ledger_story import (  # noqa: F401 - the module fixture is shared
    OPERATIONS,
    PROPERTY_SETTINGS,
    Story,
    fresh_services,
    migrated_template,
)
from tests.integration.projections.support import projection_tables


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_catalog_agrees_with_the_aggregates_and_a_rebuild_gives_identical_tables(migrated_template: Path, data) -> None:  # noqa: ANN001
    with fresh_services(migrated_template) as services:
        # Arrange: any sequence, the projector catching up at random points along the way.
        story = Story(services, data)
        story.set_up()
        projector = services.projector
        for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=15, max_size=60), label="operations"):
            story.run(operation)
            if data.draw(st.booleans(), label="project now"):
                projector.catch_up()
        projector.catch_up()
        incremental = projection_tables(projector, ("ledger", "catalog"))

        # Act: rebuild both projections from zero.
        projector.rebuild("ledger")
        projector.rebuild("catalog")

        # Assert: the same rows, and the catalog says what the aggregates say.
        assert projection_tables(projector, ("ledger", "catalog")) == incremental
        db = services.db
        for ticket_id in story.tickets:
            ticket = services.app.get_ticket(ticket_id)
            view = db.query_one("SELECT status, refunded_amount FROM tickets_view WHERE ticket_id = %s",
                                (str(ticket_id),))
            assert (view["status"], view["refunded_amount"]) == (ticket.status.value, ticket.refunded_amount), ticket_id
        for room in story.rooms:
            paid = sum(1 for t in story.tickets if services.app.get_ticket(t).room_id == room.id
                       and services.app.get_ticket(t).status is TicketStatus.PAID)
            view = db.query_one("SELECT state, paid_count FROM rooms_view WHERE room_id = %s", (str(room.id),))
            assert view["paid_count"] == paid, room.id
            assert view["state"] == services.app.get_room(room.id).state.value
