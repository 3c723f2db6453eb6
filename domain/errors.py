"""Typed domain errors, each named for the rule it enforces.

Every error carries a stable `code`; the API maps the code to an RFC 9457
problem `type` and an HTTP status. Domain code never knows the status.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command broke a business rule; nothing was written."""

    code = "conflict"

    def __init__(self, detail: str = "", **extra: object) -> None:
        super().__init__(detail or self.__doc__ or self.code)
        self.detail = detail or (self.__doc__ or self.code).strip()
        self.extra = extra


class NotFoundError(DomainError):
    """The thing does not exist."""

    code = "not_found"


class ForbiddenError(DomainError):
    """The caller may not do this to that."""

    code = "forbidden"


class ValidationError(DomainError):
    """The input breaks a rule of its shape."""

    code = "validation"


class ConflictError(DomainError):
    """The command conflicts with the current state."""

    code = "conflict"


class NotEligibleError(DomainError):
    """The creator does not meet the host eligibility policy."""

    code = "not_eligible"


class InvalidPriceError(ValidationError):
    """The ticket price is outside the price policy or not integer minor units."""

    code = "invalid_price"


class CurrencyMismatchError(ValidationError):
    """Amounts of different currencies never add."""

    code = "invalid_price"


class InvalidCapacityError(ValidationError):
    """The capacity is not positive, above the maximum, or below tickets sold."""

    code = "invalid_capacity"


class InvalidScheduleError(ValidationError):
    """The scheduled start is in the past or too far ahead."""

    code = "invalid_schedule"


class RoomStateError(ConflictError):
    """The room's state does not allow this command."""

    code = "invalid_state"


class TooManyCohostsError(ConflictError):
    """A room has at most two co-hosts."""

    code = "too_many_cohosts"


class TooManySpeakersError(ConflictError):
    """A room has at most ten speakers."""

    code = "too_many_speakers"


class SoldOutError(ConflictError):
    """Every seat of the room is taken."""

    code = "sold_out"


class NotOnSaleError(ConflictError):
    """The room does not sell tickets now (ended, cancelled or past sales end)."""

    code = "not_on_sale"


class TierSoldOutError(ConflictError):
    """Every seat of the tier is taken (the room may have seats in other tiers)."""

    code = "tier_sold_out"


class TierNotOnSaleError(ConflictError):
    """The tier does not sell now (closed, or outside its sales window)."""

    code = "tier_not_on_sale"


class UnknownTierError(NotFoundError):
    """The room has no such tier (or it is hidden and no access code unlocks it)."""

    code = "unknown_tier"


class TierRequiredError(ValidationError):
    """The room sells several tiers: the purchase must name one."""

    code = "tier_required"


class BelowMinimumPriceError(ValidationError):
    """The amount named for a pay-what-you-want tier is below its minimum price."""

    code = "below_minimum_price"


class FixedPriceError(ValidationError):
    """The tier has a fixed price: the buyer names no amount of their own."""

    code = "fixed_price"


class RoomHasTiersError(ConflictError):
    """The room sells through tiers: change a tier, not the room's single price."""

    code = "room_has_tiers"


class AlreadyHoldsTicketError(ConflictError):
    """The listener already holds a live ticket for this room."""

    code = "already_has_ticket"


class TicketStateError(ConflictError):
    """The ticket's state does not allow this command."""

    code = "invalid_ticket_state"


class IdempotencyConflictError(ConflictError):
    """The Idempotency-Key was used before with other parameters (Stripe: `idempotency_error`)."""

    code = "idempotency_conflict"


IdempotencyKeyReusedError = IdempotencyConflictError  # the former name


class DuplicateDeliveryError(Exception):
    """A delivery (webhook event) was processed before; nothing was written. Not a user error."""
