"""Opening a room again with the same Idempotency-Key is the same room, even when both are sent at once."""

from __future__ import annotations

import pytest

from domain.errors import IdempotencyConflictError
from tests.unit.builders import events_since, host, names, usd


def twin_first(box, monkeypatch, twin):  # noqa: ANN001, ANN201
    """The twin request commits between this one's checks and its commit (what two at once do)."""
    commit = box.uow.transact

    def transact(decide, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        monkeypatch.setattr(box.uow, "transact", commit)
        twin()
        return commit(decide, *args, **kwargs)

    monkeypatch.setattr(box.uow, "transact", transact)


def test_the_same_opening_sent_twice_at_once_is_one_room_replayed(box, monkeypatch) -> None:  # noqa: ANN001
    host_id = host(box)
    opening = dict(title="Jazz", scheduled_start=None, price=usd(999), capacity=10, idempotency_key="open-1")
    twin_first(box, monkeypatch, lambda: box.open_room(host_id, **opening))
    start = box.uow.position()

    room, position = box.open_room(host_id, **opening)

    assert position is None and room.title == "Jazz"
    assert names(events_since(box, start)) == ["Room.Opened"]


def test_a_twin_sent_at_once_with_other_parameters_is_an_idempotency_conflict(box, monkeypatch) -> None:  # noqa: ANN001
    host_id = host(box)
    opening = dict(title="Jazz", scheduled_start=None, price=usd(999), capacity=10, idempotency_key="open-1")
    twin_first(box, monkeypatch, lambda: box.open_room(host_id, **{**opening, "capacity": 20}))

    with pytest.raises(IdempotencyConflictError):
        box.open_room(host_id, **opening)
