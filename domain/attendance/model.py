"""Who was in a room and for how long, as reported by media servers.

One `Presence` aggregate per (room, participant): small, so a busy room's
joins and leaves never contend on one stream. Each join opens a session,
each leave closes it; the same report twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.ids import NAMESPACE


def presence_id(room_id: UUID, user_id: str) -> UUID:
    return uuid5(NAMESPACE, f"presence:{room_id}:{user_id}")


class Presence(Aggregate):
    @classmethod
    def track(cls, room_id: UUID, user_id: str) -> Presence:
        """Start tracking a participant of a room: one stream per (room, participant), its id derived."""
        return cls._create(cls.Tracked, id=presence_id(room_id, user_id), room_id=room_id, user_id=user_id)

    @event("Tracked")
    def __init__(self, room_id: UUID, user_id: str) -> None:
        self.room_id = room_id
        self.user_id = user_id
        self.open_sessions: dict[str, datetime] = {}
        self.closed_sessions: set[str] = set()

    def join(self, session_id: str, at: datetime, role: str | None) -> bool:
        if session_id in self.open_sessions or session_id in self.closed_sessions:
            return False
        self._join(self.room_id, self.user_id, session_id, at, role)
        return True

    @event("Joined")
    def _join(self, room_id: UUID, user_id: str, session_id: str, at: datetime, role: str | None) -> None:
        self.open_sessions[session_id] = at

    def leave(self, session_id: str, at: datetime) -> bool:
        if session_id in self.closed_sessions:
            return False
        joined = self.open_sessions.get(session_id)
        if joined is not None and at < joined:
            at = joined  # Safeguard: a media server's clock ran backwards; never a negative duration.
        self._leave(self.room_id, self.user_id, session_id, at)
        return True

    @event("Left")
    def _leave(self, room_id: UUID, user_id: str, session_id: str, at: datetime) -> None:
        self.open_sessions.pop(session_id, None)
        self.closed_sessions.add(session_id)
