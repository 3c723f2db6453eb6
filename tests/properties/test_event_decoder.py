"""The projector's cheap decoder gives exactly the event the library's mapper gives.

Contract (projections/light_events.py, `EventDecoder`): for every event class the
catalog and the ledger handle, stored at its current version or at version 1
(then upcast), under its topic or under the topic it had before the domain split
(domain/moved_topics.py), the decoder returns an object of the same class whose
attributes are equal to the mapper's and of the same types (a UUID stays a UUID,
a datetime stays an aware UTC datetime, money stays int). Where the decoder cannot
be sure (a float, an integer beyond 64 bits, a nested value), it hands over to the
mapper, which these tests check by the same comparison.
"""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, Mapper, StoredEvent, UUIDAsHex
from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.moved_topics import OLD_MODULES, old_topic
from domain.rooms.model import Room
from domain.sales.model import Ticket
from payouts.model import Payout
from projections.catalog import CatalogProjection
from projections.ledger import LedgerProjection
from projections import light_events
from projections.light_events import EventDecoder
from store.transcoder import FastJSONTranscoder

AGGREGATES = {"Room": Room, "Ticket": Ticket, "Payout": Payout}
KINDS = sorted(set(CatalogProjection.handlers) | set(LedgerProjection.handlers))
CLASSES = [getattr(AGGREGATES[k.split(".")[0]], k.split(".")[1]) for k in KINDS]


def mapper_with(transcoder: Any) -> Mapper:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


MAPPER = mapper_with(FastJSONTranscoder())
DECODER = EventDecoder(MAPPER)

INT64 = st.integers(-(2**63), 2**63 - 1)
UTC_TIMES = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def values_for(hint: Any) -> st.SearchStrategy[Any]:
    if typing.get_origin(hint) in (typing.Union, getattr(__import__("types"), "UnionType")):
        return st.one_of(*[values_for(arg) for arg in typing.get_args(hint)])
    return {UUID: st.uuids(), datetime: UTC_TIMES, int: INT64, str: st.text(max_size=20), bool: st.booleans(),
            type(None): st.none()}[hint]


def fields_of(cls: type) -> dict[str, Any]:
    """The stored attributes of an event class (the mapper adds the originator's id and version)."""
    hints = typing.get_type_hints(cls)
    return {name: hint for name, hint in hints.items()
            if name not in ("originator_id", "originator_version", "originator_id_type")}


@st.composite
def stored_events(draw: st.DrawFn, cls: type) -> StoredEvent:
    state = {name: draw(values_for(hint)) for name, hint in fields_of(cls).items()}
    if "originator_topic" in state:  # a Created event names its aggregate's topic
        state["originator_topic"] = get_topic(AGGREGATES[cls.__qualname__.split(".")[0]])
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", {"originator_id": draw(st.uuids()),
                                           "originator_version": draw(st.integers(1, 10**6)), **state})
    stored = MAPPER.to_stored_event(event)
    aggregate = AGGREGATES[cls.__qualname__.split(".")[0]]
    if aggregate in OLD_MODULES and draw(st.booleans()):  # stored before the domain split
        stored = StoredEvent(stored.originator_id, stored.originator_version,
                             old_topic(aggregate) + cls.__qualname__[len(aggregate.__qualname__):], stored.state)
    if getattr(cls, "class_version", 1) > 1 and draw(st.booleans()):  # stored at version 1, before the upcasts
        old = MAPPER.transcoder.decode(stored.state)
        del old["class_version"]
        for name in cls.upcasts_only_add:
            old.pop(name, None)
        stored = StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                             MAPPER.transcoder.encode(old))
    return stored


def same(a: object, b: object) -> bool:
    """Same class, and equal attributes of the same types (1 == True == 1.0 would hide a float or a bool)."""
    if type(a) is not type(b) or vars(a).keys() != vars(b).keys():
        return False
    for name, value in vars(a).items():
        other = vars(b)[name]
        if type(value) is not type(other) or value != other:
            return False
        if isinstance(value, datetime) and (value.tzinfo is not other.tzinfo or value.utcoffset() != other.utcoffset()):
            return False
    return True


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_event_the_catalog_and_the_ledger_handle_decodes_as_the_mapper_decodes_it(data: st.DataObject) -> None:
    for cls in CLASSES:
        stored = data.draw(stored_events(cls), label=cls.__qualname__)
        assert light_events._state(stored.state, []) is not None  # read by the decoder itself, not handed to the mapper
        expected, got = MAPPER.to_domain_event(stored), DECODER.to_domain_event(stored)
        assert same(expected, got), (cls.__qualname__, vars(expected), vars(got))


def test_every_kind_the_projections_handle_is_covered() -> None:
    assert len(CLASSES) == len(KINDS) >= 30
    assert {c.__qualname__ for c in CLASSES} == set(KINDS)


@settings(max_examples=20, deadline=None)
@given(stored_events(Ticket.Released))
def test_a_datetime_comes_back_aware_and_in_utc(stored: StoredEvent) -> None:
    event = DECODER.to_domain_event(stored)
    assert event.at.utcoffset() is not None and event.at.utcoffset().total_seconds() == 0
    assert isinstance(event.room_id, UUID) and str(event.room_id) == str(MAPPER.to_domain_event(stored).room_id)


@settings(max_examples=60, deadline=None)
@given(big=st.one_of(st.integers(2**63, 2**80), st.integers(-(2**80), -(2**63) - 1)),
       extra=st.one_of(st.none(), st.floats(allow_nan=False), st.lists(st.integers(), max_size=3),
                       st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)))
def test_what_the_decoder_cannot_read_exactly_is_read_by_the_mapper(big: int, extra: Any) -> None:
    """An integer beyond 64 bits (orjson would make it a float), a float, a list, a plain dict."""
    event = object.__new__(Ticket.Released)
    object.__setattr__(event, "__dict__", {"originator_id": UUID(int=7), "originator_version": 2,
                                           "timestamp": datetime(2026, 1, 1, tzinfo=UTC), "room_id": UUID(int=8),
                                           "holder_id": "h", "reason": "r", "at": datetime(2026, 1, 2, tzinfo=UTC),
                                           "amount": big, "extra": extra})
    stored = MAPPER.to_stored_event(event)
    expected, got = MAPPER.to_domain_event(stored), DECODER.to_domain_event(stored)
    assert same(expected, got) and got.amount == big


def test_malformed_ids_and_unknown_objects_fail_or_decode_as_the_mapper_does() -> None:
    base = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},"holder_id":"h",'
    for room in (b'"-' + b"1" * 31 + b'"', b'"{' + b"1" * 30 + b'}"', b'"' + b"1" * 31 + b'-"',
                 b'"+' + b"1" * 31 + b'"', b'"' + b"a" * 32 + b'"', b'"xyz"'):
        state = base + b'"room_id":{"_type_":"uuid_hex","_data_":' + room + b'},"reason":"r","at":null}'
        stored = StoredEvent(UUID(int=1), 1, get_topic(Ticket.Released), state)
        outcomes = []
        for decoder in (MAPPER, DECODER):
            try:
                outcomes.append(decoder.to_domain_event(stored))
            except Exception as exc:  # the mapper's own error, raised by the mapper in both cases
                outcomes.append(type(exc))
        if isinstance(outcomes[0], type):
            assert outcomes[0] is outcomes[1]
        else:
            assert same(*outcomes)
