"""Room commands: open, change, cast, start, end, cancel.

Every command that changes what is on sale (price, capacity, sales end, the
room's state) updates the seat inventory guard in the same transaction as the
room's event, so a sale can never see a half-changed room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from domain.clock import Clock
from domain.creators.commands import CreatorCommands
from domain.errors import (
    IdempotencyConflictError,
    InvalidCapacityError,
    InvalidPriceError,
    NotEligibleError,
    ValidationError,
)
from domain.guards import WriteGuards
from domain.ids import room_id_for
from domain.money import Money
from domain.policies import EligibilityClaims, as_utc
from domain.rooms.model import Room
from domain.policies import Policies
from domain.rooms.tiers import TierPolicy, TierSpec, tier_id_for
from domain.unit_of_work import UnitOfWork

UNSET: Any = object()


@dataclass(frozen=True)
class RoomChanges:
    title: str = UNSET
    price: Money = UNSET
    capacity: int = UNSET
    sales_end: datetime | None = UNSET
    refund_hours: int | None = UNSET  # None: refund policy `none`


def check_title(title: str) -> str:
    title = title.strip()
    if not 1 <= len(title) <= 200:
        raise ValidationError("title must be 1 to 200 characters")
    return title


def _same_room(room: Room, title: str, scheduled_start: datetime | None, price: Money, capacity: int,
               sales_end: datetime | None) -> bool:
    """Whether a retried `open_room` asks for the room the key opened: every parameter.

    A start of null (or a start up to the grace before opening) was resolved to
    the opening time, so it matches a room that starts when it was opened.
    """
    if (room.title, room.price, room.capacity) != (title.strip(), price, capacity):
        return False
    if scheduled_start is None:
        start_same = room.scheduled_start == room.opened_at
    else:
        start = as_utc(scheduled_start, "scheduled_start")
        start_same = start == room.scheduled_start or (room.scheduled_start == room.opened_at and start <= room.opened_at)
    end_same = (room.sales_end is None) if sales_end is None else as_utc(sales_end, "sales_end") == room.sales_end
    return start_same and end_same


class RoomCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies, creators: CreatorCommands) -> None:
        self.uow, self.clock, self.policies, self.creators = uow, clock, policies, creators
        self.tier_policy = TierPolicy(price=policies.price)  # tiers follow the price policy

    def get_room(self, room_id: UUID) -> Room:
        return self.uow.load(Room, room_id, "room")

    def open_room(
        self,
        host_id: str,
        *,
        title: str,
        scheduled_start: datetime | None,
        price: Money | None,
        capacity: int,
        sales_end: datetime | None = None,
        idempotency_key: str | None = None,
        claims: EligibilityClaims | None = None,
        rooms_hosted_30d: int = 0,
        tiers: Sequence[TierSpec] = (),
        refund_hours: int | None = None,
    ) -> tuple[Room, int | None]:
        """`claims`: what the host's own identity token says (followers, age check);
        `rooms_hosted_30d`: rooms the host took live in the last 30 days (from the catalog).
        The room sells at one `price` (one default tier), or through `tiers`."""
        now = self.clock.now()
        if (price is None) == (not tiers):
            raise ValidationError("send either a ticket_price or tiers")
        creator = self.creators.find_creator(host_id)
        if creator is None:
            raise NotEligibleError("register as a creator before opening a room", rule="registered")
        eligibility = self.policies.eligibility
        eligibility.check(eligibility.facts_for(creator.follower_count, creator.attested_followers,
                                                creator.attested_age_verified, claims, rooms_hosted_30d))
        room_id = room_id_for(host_id, idempotency_key) if idempotency_key else uuid4()
        if idempotency_key and (existing := self.uow.find(Room, room_id)) is not None:
            # Compared with the room as the key opened it (its first events), not as later changes left it.
            if not self._same_opening(room_id, title, scheduled_start, price, capacity, sales_end, tiers):
                raise IdempotencyConflictError("this Idempotency-Key opened a room with other parameters")
            return existing, None
        title = check_title(title)
        self.policies.capacity.check(capacity)
        if len(tiers) > self.tier_policy.max_tiers:
            raise ValidationError(f"a room has at most {self.tier_policy.max_tiers} tiers")
        tiers = [self.tier_policy.check(spec, capacity, now) for spec in tiers]
        if len({t.price.currency for t in tiers}) > 1:
            raise InvalidPriceError("a room's tiers sell in one currency")
        price = price if price is not None else min((t.price for t in tiers), key=lambda m: m.amount)
        self.policies.price.check(price)
        start = self.policies.schedule.resolve_start(scheduled_start, now)
        sales_end = self.policies.schedule.check_sales_end(sales_end, now)
        room = Room.open(
            id=room_id,
            host_id=host_id,
            title=title,
            scheduled_start=start,
            price_amount=price.amount,
            price_currency=price.currency,
            capacity=capacity,
            sales_end=sales_end,
            opened_at=now,
            default_tier=not tiers,
        )
        for index, spec in enumerate(tiers):
            room.add_tier(str(tier_id_for(room.id, f"opened:{index}")), spec, self.tier_policy.max_tiers)
        if refund_hours is not None:  # after the tiers: a retry compares the opening's first 1 + len(tiers) events
            room.set_refund_policy(refund_hours)

        def decide(guards: WriteGuards) -> tuple[Room, list[Room]]:
            guards.open_inventory(room.id, host_id, capacity, price, sales_end, default_tier=not tiers)
            for tier in (room.tiers.values() if tiers else ()):
                guards.open_tier(room.id, UUID(tier.id), tier.capacity, tier.price, tier.sales_start, tier.sales_end,
                                 tier.hidden, tier.minimum_amount)
            # The room takes its slice of the creator's headroom now, so its sales need not lock the creator.
            guards.plan_revenue([(host_id, price.currency, room.id, 0)],
                                {price.currency: self.policies.commission.threshold(price.currency)})
            return room, [room]

        def replay() -> Room | None:
            """The twin that lost the race finds the room its key opened (with other parameters: a conflict)."""
            existing = self.uow.find(Room, room_id) if idempotency_key else None
            if existing is not None and not self._same_opening(room_id, title, scheduled_start,
                                                               price if not tiers else None, capacity, sales_end, tiers):
                raise IdempotencyConflictError("this Idempotency-Key opened a room with other parameters")
            return existing

        return self.uow.transact_or_replay(decide, replay, IntegrityError)

    def _same_opening(self, room_id: UUID, title: str, scheduled_start: datetime | None,
                      price: Money | None, capacity: int, sales_end: datetime | None,
                      tiers: Sequence[TierSpec]) -> bool:
        """Whether a retried `open_room` asks for the room the key opened: the room as its `Opened` event
        left it, and for a tiered room the tiers its opening added (names, prices, caps, in order)."""
        opened = self.uow.load(Room, room_id, "room", version=1)
        if not tiers:
            return price is not None and _same_room(opened, title, scheduled_start, price, capacity, sales_end)
        lowest = min((t.price for t in tiers), key=lambda m: m.amount)
        if not _same_room(opened, title, scheduled_start, lowest, capacity, sales_end):
            return False
        with_tiers = self.uow.load(Room, room_id, "room", version=1 + len(tiers))  # fewer events: it stops at the last
        return [(t.name, t.price, t.capacity) for t in with_tiers.tiers.values()] == [
            (t.name.strip(), t.price, t.capacity) for t in tiers]

    def change_room(self, actor_id: str, room_id: UUID, changes: RoomChanges) -> tuple[Room, int | None]:
        room = self.get_room(room_id)
        room.check_host(actor_id)
        now = self.clock.now()
        if changes.title is not UNSET:
            room.retitle(check_title(changes.title))
        if changes.price is not UNSET:
            self.policies.price.check(changes.price)
            room.change_price(changes.price, now)
        if changes.capacity is not UNSET:
            self.policies.capacity.check(changes.capacity)
            room.change_capacity(changes.capacity)
        if changes.refund_hours is not UNSET:
            room.set_refund_policy(changes.refund_hours)
        sales_end = changes.sales_end
        if sales_end is not UNSET:
            sales_end = self.policies.schedule.check_sales_end(sales_end, now)
            room.change_sales_end(sales_end)

        def decide(guards: WriteGuards) -> tuple[Room, list[Room]]:
            if changes.capacity is not UNSET:
                live = guards.set_capacity(room.id, changes.capacity)
                if live is not None:
                    raise InvalidCapacityError(
                        f"capacity {changes.capacity} is below the {live} tickets already sold or held"
                    )
            if changes.price is not UNSET:
                guards.set_price(room.id, changes.price)
            if sales_end is not UNSET:
                guards.set_sales_end(room.id, sales_end)
            return room, [room]

        return self.uow.transact(decide)

    def set_cohost(self, actor_id: str, room_id: UUID, user_id: str, present: bool) -> tuple[Room, int | None]:
        room = self.get_room(room_id)
        room.check_host(actor_id)
        if present:
            room.add_cohost(user_id, self.policies.max_cohosts)
        else:
            room.remove_cohost(user_id)
        return self._save_room(room)

    def set_speaker(self, actor_id: str, room_id: UUID, user_id: str, present: bool) -> tuple[Room, int | None]:
        room = self.get_room(room_id)
        room.check_host(actor_id)
        if present:
            room.add_speaker(user_id, self.policies.max_speakers)
        else:
            room.remove_speaker(user_id)
        return self._save_room(room)

    def start_room(self, actor_id: str, room_id: UUID) -> tuple[Room, int | None]:
        room = self.get_room(room_id)
        room.check_host(actor_id)
        room.start(self.clock.now())
        return self._save_room(room)

    def end_room(self, actor_id: str, room_id: UUID) -> tuple[Room, int | None]:
        """End a live room; sales close in the same transaction."""
        room = self.get_room(room_id)
        room.check_host(actor_id)
        room.end(self.clock.now())

        def decide(guards: WriteGuards) -> tuple[Room, list[Room]]:
            guards.close_sales(room.id)
            return room, [room]

        return self.uow.transact(decide)

    def _save_room(self, room: Room) -> tuple[Room, int | None]:
        return room, self.uow.save(room)
