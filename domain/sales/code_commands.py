"""Code commands: a host creates discount and access codes for one room or for all their rooms.

The code's terms are recorded as `PromoCode.Created` and copied to its guard
row in the same transaction, where purchases count its uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.sales.codes import CodeTakenError, PromoCode, code_id_for
from domain.sales.model import Ticket
from domain.errors import ValidationError
from domain.guards import WriteGuards
from domain.money import Money

if TYPE_CHECKING:
    from domain.application import BoxOffice
    from domain.sales.commands import ReserveRequest


class CodeCommands:
    def create_code(
        self: BoxOffice,
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
        self.get_creator(host_id)
        if room_id is not None:
            room = self.get_room(room_id)
            room.check_host(host_id)
            for tier_id in (*tier_ids, *unlocks_tier_ids):
                room.tier(str(tier_id))
            if amount_off is not None and amount_off.currency != room.price_currency:
                raise ValidationError(f"this room sells in {room.price_currency}")
        elif tier_ids or unlocks_tier_ids:
            raise ValidationError("tier_ids and unlocks_tier_ids name one room's tiers: create the code for that room")
        terms = self.policies.codes.check(host_id, code, room_id, percent_off, amount_off, max_uses, valid_from,
                                          valid_until, tier_ids, unlocks_tier_ids)
        if self._find(PromoCode, code_id_for(host_id, code)) is not None:
            raise CodeTakenError(f"you already have the code {code.strip()!r} (codes are case-insensitive)")
        promo = PromoCode.create(terms, code, self.clock.now())

        def decide(guards: WriteGuards) -> tuple[PromoCode, list[PromoCode]]:
            guards.open_code(terms)
            return promo, [promo]

        return self.transact(decide)

    @staticmethod
    def _lock_request_codes(guards: WriteGuards, requests: Sequence[ReserveRequest]) -> dict[int, UUID]:
        """The code id each coded request names (a code is its host's: the room says whose), locked."""
        coded = [i for i, r in enumerate(requests) if r.code]
        if not coded:
            return {}
        hosts = guards.room_hosts({requests[i].room_id for i in coded})
        code_ids = {i: code_id_for(hosts[requests[i].room_id], requests[i].code or "")
                    for i in coded if requests[i].room_id in hosts}
        guards.lock_codes(code_ids.values())
        return code_ids

    @staticmethod
    def code_of(ticket: Ticket) -> UUID | None:
        """The id of the code whose use the ticket took, if any."""
        return code_id_for(ticket.host_id, ticket.code) if ticket.code else None
