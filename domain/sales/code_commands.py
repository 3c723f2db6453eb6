"""Code commands: a host creates discount and access codes for one room or for all their rooms.

The code's terms are recorded as `PromoCode.Created` and copied to its guard
row in the same transaction, where purchases count its uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from domain.clock import Clock
from domain.creators.commands import CreatorCommands
from domain.errors import InvalidPriceError, ValidationError
from domain.guards import WriteGuards
from domain.money import Money
from domain.policies import Policies
from domain.rooms.model import Room
from domain.sales.codes import CodeTakenError, PromoCode, check_code, code_id_for
from domain.unit_of_work import UnitOfWork


class CodeCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies, creators: CreatorCommands) -> None:
        self.uow, self.clock, self.policies, self.creators = uow, clock, policies, creators

    def create_code(
        self,
        host_id: str,
        code: str,
        *,
        room_id: UUID | None = None,
        percent_off: int | None = None,
        amount_off: Money | None = None,
        max_uses: int | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        tier_ids: Sequence[UUID] = (),
        unlocks_tier_ids: Sequence[UUID] = (),
    ) -> tuple[PromoCode, int | None]:
        """A code of `host_id` for `room_id` (None: every room of the host). The caller is the host."""
        self.creators.get_creator(host_id)
        if room_id is not None:
            room = self.uow.load(Room, room_id, "room")
            room.check_host(host_id)
            for tier_id in (*tier_ids, *unlocks_tier_ids):
                room.tier(str(tier_id))
            if amount_off is not None and amount_off.currency != room.price_currency:
                raise ValidationError(f"this room sells in {room.price_currency}")
        elif tier_ids or unlocks_tier_ids:
            raise ValidationError("tier_ids and unlocks_tier_ids name one room's tiers: create the code for that room")
        if amount_off is not None:  # never more off than the dearest ticket the price policy allows
            ceiling = self.policies.price.ceilings.get(amount_off.currency)
            if ceiling is None:
                raise InvalidPriceError(f"currency {amount_off.currency} is not accepted")
            if amount_off.amount > ceiling:
                raise ValidationError(f"amount_off may not exceed {Money(ceiling, amount_off.currency)}")
        terms = check_code(host_id, code, room_id, percent_off, amount_off, max_uses, valid_from, valid_until, tier_ids,
                           unlocks_tier_ids)
        if self.uow.find(PromoCode, code_id_for(host_id, code)) is not None:
            raise CodeTakenError(f"you already have the code {code.strip()!r} (codes are case-insensitive)")
        promo = PromoCode.create(terms, code, self.clock.now())

        def decide(guards: WriteGuards) -> tuple[PromoCode, list[PromoCode]]:
            guards.open_code(terms)
            return promo, [promo]

        return self.uow.transact(decide)
