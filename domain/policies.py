"""Business policies: who may host, what a ticket may cost, how revenue splits.

Each is a small frozen value with defaults from ARCHITECTURE.md ("Money
rules"); the composition root builds them from settings. A policy that shapes
money carries a version, recorded in every event it decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.errors import (
    InvalidCapacityError,
    InvalidPriceError,
    InvalidScheduleError,
    NotEligibleError,
)
from domain.money import CURRENCY_EXPONENTS, Money, minor_units


@dataclass(frozen=True)
class HostEligibility:
    """Seed rule for opening a Space: at least 600 followers."""

    min_followers: int = 600

    def check(self, follower_count: int) -> None:
        if follower_count < self.min_followers:
            raise NotEligibleError(
                f"hosting needs at least {self.min_followers} followers; the creator has {follower_count}"
            )


@dataclass(frozen=True)
class PricePolicy:
    """Ticket prices from 1.00 to 999.00 in whole major units of any accepted currency."""

    min_major: int = 1
    max_major: int = 999
    currencies: frozenset[str] = field(default_factory=lambda: frozenset(CURRENCY_EXPONENTS))

    def check(self, price: Money) -> None:
        if price.currency not in self.currencies:
            raise InvalidPriceError(f"currency {price.currency} is not accepted")
        low, high = minor_units(price.currency, self.min_major), minor_units(price.currency, self.max_major)
        if not low <= price.amount <= high:
            raise InvalidPriceError(f"ticket price must be between {Money(low, price.currency)} and {Money(high, price.currency)}")


@dataclass(frozen=True)
class CapacityPolicy:
    maximum: int = 100_000

    def check(self, capacity: int) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise InvalidCapacityError("capacity must be a positive integer")
        if capacity > self.maximum:
            raise InvalidCapacityError(f"capacity may not exceed {self.maximum}")


@dataclass(frozen=True)
class SchedulePolicy:
    """A room starts now or within 14 days; a start a little in the past counts as now."""

    max_ahead: timedelta = timedelta(days=14)
    # Assumption: clients' clocks drift; a start up to a minute ago means "now".
    grace: timedelta = timedelta(seconds=60)

    def resolve_start(self, requested: datetime | None, now: datetime) -> datetime:
        if requested is None:
            return now
        requested = as_utc(requested, "scheduled_start")
        if requested < now - self.grace:
            raise InvalidScheduleError("scheduled_start is in the past")
        if requested > now + self.max_ahead:
            raise InvalidScheduleError(f"scheduled_start is more than {self.max_ahead.days} days ahead")
        return max(requested, now)

    def check_sales_end(self, sales_end: datetime | None, now: datetime) -> datetime | None:
        """The sales end in UTC; it must lie in the future."""
        if sales_end is None:
            return None
        sales_end = as_utc(sales_end, "sales_end")
        if sales_end <= now:
            raise InvalidScheduleError("sales_end must be in the future")
        return sales_end


def as_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidScheduleError(f"{name} must carry a timezone offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 lies beyond year 9999 in UTC
        raise InvalidScheduleError(f"{name} cannot be represented in UTC") from None


@dataclass(frozen=True)
class HoldPolicy:
    """How long a reserved seat waits for its payment."""

    hold: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Split:
    gross: int
    creator_share: int
    commission: int
    currency: str
    policy_version: str

    def __post_init__(self) -> None:
        # Safeguard, should never happen: the split must add up exactly.
        assert self.gross == self.creator_share + self.commission, self


@dataclass(frozen=True)
class CommissionPolicy:
    """97% of the gross within the creator's first 50,000.00 of lifetime revenue, 80% beyond.

    Lifetime revenue is per currency: gross of paid sales minus refunded gross.
    A sale that crosses the threshold is split at it; each part's share rounds
    down to the minor unit and the commission is the rest.
    """

    version: str = "tiered-97-80-v1"
    threshold_major: int = 50_000
    low_rate_bp: int = 9_700  # basis points of the part within the threshold
    high_rate_bp: int = 8_000  # basis points of the part beyond it

    def split(self, gross: Money, lifetime_before: int) -> Split:
        threshold = minor_units(gross.currency, self.threshold_major)
        within = max(0, min(gross.amount, threshold - max(lifetime_before, 0)))
        beyond = gross.amount - within
        share = within * self.low_rate_bp // 10_000 + beyond * self.high_rate_bp // 10_000
        return Split(gross.amount, share, gross.amount - share, gross.currency, self.version)

    @staticmethod
    def reverse(original: Split, refunded: int) -> tuple[int, int]:
        """(creator reversal, commission reversal) for refunding `refunded` of a sale.

        Proportional, rounding the creator's part down so the platform never
        claws back more than the creator received; a full refund reverses exactly.
        """
        if refunded >= original.gross:
            return original.creator_share, original.commission
        creator = refunded * original.creator_share // original.gross if original.gross else 0
        return creator, refunded - creator


@dataclass(frozen=True)
class Policies:
    eligibility: HostEligibility = HostEligibility()
    price: PricePolicy = PricePolicy()
    capacity: CapacityPolicy = CapacityPolicy()
    schedule: SchedulePolicy = SchedulePolicy()
    holds: HoldPolicy = HoldPolicy()
    commission: CommissionPolicy = CommissionPolicy()
    max_cohosts: int = 2
    max_speakers: int = 10
