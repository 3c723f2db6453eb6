"""The check-in log: media servers report participants joining and leaving."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.attendance import Presence, presence_id
from domain.media_rooms import MediaRoom, media_room_id

if TYPE_CHECKING:
    from domain.application import BoxOffice


class MediaCommands:
    def record_media_events(self: BoxOffice, reports: list[dict],
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
                try:
                    presences[pid] = self.repository.get(pid)  # type: ignore[assignment]
                except AggregateNotFoundError:
                    presences[pid] = Presence._create(Presence.Tracked, id=pid, room_id=report["room_id"],
                                                      user_id=report["user_id"])
            presence = presences[pid]
            if report["type"] == "joined":
                changed += presence.join(report["session_id"], report["at"], report.get("role"))
            else:
                changed += presence.leave(report["session_id"], report["at"])
        _, position = self.transact(lambda guards: (None, list(presences.values())), dedupe_key)
        return changed, position

    def record_media_room_finished(self: BoxOffice, room_id: UUID, session_id: str, at: datetime, source: str,
                                   dedupe_key: str | None = None) -> int | None:
        """The media server closed the room's session (LiveKit `room_finished`); recorded once."""
        mid = media_room_id(room_id)
        try:
            media: MediaRoom = self.repository.get(mid)  # type: ignore[assignment]
        except AggregateNotFoundError:
            media = MediaRoom._create(MediaRoom.Tracked, id=mid, room_id=room_id)
        media.finish(session_id, at, source)
        _, position = self.transact(lambda guards: (None, [media]), dedupe_key)
        return position
