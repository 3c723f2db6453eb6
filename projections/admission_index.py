"""The admission index: who may join which room, and as what, in memory.

Media servers ask at high rate; a database query per join would cost ten
times a trivial request. Each API process keeps this index: it loads the
catalog read tables at the catalog's position P in one consistent read, then
tails the event log from P itself, applying room and ticket events in memory.

Staleness bound: a change is visible after at most one poll interval
(`BOXOFFICE_ADMISSION_POLL_SECONDS`, default 0.05 s) plus the time to apply a
batch; a write in this process pokes a quiet tail at once (a hot one reads once per poll).

Decisions (reason codes after pretix's check-in reasons):
    unknown_room          no such room
    room_cancelled        the room was cancelled (nobody is admitted)
    room_ended            the room has ended (nobody is admitted)
    ok                    host, co-host, speaker, or a listener with a paid ticket in a live room
    not_started           a listener with a paid ticket before the room starts: admitted to the
                          waiting room (`admit: true, waiting: true`); the cast is admitted normally
    unpaid                the listener's ticket waits for its payment
    refunded / revoked    the listener's ticket was refunded / revoked (e.g. disputed)
    transferred           the listener gave their ticket away (the receiver is admitted with it)
    no_ticket             no live ticket (never bought, or released unpaid)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID

import orjson

from domain.rooms.model import Room
from domain.sales.model import Ticket
from projections.light_events import uuid_text
from projections.projection import HandlesEvents, handles

# 6: the old holder's mark of a ticket they gave away (its own ordinal; the receiver has the ticket's).
STATUS_CODES = {"reserved": 1, "paid": 2, "released": 3, "refunded": 4, "revoked": 5, "transferred": 6}
STATUS_NAMES = {v: k for k, v in STATUS_CODES.items()}
LIVE = (1, 2)


class Decision(NamedTuple):
    """Immutable, and a NamedTuple rather than a frozen dataclass: built on every check,
    where a frozen dataclass's __init__ cost more than the lookup."""

    admit: bool
    role: str | None
    reason: str
    ticket_id: str | None = None
    waiting: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"admit": self.admit, "role": self.role, "reason": self.reason, "ticket_id": self.ticket_id,
                "waiting": self.waiting}


UNKNOWN_ROOM = Decision(False, None, "unknown_room")
ROOM_CANCELLED = Decision(False, None, "room_cancelled")
ROOM_ENDED = Decision(False, None, "room_ended")
HOST = Decision(True, "host", "ok")


def _answer_head(decision: Decision) -> bytes:
    """The check's JSON answer up to the value of its last field, `position`."""
    return orjson.dumps(decision.to_dict())[:-1] + b',"position":'


_UNKNOWN_ROOM_HEAD = _answer_head(UNKNOWN_ROOM)


@dataclass
class RoomAccess:
    host: str
    state: str = "scheduled"
    cast: dict[str, str] = field(default_factory=dict)  # user -> cohost | speaker
    holders: dict[str, int] = field(default_factory=dict)  # user -> ticket ordinal
    # Bumped by the tail after every change to the room or its tickets (AdmissionIndex.apply).
    version: int = 0
    # user -> (version, the JSON answer up to its position): repeat checks of a quiet room.
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)


class AdmissionIndex(HandlesEvents):
    """Tickets by ordinal in packed arrays (about 100 bytes a ticket, not 300): the id as
    16 raw bytes and the status as one byte; each room maps its holders to their
    latest ticket's ordinal. Ticket events name their room and holder, so no
    ticket-id lookup table is needed. One handler per event kind (`@handles`, below),
    the same registry as the table projections' (projections/projection.py)."""

    # Cached answers across all rooms before they are all dropped (about 200 bytes each).
    ANSWERS_BUDGET = 50_000

    def __init__(self) -> None:
        self.rooms: dict[str, RoomAccess] = {}
        self._answers = 0
        self._ids = bytearray()  # 16 bytes per ticket
        self._status = bytearray()
        self._count = 0
        self.position = 0
        self._lock = threading.Lock()

    def _ticket_id(self, ordinal: int) -> str:
        return uuid_text(self._ids[ordinal * 16:ordinal * 16 + 16].hex())  # str(UUID(bytes=...)), without the UUID

    # --- answering -------------------------------------------------------------

    def answer(self, room_id: str, user_id: str) -> bytes:
        """The check's JSON answer (the decision and the index's position), as bytes.

        A media server asks again for the same people (rejoins, reconnects). The answer
        up to the position is kept per room and user, tagged with the room's version,
        and used only while the version is unchanged. The version is read before the
        decision is made, and the tail bumps it after it changes anything: an answer
        that may have missed a change is never used (never a stale `admit`).
        """
        position = self.position
        room = self.rooms.get(room_id)
        if room is None:
            return _UNKNOWN_ROOM_HEAD + b"%d}" % position
        version = room.version
        hit = room.answers.get(user_id)
        if hit is not None and hit[0] == version:
            return hit[1] + b"%d}" % position
        head = _answer_head(self.check(room_id, user_id))
        self._answers += 1
        if self._answers > self.ANSWERS_BUDGET:  # bounded memory: start again
            self._answers = 1
            for other in list(self.rooms.values()):
                other.answers.clear()
        room.answers[user_id] = (version, head)
        return head + b"%d}" % position

    def check(self, room_id: str, user_id: str) -> Decision:
        room = self.rooms.get(room_id)
        if room is None:
            return UNKNOWN_ROOM
        if room.state == "cancelled":
            return ROOM_CANCELLED
        if room.state == "ended":
            return ROOM_ENDED
        if user_id == room.host:
            return HOST
        role = room.cast.get(user_id)
        if role is not None:
            return Decision(True, role, "ok")
        ordinal = room.holders.get(user_id)
        if ordinal is None:
            return Decision(False, None, "no_ticket")
        status, ticket_id = self._status[ordinal], self._ticket_id(ordinal)
        if status == 2:
            if room.state == "scheduled":
                return Decision(True, "listener", "not_started", ticket_id, waiting=True)
            return Decision(True, "listener", "ok", ticket_id)
        if status == 1:
            return Decision(False, None, "unpaid", ticket_id)
        if status == 4:
            return Decision(False, None, "refunded", ticket_id)
        if status == 5:
            return Decision(False, None, "revoked", ticket_id)
        if status == 6:
            return Decision(False, None, "transferred", ticket_id)
        return Decision(False, None, "no_ticket", ticket_id)

    def holds_live_ticket(self, room_id: UUID, user_id: str) -> bool:
        """Does the user hold a reserved or paid ticket for the room, as far as the index knows? (A room it
        does not know: True, so that the caller asks the guards.) Used by sold-out marks (domain/sales/sold_out.py)."""
        room = self.rooms.get(str(room_id))
        if room is None:
            return True
        ordinal = room.holders.get(user_id)
        return ordinal is not None and self._status[ordinal] in LIVE

    # --- loading -----------------------------------------------------------------

    def load(self, rooms: list[dict[str, Any]], cast: list[dict[str, Any]], tickets: list[dict[str, Any]],
             position: int, transfers: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
        """Replace the index with a snapshot of the catalog tables at `position`; `transfers`: each
        old holder of a ticket given away (`ticket_id`, `room_id`, `from_holder_id`), oldest first."""
        with self._lock:
            self.__init__()  # type: ignore[misc]
            for r in rooms:
                self._add_room(r["room_id"], r["host_id"], r["state"])
            for c in cast:
                room = self.rooms.get(c["room_id"])
                if room is not None and c["role"] != "host":
                    room.cast[c["user_id"]] = c["role"]
            for t in tickets:  # oldest first, so a later live ticket wins
                self._add(t["ticket_id"], t["room_id"], t["holder_id"], STATUS_CODES[t["status"]])
            for x in transfers:  # after every ticket: a live ticket bought later still wins (see _add)
                self._add(x["ticket_id"], x["room_id"], x["from_holder_id"], 6)
            self.position = position

    def _add_room(self, room_id: str, host: str, state: str = "scheduled") -> None:
        self.rooms[room_id] = RoomAccess(host=host, state=state)

    def _add(self, ticket_id: str, room_id: str, user_id: str, status: int) -> None:
        room = self.rooms.get(room_id)
        if room is None:  # Safeguard, should never happen: tickets follow their room.
            return
        ordinal = self._count
        self._count += 1
        self._ids += UUID(ticket_id).bytes
        self._status.append(status)
        current = room.holders.get(user_id)
        if current is None or status in LIVE or self._status[current] not in LIVE:
            room.holders[user_id] = ordinal

    def _set_status(self, event: Any, status: int) -> None:
        """Apply a ticket's new status through its room and holder (named by the event)."""
        room = self.rooms.get(str(event.room_id))
        if room is None:
            return
        ordinal = room.holders.get(event.holder_id)
        if ordinal is None:
            return
        if self._ids[ordinal * 16:ordinal * 16 + 16] != event.originator_id.bytes:
            # An older ticket of the same holder (released or refunded before they bought
            # again): it only matters if it comes back to life, which a newer live ticket excludes.
            return
        self._status[ordinal] = status

    def _transfer(self, room_id: str, ticket_id: UUID, from_holder: str, to_holder: str) -> None:
        """The receiver holds the ticket's ordinal; the giver gets a `transferred` mark of their own."""
        room = self.rooms.get(room_id)
        if room is None:
            return
        ordinal = room.holders.get(from_holder)
        if ordinal is None or self._ids[ordinal * 16:ordinal * 16 + 16] != ticket_id.bytes:
            return  # Safeguard, should never happen: only the holder's live ticket is given away.
        room.holders[to_holder] = ordinal
        del room.holders[from_holder]
        self._add(str(ticket_id), room_id, from_holder, 6)

    # --- tailing the log -----------------------------------------------------------

    def apply(self, event: Any, position: int, kind: str | None = None) -> None:
        """Apply one event; an event at or below the index's position was applied already."""
        kind = kind or type(event).__qualname__
        oid = str(event.originator_id)
        with self._lock:
            if position <= self.position:
                return
            handler = self.handlers.get(kind)
            if handler is not None:
                handler(self, event, oid)
            # After the change, never before: see answer().
            touched = self.rooms.get(oid if kind.startswith("Room.") else str(event.room_id))
            if touched is not None:
                touched.version += 1
            self.position = max(self.position, position)

    # --- one handler per event kind (called by apply, under the lock) -----------------------------

    @handles(Room.Opened)
    def _opened(self, e: Any, room_id: str) -> None:
        self._add_room(room_id, e.host_id)

    @handles(Room.Started)
    def _started(self, e: Any, room_id: str) -> None:
        self._set_state(room_id, "live")

    @handles(Room.Ended)
    def _ended(self, e: Any, room_id: str) -> None:
        self._set_state(room_id, "ended")

    @handles(Room.Cancelled)
    def _cancelled(self, e: Any, room_id: str) -> None:
        self._set_state(room_id, "cancelled")

    @handles(Room.CohostAdded)
    def _cohost_added(self, e: Any, room_id: str) -> None:
        if (room := self.rooms.get(room_id)) is not None:
            room.cast[e.user_id] = "cohost"

    @handles(Room.SpeakerAdded)
    def _speaker_added(self, e: Any, room_id: str) -> None:
        if (room := self.rooms.get(room_id)) is not None:
            room.cast[e.user_id] = "speaker"

    @handles(Room.CohostRemoved, Room.SpeakerRemoved)
    def _cast_removed(self, e: Any, room_id: str) -> None:
        if (room := self.rooms.get(room_id)) is not None:
            room.cast.pop(e.user_id, None)

    @handles(Ticket.Reserved)
    def _reserved(self, e: Any, ticket_id: str) -> None:
        self._add(ticket_id, str(e.room_id), e.holder_id, 1)

    @handles(Ticket.Paid)
    def _paid(self, e: Any, ticket_id: str) -> None:
        self._set_status(e, 2)

    @handles(Ticket.Sold)  # reserved, then paid: added as paid
    def _sold(self, e: Any, ticket_id: str) -> None:
        self._add(ticket_id, str(e.room_id), e.holder_id, 2)

    @handles(Ticket.Transferred)
    def _transferred(self, e: Any, ticket_id: str) -> None:
        self._transfer(str(e.room_id), e.originator_id, e.from_holder_id, e.to_holder_id)

    @handles(Ticket.Released)
    def _released(self, e: Any, ticket_id: str) -> None:
        self._set_status(e, 3)

    @handles(Ticket.RefundRequested)
    def _refund_requested(self, e: Any, ticket_id: str) -> None:
        if e.full:
            self._set_status(e, 4)

    @handles(Ticket.Revoked)
    def _revoked(self, e: Any, ticket_id: str) -> None:
        self._set_status(e, 5)

    @handles(Ticket.DisputeOpened)
    def _dispute_opened(self, e: Any, ticket_id: str) -> None:
        if e.access_revoked:
            self._set_status(e, 5)

    @handles(Ticket.DisputeClosed)
    def _dispute_closed(self, e: Any, ticket_id: str) -> None:
        room = self.rooms.get(str(e.room_id))
        ordinal = room.holders.get(e.holder_id) if room else None
        if e.won and ordinal is not None and self._status[ordinal] == 5:
            self._set_status(e, 2)

    def _set_state(self, room_id: str, state: str) -> None:
        if (room := self.rooms.get(room_id)) is not None:
            room.state = state

    def advance(self, position: int) -> None:
        """Pass over an event that changes nothing here."""
        with self._lock:
            self.position = max(self.position, position)

    def __len__(self) -> int:
        return self._count

