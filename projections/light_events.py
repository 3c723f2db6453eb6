"""Read only what the admission index needs from stored events, cheaply.

Every API process tails the whole event log for its admission index; in a
flash sale that is every `Ticket.Sold` (on the sandbox; `Ticket.Reserved` and
`Ticket.Paid` with Stripe, and in older logs), decoded once per process. The library's mapper rebuilds each event in full (a JSON decoder with
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
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID, SafeUUID

import orjson
from eventsourcing.persistence import DatetimeAsISO, StoredEvent, UUIDAsHex, find_id_convertor
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


# --- whole events, cheaply (the projector's replay and catch-up) -------------------------------------


class EventDecoder:
    """The mapper's `to_domain_event`, for the projector: the same event object, built for less.

    Stored states of our events are flat: strings, ints, bools, None, and typed values
    ({"_type_": "uuid_hex" | "datetime_iso", "_data_": text}) at the top level. For those
    this decoder parses with orjson and turns each typed value into the object the
    library's transcodings make (`UUID(hex)`, `datetime.fromisoformat`), without the
    object hook's walk; then, as the mapper does, converts the originator id, upcasts
    through the class's own `upcast_vN_vN+1`, and builds the event object. Anything
    else (a cipher or compressor, transcodings other than the library's, a float, a
    list, a nested or unknown object, a malformed id) goes to the mapper unchanged.
    tests/properties/test_event_decoder.py holds both to the same events.
    """

    def __init__(self, mapper: Any) -> None:
        self.mapper = mapper
        transcoder = getattr(mapper, "transcoder", None)
        names = getattr(transcoder, "names", {})
        self._plain = (getattr(mapper, "cipher", None) is None and getattr(mapper, "compressor", None) is None
                       and type(names.get("uuid_hex")) is UUIDAsHex and type(names.get("datetime_iso")) is DatetimeAsISO)
        # topic -> (event class, its version, the keys its typed values were under, its UUID id convertor)
        self._classes: dict[str, tuple[type, int, list[str], Any]] = {}

    def to_domain_event(self, stored: Any) -> Any:
        event = self._event(stored.topic, stored.state, stored.originator_id, stored.originator_version)
        return self.mapper.to_domain_event(stored) if event is None else event

    def from_row(self, row: tuple[Any, ...]) -> Any:
        """The event of a stored row (id, originator_id, originator_version, topic, state), as
        `to_domain_event` gives it for the row's `StoredEvent` (the recorder's plain rows: a replay)."""
        _, originator_id, originator_version, topic, state = row
        event = self._event(topic, state, originator_id, originator_version)
        if event is None:
            return self.mapper.to_domain_event(StoredEvent(originator_id=originator_id,
                                                           originator_version=originator_version,
                                                           topic=topic, state=state))
        return event

    def _event(self, topic: str, data: bytes, originator_id: Any, originator_version: int) -> Any:
        """The event, or None where only the mapper decodes it exactly."""
        known = self._classes.get(topic)
        if known is None:
            cls = resolve_topic(topic)
            known = self._classes[topic] = (cls, getattr(cls, "class_version", 1), [], find_id_convertor(cls, UUID))
        cls, class_version, typed, from_uuid = known
        state = _state(data, typed) if self._plain else None
        if state is None:
            return None
        state["originator_id"] = (from_uuid if type(originator_id) is UUID
                                  else find_id_convertor(cls, type(originator_id)))(originator_id)
        state["originator_version"] = originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event = _new(cls)
        _set(event, "__dict__", state)
        return event


def _state(data: bytes, typed: list[str]) -> dict[str, Any] | None:
    """The decoded state, or None where only the mapper decodes it exactly.

    `typed`: the keys that held typed values in this topic's earlier events (learnt
    here). Only those are looked at, once a glance at all the values' types shows
    no float and no list, and as many dicts as those keys hold; otherwise every
    value is looked at, and the keys learnt again.
    """
    try:
        state = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(state) is not dict or "_type_" in state:  # the whole state a typed object: the mapper's hook's
        return None
    kinds = list(map(type, state.values()))
    if float in kinds or list in kinds:  # a float (or a 64-bit overflow), or nested values: the mapper
        return None
    dicts = kinds.count(dict)
    if dicts:
        for key in typed:
            value = state.get(key)
            if type(value) is dict:
                value = state[key] = _revive(value)
                if value is None:
                    return None
                dicts -= 1
        if dicts:  # typed values under other keys: look at them all, and learn them
            typed[:] = [key for key, value in state.items() if type(value) is dict or key in typed]
            for key, value in state.items():
                if type(value) is dict:
                    value = state[key] = _revive(value)
                    if value is None:
                        return None
    return state


def _revive(value: dict[str, Any]) -> Any:
    """What the library's transcodings make of {"_type_": ..., "_data_": text}; None for anything else."""
    data = value.get("_data_")
    if len(value) != 2 or type(data) is not str:
        return None
    typed = value.get("_type_")
    if typed == "uuid_hex":
        # `UUID(data)` takes a 32-character text as it is: its number is int(data, 16), and a
        # negative one (a leading "-") is refused. Anything else is left to the mapper.
        uuid = _uuids.get(data)
        if uuid is not None:  # revived from this very text lately (a room's id recurs in each of its sales)
            return uuid
        if len(data) != 32:
            return None
        try:
            number = int(data, 16)
        except ValueError:
            return None
        if number < 0:
            return None
        uuid = _new(UUID)
        _set(uuid, "int", number)
        _set(uuid, "is_safe", _UNKNOWN)
        if len(_uuids) >= _UUIDS_KEPT:
            _uuids.clear()
        _uuids[data] = uuid
        return uuid
    if typed == "datetime_iso":
        return _fromisoformat(data)
    return None


_new, _set, _UNKNOWN, _fromisoformat = object.__new__, object.__setattr__, SafeUUID.unknown, datetime.fromisoformat
# Revived UUIDs by their text: the same immutable object for the same id (as equal as the mapper's
# fresh ones). Bounded: past this many, it starts afresh.
_uuids: dict[str, UUID] = {}
_UUIDS_KEPT = 10_000
