"""Deterministic ids: a retry derives the same id and lands on the same record."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("5b0c5e1e-7d2a-4f7e-9a51-b0c5e1e7d2a4")


def creator_id_for(user_id: str) -> UUID:
    return uuid5(NAMESPACE, f"creator:{user_id}")


def ticket_id_for(room_id: UUID, holder_id: str, idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"ticket:{room_id}:{holder_id}:{idempotency_key}")


def room_id_for(host_id: str, idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"room:{host_id}:{idempotency_key}")


def refund_id_for(ticket_id: UUID, key: str) -> UUID:
    return uuid5(NAMESPACE, f"refund:{ticket_id}:{key}")
