"""Loading many aggregates in one read answers what loading each one does, on both stores."""

from __future__ import annotations

import uuid

import pytest

from store import recorders
from domain.errors import NotFoundError
from domain.rooms.model import Room
from tests.conftest import ServicesFactory
from tests.unit.test_sales import open_room


@pytest.fixture(params=["sqlite", "postgresql"])
def box(request: pytest.FixtureRequest, make_services: ServicesFactory, sqlite_url: str):  # noqa: ANN201
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return make_services(url).app


def test_many_rooms_load_as_each_loads_alone_in_the_order_asked(box) -> None:  # noqa: ANN001
    rooms = [open_room(box, capacity=5, host=f"host-{i % 3}") for i in range(7)]
    box.buy_ticket(rooms[2].id, "ann")
    rooms[4].start(box.clock.now())
    box.uow.save(rooms[4])
    ids = [r.id for r in reversed(rooms)]

    loaded = box.uow.load_many(Room, ids, "room")

    assert [r.id for r in loaded] == ids
    for one, alone in zip(loaded, (box.get_room(i) for i in ids), strict=True):
        assert one.version == alone.version and one.__dict__ == alone.__dict__


def test_more_rooms_than_one_read_takes_are_all_loaded(box, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(recorders, "CHUNK", 4)
    rooms = [open_room(box, capacity=1, host="host") for _ in range(11)]

    loaded = box.uow.load_many(Room, [r.id for r in rooms], "room")

    assert [r.id for r in loaded] == [r.id for r in rooms]


def test_an_unknown_id_or_another_kind_of_aggregate_is_not_found(box) -> None:  # noqa: ANN001
    room = open_room(box)
    creator = box.get_creator("host")

    with pytest.raises(NotFoundError, match="room"):
        box.uow.load_many(Room, [room.id, uuid.uuid4()], "room")
    with pytest.raises(NotFoundError, match="room"):
        box.uow.load_many(Room, [creator.id], "room")
    assert box.uow.load_many(Room, [], "room") == []
