"""Deterministic ids: a retry derives the same id and lands on the same record.

An id derived from several parts must never be shared by two different tuples
of parts. Joining free text with `:` was not enough: holder `alice` with key
`x:k` and holder `alice:x` with key `k` both named `ticket:<room>:alice:x:k`
and so got the same ticket. `derive_id` hashes an unambiguous encoding instead.

Stability: ids made before this change used the `:`-joined name. When no part
contains `:`, that name is unambiguous (the separator cannot occur inside a
part), so such tuples keep their old id and a retry of an old request still
lands on its record. Any tuple with a `:` in a part is named by its JSON
encoding (a list of strings, which always starts with `[` and so can never
equal a `:`-joined name that starts with the kind).
"""

from __future__ import annotations

import json
from uuid import UUID, uuid5

NAMESPACE = UUID("5b0c5e1e-7d2a-4f7e-9a51-b0c5e1e7d2a4")


def derive_id(kind: str, *parts: object) -> UUID:
    """A UUID that names exactly this (kind, parts) tuple, whatever the parts hold."""
    texts = [kind, *(str(part) for part in parts)]
    if not any(":" in text for text in texts):
        return uuid5(NAMESPACE, ":".join(texts))  # the legacy name: unambiguous without `:` in a part
    return uuid5(NAMESPACE, json.dumps(texts, ensure_ascii=True, separators=(",", ":")))


def creator_id_for(user_id: str) -> UUID:
    return uuid5(NAMESPACE, f"creator:{user_id}")  # one free part, last: unambiguous as it is


def ticket_id_for(room_id: UUID, holder_id: str, idempotency_key: str) -> UUID:
    return derive_id("ticket", room_id, holder_id, idempotency_key)


def room_id_for(host_id: str, idempotency_key: str) -> UUID:
    return derive_id("room", host_id, idempotency_key)


def refund_id_for(ticket_id: UUID, key: str) -> UUID:
    """The refund the system itself keys (`full`, `room_cancelled`, `processor:<id>`...)."""
    return uuid5(NAMESPACE, f"refund:{ticket_id}:{key}")  # a UUID then one free part: unambiguous


def client_refund_id_for(ticket_id: UUID, idempotency_key: str) -> UUID:
    """The refund a caller's Idempotency-Key names: apart from every system key, so a
    caller sending `processor:re_1` or `room_cancelled` cannot land on a system refund."""
    return uuid5(NAMESPACE, json.dumps(["refund", str(ticket_id), "client", idempotency_key], ensure_ascii=True,
                                       separators=(",", ":")))


def offer_id_for(entry_id: UUID) -> UUID:
    """A waitlist entry gets at most one offer; its id derives from the entry's."""
    return uuid5(entry_id, "offer")


def offer_ticket_id(offer_id: UUID) -> UUID:
    """The ticket bought with a waitlist offer: the same id on every retry."""
    return uuid5(offer_id, "ticket")
