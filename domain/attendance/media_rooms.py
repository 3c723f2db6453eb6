"""What the media server says about a room's own session: LiveKit's `room_finished`.

One small aggregate per room (never the Room itself, whose stream carries the
sales-facing changes), so a media server's report never contends with a sale.
If the host chose so, the report also ends the room (in the same transaction).
The same report twice is recorded once (its webhook id is deduplicated where
the event is written, see MediaCommands).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.ids import NAMESPACE


def media_room_id(room_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"media-room:{room_id}")


class MediaRoom(Aggregate):
    @classmethod
    def track(cls, room_id: UUID) -> MediaRoom:
        """Start tracking a room's media session: one stream per room, its id derived."""
        return cls._create(cls.Tracked, id=media_room_id(room_id), room_id=room_id)

    @event("Tracked")
    def __init__(self, room_id: UUID) -> None:
        self.room_id = room_id
        self.finished_sessions: list[str] = []
        self.end_room_when_finished = False

    def set_end_room_when_finished(self, value: bool, by: str, at: datetime) -> bool:
        """The host's option: when the media server closes the room's session, end the room."""
        if value == self.end_room_when_finished:
            return False
        self._set_end_room_when_finished(value, by, at)
        return True

    @event("EndRoomWhenFinishedSet")
    def _set_end_room_when_finished(self, value: bool, by: str, at: datetime) -> None:
        self.end_room_when_finished = value

    def finish(self, session_id: str, at: datetime, source: str) -> bool:
        if session_id in self.finished_sessions:
            return False
        self._finish(self.room_id, session_id, at, source)
        return True

    @event("Finished")
    def _finish(self, room_id: UUID, session_id: str, at: datetime, source: str) -> None:
        self.finished_sessions.append(session_id)
