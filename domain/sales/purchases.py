"""What a purchase asks for and what it is answered: the requests the reservation batch takes, the
payment outcomes the settlement batch records, the purchase a buyer gets back, and the guards' refusal
codes as the domain's errors. Kept apart from the commands (domain/sales/commands.py) that batch them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.errors import (
    BelowMinimumPriceError,
    FixedPriceError,
    InvalidPriceError,
    NotFoundError,
    NotOnSaleError,
    SoldOutError,
    TierNotOnSaleError,
    TierRequiredError,
    TierSoldOutError,
    UnknownTierError,
)
from domain.payments import PaymentSession
from domain.sales.codes import CodeExhaustedError, CodeInvalidError
from domain.sales.model import Ticket


@dataclass(frozen=True)
class ReserveRequest:
    room_id: UUID
    holder_id: str
    ticket_id: UUID
    idempotency_key: str | None
    payment_method: str | None = None
    tier_id: UUID | None = None  # None: the room's default (or only visible) tier
    code: str | None = None  # a discount or access code, folded to lower case
    amount: int | None = None  # pay what you want: what the buyer names (minor units of the tier's currency)
    skipped: int = 0  # batches that found its room held by another process and carried it on (BUSY_SKIPS)


@dataclass(frozen=True)
class Settlement:
    """A payment outcome to record for a ticket."""

    ticket_id: UUID
    session: PaymentSession
    fresh: Ticket | None = None  # the aggregate just reserved, to skip a reload
    dedupe_key: str | None = None  # a webhook event id, recorded with the effect


@dataclass(frozen=True)
class Purchase:
    ticket: Ticket
    session: PaymentSession | None
    position: int | None
    replayed: bool = False
    payment_error: str | None = None
    queue_position: int | None = None  # the payment waits for the processor's rate budget (PaymentQueued)


CLAIM_ERRORS = {
    "sold_out": SoldOutError,
    "not_on_sale": NotOnSaleError,
    "unknown_room": NotFoundError,
    "tier_sold_out": TierSoldOutError,
    "tier_not_on_sale": TierNotOnSaleError,
    "unknown_tier": UnknownTierError,
    "tier_required": TierRequiredError,
    "code_invalid": CodeInvalidError,
    "code_exhausted": CodeExhaustedError,
    "below_minimum_price": BelowMinimumPriceError,
    "fixed_price": FixedPriceError,
    "above_maximum_price": InvalidPriceError,
}
# Refusals that a sweep of expired holds may turn into a seat.
SOLD_OUT = frozenset({"sold_out", "tier_sold_out"})
# A request whose room another process held is carried into the next batch this many times at most;
# a batch holding one carried so often waits for its rooms (Assumption: a room is rarely held that long).
BUSY_SKIPS = 2
