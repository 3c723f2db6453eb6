"""The check-in log: media servers report participants joining and leaving."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.attendance.media_rooms import MediaRoom, media_room_id
from domain.attendance.model import Presence, presence_id
from domain.clock import Clock
from domain.guards import WriteGuards
from domain.rooms.model import Room, RoomState
from domain.unit_of_work import UnitOfWork


class MediaCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def record_media_events(self, reports: list[dict],
                            dedupe_key: str | None = None) -> tuple[int, int | None]:
        """Record participants joining and leaving. Each report: type (joined|left), room_id,
        user_id, session_id, at, role?. Returns how many changed something, and the position.
        With a `dedupe_key` (a media server's webhook id) the key is recorded in the same
        transaction; seen before, nothing is written (DuplicateDeliveryError)."""
        presences: dict[UUID, Presence] = {}
        changed = 0
        for report in reports:
            pid = presence_id(report["room_id"], report["user_id"])
            if pid not in presences:
                found = self.uow.find(Presence, pid)
                presences[pid] = found if found is not None else Presence.track(report["room_id"], report["user_id"])
            presence = presences[pid]
            if report["type"] == "joined":
                changed += presence.join(report["session_id"], report["at"], report.get("role"))
            else:
                changed += presence.leave(report["session_id"], report["at"])
        _, position = self.uow.transact(lambda guards: (None, list(presences.values())), dedupe_key)
        return changed, position

    def _media_room(self, room_id: UUID) -> MediaRoom:
        found = self.uow.find(MediaRoom, media_room_id(room_id))
        return found if found is not None else MediaRoom.track(room_id)

    def set_end_room_when_finished(self, actor_id: str, room_id: UUID, value: bool) -> int | None:
        """The host's option: end the room when the media server reports it finished."""
        self.uow.load(Room, room_id, "room").check_host(actor_id)
        media = self._media_room(room_id)
        if not media.set_end_room_when_finished(value, actor_id, self.clock.now()):
            return None
        position = self.uow.record([media])
        return position

    def record_media_room_finished(self, room_id: UUID, session_id: str, at: datetime, source: str,
                                   dedupe_key: str | None = None) -> tuple[bool, int | None]:
        """The media server closed the room's session (LiveKit `room_finished`); recorded once.
        With the host's option set, a live room ends in the same transaction (sales close).
        Returns (whether the room was ended, the position)."""
        media = self._media_room(room_id)
        media.finish(session_id, at, source)
        room = None
        if media.end_room_when_finished:
            room = self.uow.load(Room, room_id, "room")
            if room.state is RoomState.LIVE:
                room.end(self.clock.now())
            else:
                room = None

        def decide(guards: WriteGuards) -> tuple[None, list]:
            if room is not None:
                guards.close_sales(room.id)
            return None, [media] + ([room] if room is not None else [])

        _, position = self.uow.transact(decide, dedupe_key)
        return room is not None, position
