"""Request and response bodies (XCreate / XUpdate / XPublic), apart from domain classes.

Amounts and capacities are strict integers: a float or a string is refused
here, before the domain sees it. Turning these into domain values (Money,
UUIDs, UTC datetimes) happens in the routers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError

def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is in the year 10000 in UTC
        raise PydanticCustomError("datetime_not_in_utc", "the date and time cannot be represented in UTC") from None


# Every date and time we accept: with an offset, and representable in UTC (else a 400 `invalid_datetime`).
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]

Currency = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIn(Strict):
    amount: StrictInt = Field(description="integer minor units, e.g. 999 for 9.99 USD")
    currency: Currency = Field(description="ISO 4217 code, e.g. USD")


class MoneyOut(BaseModel):
    amount: int
    currency: str


class CreatorCreate(Strict):
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    follower_count: StrictInt = Field(ge=0)


class EligibilityAttestation(Strict):
    followers: StrictInt | None = Field(default=None, ge=0, description="the creator's follower count, as the platform knows it")
    age_verified: bool | None = Field(default=None, description="the creator's age (18+) was verified")


class PayoutAccountPublic(BaseModel):
    account_id: str
    status: str
    provider: str | None = None
    onboarding_url: str | None = None


class CreatorPublic(BaseModel):
    id: str
    display_name: str
    follower_count: int
    eligible_to_host: bool
    registered_at: datetime
    payout_account: PayoutAccountPublic | None = None


class TierCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    price: MoneyIn | None = Field(default=None, description="required unless the tier is pay what you want")
    minimum_price: MoneyIn | None = Field(default=None, description="pay what you want: the least a buyer may name")
    suggested_price: MoneyIn | None = Field(default=None, description="pay what you want: the amount by default")
    capacity: StrictInt = Field(description="at most the room's capacity; tiers compete for the room's seats")
    sales_start: AwareDatetime | None = None
    sales_end: AwareDatetime | None = Field(default=None, description="an early bird ends earlier")
    hidden: bool = Field(default=False, description="sold only with an access code")


class TierUpdate(Strict):
    price: MoneyIn | None = Field(default=None, description="for later sales only")
    capacity: StrictInt | None = Field(default=None, description="never below the tier's sold and held tickets")


class TierPublic(BaseModel):
    id: str
    name: str
    price: MoneyOut
    capacity: int
    sales_start: datetime | None
    sales_end: datetime | None
    hidden: bool
    closed: bool
    minimum_price: MoneyOut | None = None
    suggested_price: MoneyOut | None = None
    on_sale: bool
    sold: int
    held: int
    available: int = Field(description="what this tier can still sell: its own seats left, at most the room's")


class RefundUntil(Strict):
    until_start_minus_hours: StrictInt = Field(ge=0, le=336, description="holders refund themselves until then")


RefundPolicy = Literal["none"] | RefundUntil


class RoomReschedule(Strict):
    scheduled_start: AwareDatetime = Field(description="the new start, within the schedule policy")


class RoomCreate(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    scheduled_start: UtcDatetime | None = Field(default=None, description="RFC 3339 with offset; null for now")
    ticket_price: MoneyIn | None = Field(default=None, description="one price for the whole room (a default tier)")
    capacity: StrictInt
    sales_end: UtcDatetime | None = None
    tiers: list[TierCreate] | None = Field(default=None, min_length=1, max_length=20,
                                           description="instead of ticket_price: the tiers the room sells")
    refund_policy: RefundPolicy = Field(default="none", description="none: only the host or an admin refunds")


class RoomUpdate(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    refund_policy: RefundPolicy | None = None
    ticket_price: MoneyIn | None = None
    capacity: StrictInt | None = None
    sales_end: UtcDatetime | None = None


class RoomPublic(BaseModel):
    id: str
    state: Literal["scheduled", "live", "ended", "cancelled"]
    host_id: str
    title: str
    scheduled_start: datetime
    ticket_price: MoneyOut
    capacity: int
    sold: int = Field(description="paid tickets")
    held: int = Field(description="seats reserved while a payment is pending")
    available: int = Field(description="capacity minus sold and held")
    on_sale: bool
    sales_end: datetime | None
    cohosts: list[str]
    speakers: list[str]
    opened_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    cancelled_at: datetime | None = None
    refunds: dict[str, int] | None = None
    refund_policy: RefundPolicy = "none"
    rescheduled_at: datetime | None = None
    reschedule_refund_until: datetime | None = Field(default=None, description="holders may refund until then")
    tiers: list[TierPublic] | None = Field(default=None, description="shown by GET of one room; hidden tiers to the host")


class RoomList(BaseModel):
    items: list[RoomPublic]
    next_cursor: str | None = None


class TicketCreate(Strict):
    payment_method: str | None = Field(
        default=None,
        description="a processor payment method to confirm at once, e.g. pm_card_visa; "
        "pm_card_chargeDeclined simulates a decline",
    )
    tier_id: UUID | None = Field(default=None, description="the tier to buy; omit for a one-price room")
    code: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="a discount or access code (case-insensitive)")
    amount: StrictInt | None = Field(default=None, gt=0, description="pay what you want: minor units the buyer names")
    offer_id: UUID | None = Field(default=None, description="a waitlist offer: buy the seat it holds (no code)")


class CodeCreate(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40,
                                           pattern=r"^[A-Za-z0-9_-]+$")]
    percent_off: StrictInt | None = Field(default=None, ge=1, le=100)
    amount_off: MoneyIn | None = None
    max_uses: StrictInt | None = Field(default=None, ge=1, description="exactly this many tickets, under any load")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    tier_ids: list[UUID] = Field(default_factory=list, max_length=20, description="only these tiers (empty: any)")
    unlocks_tier_ids: list[UUID] = Field(default_factory=list, max_length=20, description="hidden tiers it sells")


class CodePublic(BaseModel):
    id: str
    code: str
    host_id: str
    room_id: str | None
    percent_off: int | None
    amount_off: MoneyOut | None
    max_uses: int | None
    uses: int
    valid_from: datetime | None
    valid_until: datetime | None
    tier_ids: list[str]
    unlocks_tier_ids: list[str]


class PaymentPublic(BaseModel):
    provider: str
    payment_id: str | None = None
    status: str | None = None
    client_secret: str | None = None
    failure_code: str | None = None
    error: str | None = None
    position: int | None = None  # status payment_pending: seats ahead in the queue for a PaymentIntent


class RefundPublic(BaseModel):
    refund_id: str
    amount: int
    status: str
    reason: str
    processor_refund_id: str | None = None


class TicketPublic(BaseModel):
    id: str
    room_id: str
    holder_id: str
    status: Literal["reserved", "paid", "released", "refunded", "revoked"]
    price: MoneyOut = Field(description="what the buyer pays (paid)")
    tier_id: str | None = None
    list_price: MoneyOut | None = Field(default=None, description="the tier's price before the code's discount")
    discount: int = Field(default=0, description="minor units taken off by the code")
    code: str | None = None
    reserved_at: datetime
    hold_expires_at: datetime
    paid_at: datetime | None = None
    release_reason: str | None = None
    refunded_amount: int = 0
    payment: PaymentPublic | None = None
    refunds: list[RefundPublic] = []
    transfers: int = Field(default=0, description="times the ticket was given away")


class TicketList(BaseModel):
    items: list[TicketPublic]
    next_cursor: str | None = None


class BuyerPublic(BaseModel):
    user_id: str
    ticket_id: str
    paid_at: datetime | None
    price: MoneyOut


class BuyerList(BaseModel):
    items: list[BuyerPublic]
    next_cursor: str | None = None


class TicketTransfer(Strict):
    to_user_id: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)] = Field(
        description="the listener who receives the ticket")


class RefundCreate(Strict):
    amount: StrictInt | None = Field(default=None, gt=0, description="minor units; omit for the whole ticket")
    reason: Annotated[str, StringConstraints(max_length=200)] = "requested_by_customer"
