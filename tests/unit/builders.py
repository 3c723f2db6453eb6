"""Builders for the domain's unit tests: rooms opened through the application's commands, and the
events a command emitted, read back from the in-memory store.

Ids are unique per call, so tests never share a host or a room by accident.
"""

from __future__ import annotations

import uuid
from typing import Any

from domain.application import BoxOffice
from domain.money import Money
from domain.rooms.model import Room

ELIGIBLE_FOLLOWERS = 1_000


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def host(box: BoxOffice) -> str:
    """A registered creator who may host."""
    host_id = unique("host")
    box.register_creator(host_id, "Host", ELIGIBLE_FOLLOWERS)
    return host_id


def open_room(box: BoxOffice, capacity: int = 3, price: int = 1000, host_id: str | None = None, **kw: Any) -> Room:
    """A room on sale now at one price (its default tier), unless `tiers` are given."""
    room, _ = box.open_room(host_id or host(box), title="Room", scheduled_start=None,
                            price=None if kw.get("tiers") else usd(price), capacity=capacity, **kw)
    return room


def events_since(box: BoxOffice, position: int) -> list[Any]:
    """The domain events appended after `position` (see `box.uow.position()`), in log order."""
    return [box.mapper.to_domain_event(n) for n in box.recorder.select_notifications(start=position + 1, limit=100_000)]


def names(events: list[Any]) -> list[str]:
    """`Ticket.Reserved`, `Room.Cancelled`, ...: each event's class, qualified by its aggregate's."""
    return [type(e).__qualname__ for e in events]
