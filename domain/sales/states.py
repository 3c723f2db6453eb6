"""A ticket's states and its refunds' states, the upcasts of its events, and what a transfer changes.

Kept beside domain/sales/model.py (which re-exports them) so that the aggregate's
module holds its commands and events.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
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


def upcast_paid_v1_v2(state: dict[str, object]) -> None:
    """Before version 2 the fee was taken to be in the ticket's currency, so the net is gross - fee."""
    state["fee_currency"] = state["currency"]
    state["net"] = int(state["gross"]) - int(state["fee"])  # type: ignore[call-overload]
    state["exchange_rate"] = None


def apply_transfer(ticket: Any, from_holder_id: str, to_holder_id: str, transfer_count: int,
                   idempotency_key: str | None) -> None:
    """`Ticket.Transferred`: the receiver holds the ticket; the buyer stays the payer (the payment,
    and so every refund, is the buyer's). `transfer_keys` maps each Idempotency-Key to (from, to)."""
    ticket.holder_id, ticket.transfer_count = to_holder_id, transfer_count
    if idempotency_key is not None:
        ticket.transfer_keys = {**ticket.transfer_keys, idempotency_key: (from_holder_id, to_holder_id)}
