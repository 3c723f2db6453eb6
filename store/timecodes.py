"""Timestamps as exact epoch microseconds (BIGINT), the way every table of ours keeps them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)


@overload
def to_us(at: datetime) -> int: ...
@overload
def to_us(at: None) -> None: ...
@overload
def to_us(at: datetime | None) -> int | None: ...


def to_us(at: datetime | None) -> int | None:
    """Epoch microseconds, exactly: integer arithmetic on timedeltas. (A float timestamp
    times a million came out one microsecond early for some datetimes: about one in
    eighty between 1970 and 2033, e.g. 2004-10-27 03:59:33.676633.)
    A naive datetime is taken as UTC, the only time this service keeps."""
    if at is None:
        return None
    return (at - (_EPOCH if at.tzinfo is not None else _NAIVE_EPOCH)) // _US


def from_us(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=us)
