"""Codes: discounts and access codes a host hands out (pretix's vouchers, Eventbrite's promo and access codes).

A code belongs to its host and is unique per host, case-insensitively: its id
is derived from the host and the code folded to lower case, so two spellings
are one code. It is for one room, or for all of the host's rooms. It may take
a percentage or a fixed amount off (never below the price policy's minimum),
unlock hidden tiers, or both; it may be limited to some tiers, to a validity
window, and to `max_uses` tickets.

The use count is a guarded counter (domain/guards.py) checked and taken in the
purchase's transaction; the aggregate holds the terms, the guard a copy of
them so a sale never reads the event store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError, ValidationError
from domain.guards import CodeTerms
from domain.ids import NAMESPACE
from domain.money import Money
from domain.policies import as_utc

class CodeInvalidError(ValidationError):
    """The code does not exist for this room's host, or not for this room, tier or time."""

    code = "code_invalid"


class CodeExhaustedError(ConflictError):
    """Every use of the code is taken."""

    code = "code_exhausted"


class CodeTakenError(ConflictError):
    """The host already has this code (codes are case-insensitive)."""

    code = "code_taken"


CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,40}$")
# Assumption: no code is meant for more tickets than this; it keeps `max_uses` within the guard's
# integer column on every store (a larger count was a 500: SQLite and PostgreSQL overflowed).
MAX_CODE_USES = 1_000_000_000


def normalise_code(code: str) -> str:
    """Codes compare case-insensitively: `Summer25` and `SUMMER25` are one code."""
    return code.strip().casefold()


def code_id_for(host_id: str, code: str) -> UUID:
    return uuid5(NAMESPACE, f"code:{host_id}:{normalise_code(code)}")


class PromoCode(Aggregate):
    """A host's code. Created once; its terms do not change (a new code is a new code)."""

    @event("Created")
    def __init__(self, host_id: str, code: str, room_id: UUID | None, percent_off: int | None,
                 amount_off: int | None, currency: str | None, max_uses: int | None, valid_from: datetime | None,
                 valid_until: datetime | None, tier_ids: list[str], unlocks_tier_ids: list[str],
                 created_at: datetime) -> None:
        self.host_id = host_id
        self.code = code
        self.room_id = room_id
        self.percent_off = percent_off
        self.amount_off = amount_off
        self.currency = currency
        self.max_uses = max_uses
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.tier_ids = list(tier_ids)
        self.unlocks_tier_ids = list(unlocks_tier_ids)
        self.created_at = created_at

    @classmethod
    def create(cls, terms: CodeTerms, code: str, at: datetime) -> PromoCode:
        return cls._create(
            cls.Created, id=terms.code_id, host_id=terms.host_id, code=normalise_code(code), room_id=terms.room_id,
            percent_off=terms.percent_off, amount_off=terms.amount_off, currency=terms.currency,
            max_uses=terms.max_uses, valid_from=terms.valid_from, valid_until=terms.valid_until,
            tier_ids=sorted(str(t) for t in terms.tier_ids),
            unlocks_tier_ids=sorted(str(t) for t in terms.unlocks_tier_ids), created_at=at)

    @property
    def terms(self) -> CodeTerms:
        return CodeTerms(self.id, self.host_id, self.room_id, self.percent_off, self.amount_off, self.currency,
                         self.max_uses, self.valid_from, self.valid_until,
                         frozenset(UUID(t) for t in self.tier_ids), frozenset(UUID(t) for t in self.unlocks_tier_ids))


def check_code(host_id: str, code: str, room_id: UUID | None, percent_off: int | None, amount_off: Money | None,
               max_uses: int | None, valid_from: datetime | None, valid_until: datetime | None,
               tier_ids: Sequence[UUID], unlocks: Sequence[UUID]) -> CodeTerms:
    """The terms of a new code, or the shape rule it breaks."""
    if not CODE_PATTERN.match(code.strip()):
        raise ValidationError("a code is 3 to 40 letters, digits, '-' or '_'")
    if percent_off is not None and amount_off is not None:
        raise ValidationError("a code takes a percentage or an amount off, not both")
    if percent_off is None and amount_off is None and not unlocks:
        raise ValidationError("a code takes something off or unlocks a hidden tier")
    if percent_off is not None and not 1 <= percent_off <= 100:
        raise ValidationError("percent_off must be 1 to 100")
    if amount_off is not None and amount_off.amount < 1:
        raise ValidationError("amount_off must be positive")
    if max_uses is not None and not 1 <= max_uses <= MAX_CODE_USES:
        raise ValidationError(f"max_uses must be 1 to {MAX_CODE_USES:,}")
    start = as_utc(valid_from, "valid_from") if valid_from else None
    end = as_utc(valid_until, "valid_until") if valid_until else None
    if start and end and start >= end:
        raise ValidationError("valid_from must come before valid_until")
    return CodeTerms(
        code_id_for(host_id, code), host_id, room_id, percent_off,
        amount_off.amount if amount_off else None, amount_off.currency if amount_off else None, max_uses,
        start, end, frozenset(tier_ids), frozenset(unlocks))
