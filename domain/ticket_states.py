"""A ticket's states and its refunds' states, and the upcast of its reservations stored before tiers.

Kept beside domain/tickets.py (which re-exports them) so that the aggregate's
module holds its commands and events.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class TicketStatus(StrEnum):
    RESERVED = "reserved"
    PAID = "paid"
    RELEASED = "released"
    REFUNDED = "refunded"
    REVOKED = "revoked"


@dataclass
class RefundState:
    refund_id: UUID
    amount: int
    status: str  # requested | succeeded | failed
    attempt: int
    reason: str
    processor_refund_id: str | None = None
    full: bool = False  # this refund left nothing to refund: what a request without an amount does


def upcast_reserved_v1_v2(state: dict) -> None:
    """Before tiers and codes: the room's default tier (its id is the room's), at list price."""
    state["tier_id"] = state["room_id"]
    state["list_amount"] = state["price_amount"]
    state["discount_amount"] = 0
    state["code"] = None
