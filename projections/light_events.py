"""Read only what the admission index needs from stored events, cheaply.

Every API process tails the whole event log for its admission index; in a
flash sale that is every `Ticket.Reserved` and `Ticket.Paid`, decoded once per
process. The library's mapper rebuilds each event in full (a JSON decoder with
an object hook, datetimes, UUIDs, the event object). The index reads four or
five plain fields, so this reader parses the stored JSON with orjson and hands
over those fields, and skips decoding events the index ignores.

It applies only where the stored state is plain JSON of the event's own
attributes: no cipher or compressor, and an event class at version 1 (nothing
to upcast) or one whose upcasts only add fields it does not read (declared
as `upcasts_only_add` on the class). Anything else goes through the mapper.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import resolve_topic


def uuid_text(h: str) -> str:
    """32 hex digits as the text str(UUID) gives, without building a UUID."""
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@functools.lru_cache(maxsize=1024)
def event_kind(topic: str) -> str:
    """`Ticket.Paid` for a stored topic such as `domain.sales.model:Ticket.Paid` (through the
    library's `resolve_topic`, so renamed or moved event classes are still recognised: the topics
    stored before the domain split are registered in domain/moved_topics.py)."""
    return str(resolve_topic(topic).__qualname__)


def _uuid_text(value: Any) -> Any:
    """The transcoder's {"_type_": "uuid_hex", "_data_": hex} as the text str(UUID) gives."""
    if isinstance(value, dict) and value.get("_type_") == "uuid_hex":
        return uuid_text(value["_data_"])
    return value


class LightReader:
    def __init__(self, mapper: Any, kinds: Collection[str]) -> None:
        """`kinds`: the event class names (`Ticket.Paid`) the reader's user applies."""
        self._mapper = mapper
        self._kinds = frozenset(kinds)
        self._plain = getattr(mapper, "cipher", None) is None and getattr(mapper, "compressor", None) is None
        self._by_topic: dict[str, tuple[str, bool]] = {}

    def kind(self, topic: str) -> tuple[str, bool]:
        """(class name, can be read lightly) for a topic, worked out once."""
        known = self._by_topic.get(topic)
        if known is None:
            try:
                name = event_kind(topic)
                cls = resolve_topic(topic)
                light = self._plain and (
                    getattr(cls, "class_version", 1) == 1
                    # upcasts that only add fields this reader never reads change nothing it reads
                    or not _FIELDS & getattr(cls, "upcasts_only_add", _FIELDS)
                )
            except Exception:  # a topic this code no longer knows: leave it to the mapper
                name, light = topic.rsplit(":", 1)[-1], False
            known = self._by_topic[topic] = (name, light)
        return known

    def read(self, notification: Any) -> tuple[str, Any] | None:
        """(kind, event-like object), or None for an event the user ignores."""
        name, light = self.kind(notification.topic)
        if name not in self._kinds:
            return None
        if not light:
            return name, self._mapper.to_domain_event(notification)
        state = orjson.loads(notification.state)
        oid = notification.originator_id
        fields = {k: _uuid_text(v) for k, v in state.items() if k in _FIELDS}
        return name, SimpleNamespace(originator_id=oid if isinstance(oid, UUID) else UUID(str(oid)), **fields)


# The attributes the admission index reads (projections/admission_index.py).
_FIELDS = frozenset({"room_id", "holder_id", "host_id", "user_id", "full", "access_revoked", "won", "from_holder_id",
                     "to_holder_id"})
