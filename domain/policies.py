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
class EligibilityClaims:
    """What a signed source says about the caller: their identity token's `followers` and
    `age_verified` claims (None: the token does not say)."""

    followers: int | None = None
    age_verified: bool | None = None


@dataclass(frozen=True)
class EligibilityFacts:
    """What the eligibility rules judge, and where the follower count came from."""

    followers: int | None
    age_verified: bool | None
    rooms_hosted_30d: int
    source: str  # "token", "attested" (by an admin or the platform service) or "self_declared"


@dataclass(frozen=True)
class HostEligibility:
    """Who may open a (ticketed) room, as Ticketed Spaces ran it; every refusal names its rule.

    Seed rule: at least 600 followers to host. Optionally: more followers to sell
    tickets, a verified age of 18 or more, and a number of rooms hosted (gone live)
    in the last 30 days. Every room here sells tickets, so all rules apply when a
    room is opened. Facts come from a trusted source (a signed claim in the
    caller's token, else an attestation by an admin or the platform service);
    the count the creator declares themself counts only when `trust_self_declared`
    (development; production refuses it).
    """

    min_followers: int = 600
    min_followers_to_sell: int | None = None
    require_age_verified: bool = False
    min_rooms_hosted_30d: int = 0
    trust_self_declared: bool = True

    def facts_for(self, self_declared: int, attested_followers: int | None, attested_age_verified: bool | None,
                  claims: EligibilityClaims | None, rooms_hosted_30d: int = 0) -> EligibilityFacts:
        claims = claims or EligibilityClaims()
        if claims.followers is not None:
            followers, source = claims.followers, "token"
        elif attested_followers is not None:
            followers, source = attested_followers, "attested"
        elif self.trust_self_declared:
            followers, source = self_declared, "self_declared"
        else:
            followers, source = None, "none"
        age = claims.age_verified if claims.age_verified is not None else attested_age_verified
        return EligibilityFacts(followers, age, rooms_hosted_30d, source)

    def check(self, facts: EligibilityFacts | int) -> None:
        """Raise NotEligibleError naming the first rule the facts break (an int: a bare follower count)."""
        if isinstance(facts, int):
            facts = EligibilityFacts(facts, None, 0, "given")
        followers = facts.followers
        if followers is None:
            raise NotEligibleError(
                f"rule min_followers: hosting needs at least {self.min_followers} followers from a trusted source "
                "(a signed `followers` claim in the token, or an attestation); none is known", rule="min_followers")
        if followers < self.min_followers:
            raise NotEligibleError(
                f"rule min_followers: hosting needs at least {self.min_followers} followers; the creator has "
                f"{followers} ({facts.source})", rule="min_followers")
        if self.min_followers_to_sell is not None and followers < self.min_followers_to_sell:
            raise NotEligibleError(
                f"rule min_followers_to_sell: selling tickets needs at least {self.min_followers_to_sell} followers; "
                f"the creator has {followers} ({facts.source})", rule="min_followers_to_sell")
        if self.require_age_verified and not facts.age_verified:
            raise NotEligibleError("rule min_age: selling tickets needs a verified age of 18 or more "
                                   "(a signed `age_verified` claim, or an attestation)", rule="min_age")
        if facts.rooms_hosted_30d < self.min_rooms_hosted_30d:
            raise NotEligibleError(
                f"rule rooms_hosted_30d: selling tickets needs {self.min_rooms_hosted_30d} rooms hosted in the last "
                f"30 days; the creator hosted {facts.rooms_hosted_30d}", rule="rooms_hosted_30d")

    def allows(self, facts: EligibilityFacts) -> bool:
        try:
            self.check(facts)
        except NotEligibleError:
            return False
        return True


@dataclass(frozen=True)
class PricePolicy:
    """Ticket prices from 1.00 to 999.00 in whole major units of any accepted currency."""

    min_major: int = 1
    max_major: int = 999
    currencies: frozenset[str] = field(default_factory=lambda: frozenset(CURRENCY_EXPONENTS))

    @property
    def ceilings(self) -> dict[str, int]:
        """The highest price in minor units, per accepted currency (a pay-what-you-want amount stops there)."""
        return {c: minor_units(c, self.max_major) for c in self.currencies}

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

    def threshold(self, currency: str) -> int:
        """The threshold in minor units of `currency`."""
        return minor_units(currency, self.threshold_major)

    def split(self, gross: Money, lifetime_before: int) -> Split:
        threshold = self.threshold(gross.currency)
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
class CodePolicy:
    """What a refund does to a code's use (the shape of a code: domain/sales/codes.py, check_code).

    `use_back_on_refund`: a use is given back when its ticket is released (hold
    expired, payment failed, room cancelled before payment). After a paid ticket
    is refunded the use stays spent by default (the discount was enjoyed, and a
    buyer must not refund and rebuy to multiply a limited code);
    BOXOFFICE_CODE_USE_BACK_ON_REFUND=true gives it back instead.
    """

    use_back_on_refund: bool = False


@dataclass(frozen=True)
class ReschedulePolicy:
    """How long holders may refund themselves in full after their room was moved
    (domain/sales/refund_policies.py; BOXOFFICE_RESCHEDULE_REFUND_HOURS)."""

    refund_window: timedelta = timedelta(hours=48)


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
    codes: CodePolicy = CodePolicy()
    reschedule: ReschedulePolicy = ReschedulePolicy()
    max_transfers: int = 1  # times a paid ticket may be given away (BOXOFFICE_MAX_TRANSFERS)
    waitlist_offer: timedelta = timedelta(minutes=15)  # how long an offer holds a seat (BOXOFFICE_WAITLIST_OFFER_MINUTES)
