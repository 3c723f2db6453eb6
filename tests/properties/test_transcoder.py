"""The fast transcoder reads every document exactly as the library's own does.

Contract: for anything the library can encode, `FastJSONTranscoder.decode` returns
what `JSONTranscoder.decode` returns (same values, same types), and both write the
same bytes. Integers beyond 64 bits are the trap: orjson would make them floats.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from store.transcoder import FastJSONTranscoder


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY = registered(JSONTranscoder())
FAST = registered(FastJSONTranscoder())


def both_decode(obj: object) -> tuple[object, object]:
    data = LIBRARY.encode(obj)
    assert FAST.encode(obj) == data
    return LIBRARY.decode(data), FAST.decode(data)


def same(a: object, b: object) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True would hide a float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, float) and a != a:  # NaN
        return b != b
    return a == b


def test_a_stored_sale_decodes_to_the_same_values_and_types() -> None:
    state = {"timestamp": datetime(2026, 11, 22, 9, 29, 24, 760850, tzinfo=UTC), "room_id": uuid4(),
             "creator_id": "creator-0", "gross": 999, "creator_share": 969, "currency": "USD",
             "paid_at": datetime(2026, 1, 1, tzinfo=UTC), "seat_held": True, "charge_id": None}

    library, fast = both_decode(state)

    assert same(library, fast)
    assert isinstance(fast["room_id"], UUID) and isinstance(fast["paid_at"], datetime)  # type: ignore[index]


@pytest.mark.parametrize("big", [2**63, -(2**63) - 1, 2**64 - 1, 2**64, 10**30, -(10**40)])
def test_integers_beyond_64_bits_stay_exact_integers(big: int) -> None:
    library, fast = both_decode({"amount": big, "nested": [{"amount": big}]})

    assert same(library, fast)
    assert fast["amount"] == big and type(fast["amount"]) is int  # type: ignore[index]


def test_what_orjson_refuses_is_read_by_the_standard_decoder() -> None:
    for obj in ({"x": float("nan")}, {"x": float("inf")}, {"x": float("-inf")}, [1.5, {"y": -0.0}]):
        library, fast = both_decode(obj)

        assert same(library, fast)


def test_typed_values_inside_lists_and_typed_data_inside_typed_values() -> None:
    ids = [uuid4() for _ in range(3)]
    obj = {"ids": ids, "deep": [[{"at": datetime(2030, 5, 6, tzinfo=UTC)}]], "price": Decimal("12.30"),
           "lookalike": {"_type_": "not a transcoding key", "other": 1}}

    library, fast = both_decode(obj)

    assert same(library, fast)
    assert fast["ids"] == ids  # type: ignore[index]


def test_an_unknown_transcoding_name_raises_as_the_library_does() -> None:
    data = b'{"x":{"_type_":"no_such_type","_data_":"1"}}'

    with pytest.raises(TranscodingNotRegisteredError):
        LIBRARY.decode(data)
    with pytest.raises(TranscodingNotRegisteredError):
        FAST.decode(data)


json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
                | st.uuids() | st.datetimes(timezones=st.just(UTC)).map(lambda d: d + timedelta(0))
                | st.decimals(allow_nan=False, allow_infinity=False))
keys = st.text(max_size=8).filter(lambda k: k not in ("_type_", "_data_"))
documents = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(keys, inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_any_document_the_library_writes_reads_back_the_same(obj: object) -> None:
    library, fast = both_decode(obj)

    assert same(library, fast)
