"""The library's JSON transcoder, decoding with orjson.

Every read of the log decodes stored events: a rebuild decodes every one, the
live projector and each aggregate load decode theirs. The library's decoder
(the standard `json` module with an object hook) cost 10.3 µs for a stored
`Ticket.Paid`; this one costs about 7. Encoding is the library's own, unchanged,
so what is stored is byte for byte what it was, and both read each other's data.

Assumption: orjson reads every document the library writes as `json` would,
except the ones it refuses (NaN, infinities, lone surrogates: we fall back) and
integers beyond 64 bits, which it turns into floats without a word. Events here
hold no floats (money is integer minor units), so any float in a decoded
document sends the whole document to the library's decoder: a huge integer is
never rounded.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder


class _NotExact(Exception):
    """A float in the document: let the standard decoder read it."""


class FastJSONTranscoder(JSONTranscoder):
    """Set as TRANSCODER_TOPIC by the composition root (store/env.py)."""

    def decode(self, data: bytes) -> Any:
        try:
            return self._revive(orjson.loads(data))
        except (orjson.JSONDecodeError, _NotExact):
            return super().decode(data)

    def _revive(self, value: Any) -> Any:
        """What the library's object hook makes of a parsed document: typed objects
        ({"_type_": ..., "_data_": ...}) become values, innermost first, as `json` does."""
        kind = type(value)
        if kind is dict:
            for key, item in value.items():
                if type(item) in _CONTAINERS:
                    value[key] = self._revive(item)
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._decode_obj(value)
            return value
        if kind is list:
            return [self._revive(item) if type(item) in _CONTAINERS else item for item in value]
        if kind is float:
            raise _NotExact
        return value


# Types that need a look inside (or, for float, a second opinion).
_CONTAINERS = frozenset({dict, list, float})
