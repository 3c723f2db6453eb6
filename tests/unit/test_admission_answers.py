"""Cached admission answers: repeat checks of a quiet room are served from memory,
and no change the tail applies is ever hidden by a cached answer."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from uuid import UUID, uuid4

import orjson

from projections.admission_index import AdmissionIndex


class Room:
    """A live room in an index, fed events the way the tail feeds them."""

    def __init__(self) -> None:
        self.index = AdmissionIndex()
        self.id = str(uuid4())
        self.position = 0
        self.feed("Room.Opened", SimpleNamespace(originator_id=UUID(self.id), host_id="host"))
        self.feed("Room.Started", SimpleNamespace(originator_id=UUID(self.id)))

    def feed(self, kind: str, event: SimpleNamespace) -> None:
        self.position += 1
        self.index.apply(event, self.position, kind)

    def ticket(self, holder: str, kind: str = "Ticket.Reserved", ticket_id: UUID | None = None, **extra: object) -> UUID:
        ticket_id = ticket_id or uuid4()
        self.feed(kind, SimpleNamespace(originator_id=ticket_id, room_id=self.id, holder_id=holder, **extra))
        return ticket_id

    def answer(self, user: str) -> dict[str, object]:
        return orjson.loads(self.index.answer(self.id, user))


def expected(index: AdmissionIndex, room_id: str, user: str) -> dict[str, object]:
    d = index.check(room_id, user)
    return {"admit": d.admit, "role": d.role, "reason": d.reason, "ticket_id": d.ticket_id, "waiting": d.waiting,
            "position": index.position}


def test_a_repeat_check_gives_the_same_answer_with_the_current_position() -> None:
    room = Room()
    ticket = room.ticket("ann")
    room.ticket("ann", "Ticket.Paid", ticket)

    first = room.answer("ann")
    room.feed("Room.Opened", SimpleNamespace(originator_id=uuid4(), host_id="someone-else"))  # another room
    again = room.answer("ann")

    assert first == {"admit": True, "role": "listener", "reason": "ok", "ticket_id": str(ticket), "waiting": False,
                     "position": 4}
    assert again == {**first, "position": 5}


def test_a_refund_after_a_cached_admit_denies_at_once() -> None:
    room = Room()
    ticket = room.ticket("ann")
    room.ticket("ann", "Ticket.Paid", ticket)
    assert room.answer("ann")["admit"] is True

    room.ticket("ann", "Ticket.RefundRequested", ticket, full=True)

    assert room.answer("ann") == expected(room.index, room.id, "ann")
    assert room.answer("ann")["reason"] == "refunded"


def test_every_kind_of_change_is_seen_by_the_next_check() -> None:
    room = Room()
    ticket = room.ticket("ann")
    people = ["ann", "host", "bob", "nobody"]
    changes = [
        ("Ticket.Paid", lambda: room.ticket("ann", "Ticket.Paid", ticket)),
        ("Room.SpeakerAdded", lambda: room.feed("Room.SpeakerAdded", SimpleNamespace(originator_id=UUID(room.id),
                                                                                  user_id="bob"))),
        ("Ticket.DisputeOpened", lambda: room.ticket("ann", "Ticket.DisputeOpened", ticket, access_revoked=True)),
        ("Ticket.DisputeClosed", lambda: room.ticket("ann", "Ticket.DisputeClosed", ticket, won=True)),
        ("Room.SpeakerRemoved", lambda: room.feed("Room.SpeakerRemoved", SimpleNamespace(
            originator_id=UUID(room.id), user_id="bob"))),
        ("Room.Ended", lambda: room.feed("Room.Ended", SimpleNamespace(originator_id=UUID(room.id)))),
    ]
    seen = []

    for _, change in changes:
        for user in people:
            room.answer(user)  # cache every answer before the change
        change()
        seen.append([room.answer(user) == expected(room.index, room.id, user) for user in people])

    assert seen == [[True] * len(people)] * len(changes)


def test_cached_answers_stay_within_their_budget() -> None:
    room = Room()
    room.index.ANSWERS_BUDGET = 100

    for n in range(1_000):
        room.answer(f"stranger-{n}")

    assert len(room.index.rooms[room.id].answers) <= 100


def test_an_answer_racing_the_tail_is_never_stale_once_the_tail_stops() -> None:
    # Arrange: one thread checks the same listener without pause while the tail flips the
    # ticket between paid and revoked (disputes opened and won) a few thousand times.
    room = Room()
    ticket = room.ticket("ann")
    room.ticket("ann", "Ticket.Paid", ticket)
    stop = threading.Event()

    def media_server() -> None:
        while not stop.is_set():
            room.answer("ann")

    checker = threading.Thread(target=media_server)
    checker.start()

    # Act
    try:
        for _ in range(3_000):
            room.ticket("ann", "Ticket.DisputeOpened", ticket, access_revoked=True)
            room.ticket("ann", "Ticket.DisputeClosed", ticket, won=True)
        room.ticket("ann", "Ticket.DisputeOpened", ticket, access_revoked=True)
    finally:
        stop.set()
        checker.join()

    # Assert: whatever the checker cached on the way, the answer now is the index's decision.
    assert room.answer("ann") == expected(room.index, room.id, "ann")
    assert room.answer("ann")["reason"] == "revoked"
