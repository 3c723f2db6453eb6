"""Joining a waitlist again with the same Idempotency-Key is the same place in line, even at once."""

from __future__ import annotations

from tests.unit.builders import events_since, names, open_room


def test_the_same_join_sent_twice_at_once_is_one_place_replayed(box, monkeypatch) -> None:  # noqa: ANN001
    room = open_room(box, capacity=1)
    box.buy_ticket(room.id, "ann")
    commit = box.uow.transact

    def twin_commits_first(decide, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        monkeypatch.setattr(box.uow, "transact", commit)
        box.join_waitlist("ben", room.id, idempotency_key="line-1")  # the twin, between its check and commit
        return commit(decide, *args, **kwargs)

    monkeypatch.setattr(box.uow, "transact", twin_commits_first)
    start = box.uow.position()

    entry, position = box.join_waitlist("ben", room.id, idempotency_key="line-1")

    assert position is None and entry.place == 1 and entry.holder_id == "ben"
    assert names(events_since(box, start)) == ["WaitlistEntry.Joined"]
