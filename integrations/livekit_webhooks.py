"""LiveKit's webhooks turned into commands: participants joining and leaving feed the
attendance log, `room_finished` is recorded. Each webhook id is recorded in the same
transaction as its effect, so a redelivered webhook writes nothing twice.

LiveKit names the room by the name we gave it in the join token: our room id.
A room name that is not one of ours is acknowledged (its id still recorded) and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Callable
from uuid import UUID

from domain.errors import DuplicateDeliveryError

PRESENCE = {"participant_joined": "joined", "participant_left": "left", "participant_connection_aborted": "left"}


@dataclass(frozen=True)
class Outcome:
    event_id: str
    type: str
    handled: bool
    duplicate: bool = False
    position: int | None = None
    room_ended: bool = False


def _moment(seconds: int, fallback: datetime) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else fallback


def handle(app: Any, event: Any, role_of: Callable[[str, str], str | None]) -> Outcome:
    """Apply one verified `WebhookEvent`. `role_of(room_id, user_id)` gives the admission role."""
    kind, event_id = event.event, event.id
    key = f"livekit:{event_id}"
    now = app.clock.now()
    at = _moment(event.created_at, now)
    try:
        room_id = UUID(event.room.name) if event.room.name else None
    except ValueError:
        room_id = None
    try:
        if room_id is not None and kind in PRESENCE:
            participant = event.participant
            if kind == "participant_joined" and participant.joined_at:
                at = _moment(participant.joined_at, at)
            report = {"type": PRESENCE[kind], "room_id": room_id, "user_id": participant.identity,
                      "session_id": participant.sid or f"{participant.identity}:{event_id}", "at": at,
                      "role": role_of(str(room_id), participant.identity)}
            _, position = app.record_media_events([report], dedupe_key=key)
            return Outcome(event_id, kind, True, position=position)
        if room_id is not None and kind == "room_finished":
            ended, position = app.record_media_room_finished(room_id, event.room.sid or event_id, at, "livekit",
                                                             dedupe_key=key)
            return Outcome(event_id, kind, True, position=position, room_ended=ended)
        duplicate = not app.uow.acknowledge(key)
        return Outcome(event_id, kind, False, duplicate=duplicate)
    except DuplicateDeliveryError:
        return Outcome(event_id, kind, kind in PRESENCE or kind == "room_finished", duplicate=True)
