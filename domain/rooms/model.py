"""The Room aggregate: a ticketed live audio room and its lifecycle.

The room owns its schedule, price, capacity and cast (host, co-hosts,
speakers). It does not count sales: the seat cap is a cross-aggregate rule held
by the write guards (see domain/guards.py), updated in the same transaction as
every room event that changes what is on sale.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import (
    ConflictError,
    InvalidCapacityError,
    RoomHasTiersError,
    UnknownTierError,
    ForbiddenError,
    RoomStateError,
    TooManyCohostsError,
    TooManySpeakersError,
)
from domain.money import Money
from domain.rooms.tiers import DEFAULT_TIER_NAME, Tier, TierSpec, check_tier_capacity


class RoomState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Room(Aggregate):
    class Opened(Aggregate.Created):
        """v2 says whether the room sells through one default tier (id = the room's id)."""

        class_version = 2
        # What the upcast adds; a reader of other fields may skip upcasting (projections/light_events.py).
        upcasts_only_add = frozenset({"default_tier"})
        host_id: str
        title: str
        scheduled_start: datetime
        price_amount: int
        price_currency: str
        capacity: int
        sales_end: datetime | None
        opened_at: datetime
        default_tier: bool

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["default_tier"] = True  # before tiers, every room sold at one price

    @classmethod
    def open(cls, id: UUID, host_id: str, title: str, scheduled_start: datetime, price_amount: int,  # noqa: A002
             price_currency: str, capacity: int, sales_end: datetime | None, opened_at: datetime,
             default_tier: bool = True) -> Room:
        """A new room on sale, under an id the caller chose (derived from an idempotency key or random)."""
        return cls._create(cls.Opened, id=id, host_id=host_id, title=title, scheduled_start=scheduled_start,
                           price_amount=price_amount, price_currency=price_currency, capacity=capacity,
                           sales_end=sales_end, opened_at=opened_at, default_tier=default_tier)

    @event(Opened)
    def __init__(
        self,
        host_id: str,
        title: str,
        scheduled_start: datetime,
        price_amount: int,
        price_currency: str,
        capacity: int,
        sales_end: datetime | None,
        opened_at: datetime,
        default_tier: bool = True,
    ) -> None:
        self.host_id = host_id
        self.title = title
        self.scheduled_start = scheduled_start
        self.price_amount = price_amount
        self.price_currency = price_currency
        self.capacity = capacity
        self.sales_end = sales_end
        self.opened_at = opened_at
        self.state = RoomState.SCHEDULED
        self.cohosts: list[str] = []
        self.speakers: list[str] = []
        self.earnings_released_at: datetime | None = None
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.tiers: dict[str, Tier] = {}
        self.refund_hours: int | None = None  # None: refund policy `none`
        self.rescheduled_at: datetime | None = None
        self.reschedule_refund_until: datetime | None = None
        if default_tier:
            self.tiers[str(self.id)] = Tier(str(self.id), DEFAULT_TIER_NAME, price_amount, price_currency, capacity,
                                            None, None, False)

    @property
    def default_tier(self) -> Tier | None:
        return self.tiers.get(str(self.id))

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)

    @property
    def on_sale_state(self) -> bool:
        return self.state in (RoomState.SCHEDULED, RoomState.LIVE)

    # --- rules -------------------------------------------------------------

    def check_host(self, actor_id: str) -> None:
        if actor_id != self.host_id:
            raise ForbiddenError("only the room's host may do this")

    def check_open(self) -> None:
        if not self.on_sale_state:
            raise RoomStateError(f"the room is {self.state}")

    # --- commands ----------------------------------------------------------

    def retitle(self, title: str) -> None:
        self.check_open()
        if title != self.title:
            self._retitle(title)

    @event("Retitled")
    def _retitle(self, title: str) -> None:
        self.title = title

    def change_price(self, price: Money, at: datetime) -> None:
        """New price applies to later sales only; tickets sold keep theirs."""
        self.check_open()
        if self.default_tier is None:
            raise RoomHasTiersError("this room sells through tiers: reprice a tier instead")
        if price != self.price:
            self._change_price(price.amount, price.currency, at)

    @event("PriceChanged")
    def _change_price(self, price_amount: int, price_currency: str, changed_at: datetime) -> None:
        self.price_amount = price_amount
        self.price_currency = price_currency
        if (tier := self.default_tier) is not None:  # the room's price is its default tier's
            tier.price_amount, tier.price_currency = price_amount, price_currency

    def change_capacity(self, capacity: int) -> None:
        self.check_open()
        for tier in self.tiers.values():
            if tier.id != str(self.id) and not tier.closed and tier.capacity > capacity:
                raise InvalidCapacityError(f"tier {tier.name!r} holds {tier.capacity} seats, more than {capacity}")
        if capacity != self.capacity:
            self._change_capacity(capacity)

    @event("CapacityChanged")
    def _change_capacity(self, capacity: int) -> None:
        self.capacity = capacity
        if (tier := self.default_tier) is not None:  # the default tier sells the whole room
            tier.capacity = capacity

    def change_sales_end(self, sales_end: datetime | None) -> None:
        self.check_open()
        if sales_end != self.sales_end:
            self._change_sales_end(sales_end)

    @event("SalesEndChanged")
    def _change_sales_end(self, sales_end: datetime | None) -> None:
        self.sales_end = sales_end

    # --- tiers -------------------------------------------------------------

    def tier(self, tier_id: str) -> Tier:
        tier = self.tiers.get(tier_id)
        if tier is None:
            raise UnknownTierError(f"room {self.id} has no tier {tier_id}")
        return tier

    def add_tier(self, tier_id: str, spec: TierSpec, max_tiers: int) -> None:
        """Add a tier whose spec the tier policy checked; same id and spec again is a no-op."""
        self.check_open()
        if tier_id in self.tiers:
            return
        if len(self.tiers) >= max_tiers:
            raise ConflictError(f"a room has at most {max_tiers} tiers")
        if spec.price.currency != self.price_currency:
            raise ConflictError(f"this room sells in {self.price_currency}")
        self._add_tier(
            tier_id=tier_id, name=spec.name, price_amount=spec.price.amount, price_currency=spec.price.currency,
            capacity=spec.capacity, sales_start=spec.sales_start, sales_end=spec.sales_end, hidden=spec.hidden,
            minimum_amount=spec.minimum_price.amount if spec.minimum_price else None,
            suggested_amount=spec.suggested_price.amount if spec.suggested_price else None,
        )

    @event("TierAdded")
    def _add_tier(self, tier_id: str, name: str, price_amount: int, price_currency: str, capacity: int,
                  sales_start: datetime | None, sales_end: datetime | None, hidden: bool,
                  minimum_amount: int | None, suggested_amount: int | None) -> None:
        added = TierSpec(name, Money(price_amount, price_currency), capacity, sales_start, sales_end, hidden,
                         None if minimum_amount is None else Money(minimum_amount, price_currency),
                         None if suggested_amount is None else Money(suggested_amount, price_currency))
        self.tiers[tier_id] = Tier(tier_id, name, price_amount, price_currency, capacity, sales_start, sales_end,
                                   hidden, minimum_amount, suggested_amount, added=added)

    def reprice_tier(self, tier_id: str, price: Money, at: datetime) -> None:
        """The new price applies to later sales only; tickets sold keep what they paid."""
        self.check_open()
        tier = self.tier(tier_id)
        if tier_id == str(self.id):
            self.change_price(price, at)
            return
        if price.currency != tier.price_currency:
            raise ConflictError(f"this tier sells in {tier.price_currency}")
        if tier.minimum_amount is not None and price.amount < tier.minimum_amount:
            raise ConflictError("a tier's price may not fall below its minimum price")
        if price != tier.price:
            self._reprice_tier(tier_id, price.amount, price.currency, at)

    @event("TierRepriced")
    def _reprice_tier(self, tier_id: str, price_amount: int, price_currency: str, at: datetime) -> None:
        tier = self.tiers[tier_id]
        tier.price_amount, tier.price_currency = price_amount, price_currency

    def resize_tier(self, tier_id: str, capacity: int) -> None:
        """Never below what the tier sold or holds: the guard refuses that in the same transaction."""
        self.check_open()
        tier = self.tier(tier_id)
        if tier_id == str(self.id):
            self.change_capacity(capacity)
            return
        check_tier_capacity(capacity, self.capacity)
        if capacity != tier.capacity:
            self._resize_tier(tier_id, capacity)

    @event("TierResized")
    def _resize_tier(self, tier_id: str, capacity: int) -> None:
        self.tiers[tier_id].capacity = capacity

    def close_tier(self, tier_id: str, at: datetime) -> bool:
        """Stop selling a tier (tickets sold stay valid); False if it was closed already."""
        self.check_open()
        tier = self.tier(tier_id)
        if tier.closed:
            return False
        self._close_tier(tier_id, at)
        return True

    @event("TierClosed")
    def _close_tier(self, tier_id: str, at: datetime) -> None:
        self.tiers[tier_id].closed = True

    # --- refunds and schedule -----------------------------------------------

    def set_refund_policy(self, hours: int | None) -> None:
        """`until_start_minus_hours: hours` (None: `none`). Applies to every ticket from now on."""
        self.check_open()
        if hours != self.refund_hours:
            self._set_refund_policy(hours)

    @event("RefundPolicySet")
    def _set_refund_policy(self, hours: int | None) -> None:
        self.refund_hours = hours

    def reschedule(self, start: datetime, at: datetime, refund_until: datetime) -> None:
        """Move a scheduled room; tickets are kept, and holders may refund until `refund_until`."""
        if self.state is not RoomState.SCHEDULED:
            raise RoomStateError(f"only a scheduled room can be moved; this one is {self.state}")
        if start != self.scheduled_start:
            self._reschedule(self.scheduled_start, start, at, refund_until)

    @event("Rescheduled")
    def _reschedule(self, previous_start: datetime, scheduled_start: datetime, at: datetime,
                    refund_until: datetime) -> None:
        self.scheduled_start = scheduled_start
        self.rescheduled_at = at
        self.reschedule_refund_until = refund_until

    # --- cast --------------------------------------------------------------

    def add_cohost(self, user_id: str, max_cohosts: int) -> None:
        self.check_open()
        if user_id == self.host_id:
            raise ConflictError("the host is already in the room as host")
        if user_id in self.cohosts:
            return
        if len(self.cohosts) >= max_cohosts:
            raise TooManyCohostsError(f"a room has at most {max_cohosts} co-hosts")
        if user_id in self.speakers:
            self._remove_speaker(user_id)
        self._add_cohost(user_id)

    @event("CohostAdded")
    def _add_cohost(self, user_id: str) -> None:
        self.cohosts.append(user_id)

    def remove_cohost(self, user_id: str) -> None:
        if user_id in self.cohosts:
            self._remove_cohost(user_id)

    @event("CohostRemoved")
    def _remove_cohost(self, user_id: str) -> None:
        self.cohosts.remove(user_id)

    def add_speaker(self, user_id: str, max_speakers: int) -> None:
        self.check_open()
        if user_id == self.host_id or user_id in self.cohosts:
            raise ConflictError("the host and co-hosts already speak")
        if user_id in self.speakers:
            return
        if len(self.speakers) >= max_speakers:
            raise TooManySpeakersError(f"a room has at most {max_speakers} speakers")
        self._add_speaker(user_id)

    @event("SpeakerAdded")
    def _add_speaker(self, user_id: str) -> None:
        self.speakers.append(user_id)

    def remove_speaker(self, user_id: str) -> None:
        if user_id in self.speakers:
            self._remove_speaker(user_id)

    @event("SpeakerRemoved")
    def _remove_speaker(self, user_id: str) -> None:
        self.speakers.remove(user_id)

    def start(self, at: datetime) -> None:
        if self.state is not RoomState.SCHEDULED:
            raise RoomStateError(f"only a scheduled room can start; this one is {self.state}")
        self._start(at)

    @event("Started")
    def _start(self, at: datetime) -> None:
        self.state = RoomState.LIVE
        self.started_at = at

    def end(self, at: datetime) -> None:
        if self.state is not RoomState.LIVE:
            raise RoomStateError(f"only a live room can end; this one is {self.state} (cancel a scheduled room)")
        self._end(at)

    @event("Ended")
    def _end(self, at: datetime) -> None:
        self.state = RoomState.ENDED
        self.ended_at = at

    def cancel(self, at: datetime, reason: str) -> bool:
        """Cancel a scheduled or live room; False when it already was (idempotent)."""
        if self.state is RoomState.CANCELLED:
            return False
        if self.state is RoomState.ENDED:
            raise RoomStateError("an ended room cannot be cancelled")
        self._cancel(at, reason)
        return True

    @event("Cancelled")
    def _cancel(self, at: datetime, reason: str) -> None:
        self.state = RoomState.CANCELLED
        self.cancelled_at = at

    def release_earnings(self, as_of: datetime, at: datetime) -> bool:
        """The refund window after the end has passed: the creator's share becomes payable.

        Never for a cancelled room (everything was refunded); once per room.
        """
        if self.state is not RoomState.ENDED or self.earnings_released_at is not None:
            return False
        self._release_earnings(as_of, at)
        return True

    @event("EarningsReleased")
    def _release_earnings(self, as_of: datetime, at: datetime) -> None:
        self.earnings_released_at = at
