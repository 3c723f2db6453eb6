"""Ids as the text the read tables keep, for less: a batch turns the same UUIDs into text many times.

`str(UUID)` is pure Python (about 1 µs): a replay of the catalog called it
seven times per ticket (its id in `prepare` and in each handler, its room's
and tier's), a fifth of the catalog's CPU. `id_text` gives exactly what `str`
gives, and keeps a UUID's text by its number (an int: hashed in C), so each id
is formatted once while it recurs: a room's id in every one of its thousand
sales, a ticket's in its reservation and its payment. The memory is bounded:
past `KEPT` ids it starts afresh. Anything but a `UUID` is `str`'d as before.
Imports the standard library only.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

KEPT = 100_000  # ids whose text is kept (about 15 MB); a batch of 5,000 events names at most ~15,000
_texts: dict[int, str] = {}


def id_text(value: Any) -> str:
    """`str(value)`; a UUID's text comes from the kept texts when it was asked for lately."""
    if type(value) is UUID:
        number = value.int
        text = _texts.get(number)
        if text is None:
            if len(_texts) >= KEPT:
                _texts.clear()
            text = _texts[number] = str(value)
        return text
    return str(value)
