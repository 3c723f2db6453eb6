"""Tier commands: add, reprice, resize and close a room's tiers.

Each updates the tier's guard row in the same transaction as the room's
event, so a sale never sees a half-changed tier: a resize below what the tier
has sold or holds is refused there, under the room's row lock.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.clock import Clock
from domain.errors import IdempotencyConflictError, InvalidCapacityError
from domain.guards import WriteGuards
from domain.money import Money
from domain.rooms.model import Room
from domain.policies import Policies
from domain.rooms.tiers import TierPolicy, TierSpec, tier_id_for
from domain.unit_of_work import UnitOfWork


class TierCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies) -> None:
        self.uow, self.clock, self.policies = uow, clock, policies
        self.tier_policy = TierPolicy(price=policies.price)  # tiers follow the price policy

    def add_tier(self, actor_id: str, room_id: UUID, spec: TierSpec,
                 idempotency_key: str | None = None) -> tuple[Room, str, int | None]:
        """Add a tier; the same Idempotency-Key adds it once, and with other parameters is refused
        (IdempotencyConflictError). Returns the room, the tier id, the position."""
        room = self.uow.load(Room, room_id, "room")
        room.check_host(actor_id)
        tier_id = str(tier_id_for(room_id, f"key:{idempotency_key}") if idempotency_key else uuid4())
        if tier_id in room.tiers:
            if not room.tiers[tier_id].added_as(spec):
                raise IdempotencyConflictError("this Idempotency-Key added a tier with other parameters")
            return room, tier_id, None
        spec = self.tier_policy.check(spec, room.capacity, self.clock.now())
        room.add_tier(tier_id, spec, self.tier_policy.max_tiers)
        tier = room.tiers[tier_id]

        def decide(guards: WriteGuards) -> tuple[Room, list[Room]]:
            guards.open_tier(room.id, UUID(tier_id), tier.capacity, tier.price, tier.sales_start, tier.sales_end,
                             tier.hidden, tier.minimum_amount)
            return room, [room]

        _, position = self.uow.transact(decide)
        return room, tier_id, position

    def change_tier(self, actor_id: str, room_id: UUID, tier_id: str, *, price: Money | None = None,
                    capacity: int | None = None) -> tuple[Room, int | None]:
        """Reprice (later sales only) and/or resize (never below what the tier sold or holds)."""
        room = self.uow.load(Room, room_id, "room")
        room.check_host(actor_id)
        room.tier(tier_id)
        now = self.clock.now()
        if price is not None:
            self.policies.price.check(price)
            room.reprice_tier(tier_id, price, now)
        if capacity is not None:
            self.policies.capacity.check(capacity)
            room.resize_tier(tier_id, capacity)
        default = tier_id == str(room.id)

        def decide(guards: WriteGuards) -> tuple[Room, list[Room]]:
            if capacity is not None:
                live = (guards.set_capacity(room.id, capacity) if default
                        else guards.set_tier_capacity(room.id, UUID(tier_id), capacity))
                if live is not None:
                    raise InvalidCapacityError(f"capacity {capacity} is below the {live} tickets already sold or held")
            if price is not None:
                if default:
                    guards.set_price(room.id, price)
                else:
                    guards.set_tier_price(room.id, UUID(tier_id), price)
            return room, [room]

        return self.uow.transact(decide)

    def close_tier(self, actor_id: str, room_id: UUID, tier_id: str) -> tuple[Room, int | None]:
        """Stop selling a tier; its tickets stay valid. Closing it again changes nothing."""
        room = self.uow.load(Room, room_id, "room")
        room.check_host(actor_id)
        if not room.close_tier(tier_id, self.clock.now()):
            return room, None

        def decide(guards: WriteGuards) -> tuple[Room, list[Room]]:
            guards.close_tier(room.id, UUID(tier_id))
            return room, [room]

        return self.uow.transact(decide)
