"""Ticket tiers: what a room sells, at what price, how many, and when.

A room has one or more tiers (pretix's items with quotas, Eventbrite's ticket
classes). Each tier has its own price, cap and sales window; the room keeps
its own cap over all of them, so tiers whose caps add up to more than the
room's simply compete for the room's seats. An early bird is a tier whose
`sales_end` comes earlier. A hidden tier is sold only with an access code.

A room opened with one price and one capacity (as before tiers existed) has a
single default tier whose id is the room's own id: the migration gives every
older room that tier, and the upcaster of `Room.Opened` v1 says the same for
the aggregate, so old and new rooms are read one way.

Both caps are guarded counters (see domain/guards.py), checked in the
purchase's transaction; the aggregate holds the definitions, not the counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid5

from domain.guards import TierInventory
from domain.errors import InvalidCapacityError, InvalidPriceError, InvalidScheduleError, ValidationError
from domain.ids import NAMESPACE
from domain.money import Money
from domain.policies import PricePolicy, as_utc

DEFAULT_TIER_NAME = "General admission"
MAX_TIERS = 20  # Assumption: a room lists a handful of tiers; more is a client bug, not a product.


def tier_id_for(room_id: UUID, key: str) -> UUID:
    """A tier id derived from its room and a key (its position at open, or an Idempotency-Key)."""
    return uuid5(NAMESPACE, f"tier:{room_id}:{key}")


@dataclass(frozen=True)
class TierSpec:
    """A tier as the host asks for it, before it has an id."""

    name: str
    price: Money
    capacity: int
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    hidden: bool = False
    minimum_price: Money | None = None  # pay what you want: the least the buyer may name
    suggested_price: Money | None = None


@dataclass
class Tier:
    """A tier of a room, as its events left it."""

    id: str
    name: str
    price_amount: int
    price_currency: str
    capacity: int
    sales_start: datetime | None
    sales_end: datetime | None
    hidden: bool
    minimum_amount: int | None = None
    suggested_amount: int | None = None
    closed: bool = False
    added: TierSpec | None = None  # as `TierAdded` asked for it (reprices and resizes leave it): a retry compares

    def added_as(self, spec: TierSpec) -> bool:
        """Whether `spec` asks for this tier as it was added (the same Idempotency-Key again)."""
        return self.added is not None and replace(spec, name=spec.name.strip()) == self.added

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)

    def selling_at(self, now: datetime) -> bool:
        """The tier's own window is open (the room's state and cap are checked elsewhere)."""
        return (not self.closed and (self.sales_start is None or self.sales_start <= now)
                and (self.sales_end is None or now < self.sales_end))


@dataclass(frozen=True)
class TierPolicy:
    """Rules of a tier's shape; prices follow the price policy."""

    price: PricePolicy = PricePolicy()
    max_tiers: int = MAX_TIERS

    def check(self, spec: TierSpec, room_capacity: int, now: datetime) -> TierSpec:
        """The spec with its times in UTC, or the rule it breaks."""
        name = spec.name.strip()
        if not 1 <= len(name) <= 100:
            raise ValidationError("a tier's name must be 1 to 100 characters")
        self.price.check(spec.price)
        for other in (spec.minimum_price, spec.suggested_price):
            if other is not None and other.currency != spec.price.currency:
                raise InvalidPriceError("a tier's prices share one currency")
        if spec.minimum_price is not None:
            self.price.check(spec.minimum_price)
            if spec.minimum_price.amount > spec.price.amount:
                raise InvalidPriceError("a tier's minimum price may not exceed its price")
        if spec.suggested_price is not None:
            self.price.check(spec.suggested_price)
            if spec.minimum_price is None:
                raise InvalidPriceError("a suggested price goes with a minimum price (pay what you want)")
            if spec.suggested_price.amount < spec.minimum_price.amount:
                raise InvalidPriceError("a tier's suggested price may not be below its minimum price")
        check_tier_capacity(spec.capacity, room_capacity)
        start = as_utc(spec.sales_start, "sales_start") if spec.sales_start is not None else None
        end = as_utc(spec.sales_end, "sales_end") if spec.sales_end is not None else None
        if end is not None and end <= now:
            raise InvalidScheduleError("a tier's sales_end must be in the future")
        if start is not None and end is not None and start >= end:
            raise InvalidScheduleError("a tier's sales_start must come before its sales_end")
        return TierSpec(name, spec.price, spec.capacity, start, end, spec.hidden, spec.minimum_price,
                        spec.suggested_price)


def check_tier_capacity(capacity: int, room_capacity: int) -> None:
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise InvalidCapacityError("a tier's capacity must be a positive integer")
    if capacity > room_capacity:
        raise InvalidCapacityError(f"a tier's capacity may not exceed the room's ({room_capacity})")


def choose_tier(tiers: Mapping[UUID, TierInventory], room_id: UUID, wanted: UUID | None,
                now: datetime, unlocked: frozenset[UUID] = frozenset()) -> tuple[TierInventory | None, str]:
    """The tier a claim sells from, or why none: unknown_tier, tier_required, tier_not_on_sale.

    No tier named: the room's default tier while it sells, else the only visible tier that sells."""
    if wanted is None:
        default = tiers.get(room_id)
        if default is not None and not default.hidden and selling(default, now):
            return default, ""
        visible = [t for t in tiers.values() if not t.hidden and selling(t, now)]
        if len(visible) == 1:
            return visible[0], ""
        return None, "tier_required" if visible else "tier_not_on_sale"
    tier = tiers.get(wanted)
    if tier is None or (tier.hidden and wanted not in unlocked):  # a hidden tier sells with an access code only
        return None, "unknown_tier"
    return (tier, "") if selling(tier, now) else (None, "tier_not_on_sale")


def selling(tier: TierInventory, now: datetime) -> bool:
    """The tier's own window is open and it is not closed (the room's state and caps are checked elsewhere)."""
    return not tier.closed and (tier.sales_start is None or tier.sales_start <= now) and (
        tier.sales_end is None or now < tier.sales_end)


def price_claim(tiers: Mapping[UUID, TierInventory], room_id: UUID, host_id: str, wanted: UUID | None,
                code: Any, code_id: UUID | None, amount: int | None, now: datetime,
                ceilings: Mapping[str, int] | None) -> tuple[TierInventory | None, str, Any, int]:
    """(tier, "", code terms, list amount) for a claim, or (None, the refusal's name, None, 0).

    `code`: the guards' `CodeTerms` stored under `code_id`, or None if there is none; every store
    (SQL, in memory) looks it up its own way and decides here, so they answer alike."""
    if code is not None and (code.host_id != host_id or code.room_id not in (None, room_id)):
        code = None  # another host's code, or another room's
    tier, problem = choose_tier(tiers, room_id, wanted, now, code.unlocks_tier_ids if code else frozenset())
    if tier is None:
        return None, problem, None, 0
    if code_id is not None and (code is None or not code.applies(room_id, tier.tier_id, now)
                                or (code.amount_off is not None and code.currency != tier.price.currency)):
        return None, "code_invalid", None, 0  # an amount off in another currency took nothing off, and a use
    named = tier.price.amount
    if tier.minimum_amount is not None:  # pay what you want
        named = amount if amount is not None else named
        if named < tier.minimum_amount:
            return None, "below_minimum_price", None, 0
        if ceilings is not None and named > ceilings.get(tier.price.currency, named):
            return None, "above_maximum_price", None, 0
    elif amount is not None and amount != named:
        return None, "fixed_price", None, 0
    return tier, "", code, named
