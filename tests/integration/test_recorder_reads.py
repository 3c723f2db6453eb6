"""Our PostgreSQL recorder's reads answer exactly what the library's own would."""

from __future__ import annotations

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from tests.unit.test_sales import open_room

pytestmark = pytest.mark.postgres


def test_notifications_read_as_the_library_reads_them_for_every_kind_of_query(make_services, postgres_url) -> None:  # noqa: ANN001
    box = make_services(postgres_url).app
    room = open_room(box, capacity=20)
    for i in range(6):
        box.buy_ticket(room.id, f"listener-{i}")
    recorder = box.recorder
    paid = next(n.topic for n in recorder.select_notifications(start=1, limit=100) if n.topic.endswith("Ticket.Sold"))
    library = PostgresApplicationRecorder.select_notifications.__wrapped__  # the undecorated library method

    for args, kwargs in [
        ((1, 100), {}),
        ((3, 4), {}),
        ((3, 4), {"inclusive_of_start": False}),
        ((2, 100), {"stop": 9}),
        ((None, 5), {}),
        ((1, 100), {"topics": [paid]}),
        ((4, 2), {"topics": (paid,), "stop": 30}),
        ((10_000, 10), {}),
    ]:
        ours = recorder.select_notifications(*args, **kwargs)
        theirs = library(recorder, *args, **kwargs)
        assert ours == theirs, (args, kwargs)
        assert all(type(n.state) is bytes for n in ours)
