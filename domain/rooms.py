"""The Room aggregate: a ticketed live audio room and its lifecycle.

The room owns its schedule, price, capacity and cast (host, co-hosts,
speakers). It does not count sales: the seat cap is a cross-aggregate rule held
by the write guards (see domain/guards.py), updated in the same transaction as
every room event that changes what is on sale.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from domain.errors import (
    ConflictError,
    ForbiddenError,
    RoomStateError,
    TooManyCohostsError,
    TooManySpeakersError,
)
from domain.money import Money


class RoomState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Room(Aggregate):
    @event("Opened")
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
        if price != self.price:
            self._change_price(price.amount, price.currency, at)

    @event("PriceChanged")
    def _change_price(self, price_amount: int, price_currency: str, changed_at: datetime) -> None:
        self.price_amount = price_amount
        self.price_currency = price_currency

    def change_capacity(self, capacity: int) -> None:
        self.check_open()
        if capacity != self.capacity:
            self._change_capacity(capacity)

    @event("CapacityChanged")
    def _change_capacity(self, capacity: int) -> None:
        self.capacity = capacity

    def change_sales_end(self, sales_end: datetime | None) -> None:
        self.check_open()
        if sales_end != self.sales_end:
            self._change_sales_end(sales_end)

    @event("SalesEndChanged")
    def _change_sales_end(self, sales_end: datetime | None) -> None:
        self.sales_end = sales_end

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
