"""Refund policies and reschedules: the host sets the policy or moves the room; a holder refunds themself.

A holder's own refund is always in full, goes back to the buyer's card (the
refund is the same refund a host would make, keyed "full", so it happens once
whoever asks), and is allowed only inside a window domain/sales/refund_policies.py
defines.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.clock import Clock
from domain.errors import ForbiddenError, ValidationError
from domain.policies import Policies
from domain.rooms.model import Room
from domain.sales.model import Ticket
from domain.sales.refund_policies import check_self_refund
from domain.sales.refunds import RefundCommands
from domain.unit_of_work import UnitOfWork

MAX_REFUND_HOURS = 24 * 14  # Assumption: no room is scheduled further ahead than the schedule policy allows


class SelfRefundCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies, refunds: RefundCommands) -> None:
        self.uow, self.clock, self.policies, self.refunds = uow, clock, policies, refunds

    def set_refund_policy(self, actor_id: str, room_id: UUID, hours: int | None) -> tuple[Room, int | None]:
        """`until_start_minus_hours: hours` (None: `none`)."""
        if hours is not None and not 0 <= hours <= MAX_REFUND_HOURS:
            raise ValidationError(f"until_start_minus_hours must be 0 to {MAX_REFUND_HOURS}")
        room = self.uow.load(Room, room_id, "room")
        room.check_host(actor_id)
        room.set_refund_policy(hours)
        return room, self.uow.save(room)

    def reschedule_room(self, actor_id: str, room_id: UUID, start: datetime) -> tuple[Room, int | None]:
        """Move a scheduled room within the schedule policy; holders may then refund themselves in full."""
        room = self.uow.load(Room, room_id, "room")
        room.check_host(actor_id)
        now = self.clock.now()
        start = self.policies.schedule.resolve_start(start, now)
        room.reschedule(start, now, now + self.policies.reschedule.refund_window)
        return room, self.uow.save(room)

    def refund_own_ticket(self, holder_id: str, ticket_id: UUID) -> tuple[Ticket, int | None]:
        """The holder refunds their paid ticket in full, inside the window their room allows."""
        ticket = self.uow.load(Ticket, ticket_id, "ticket")
        if ticket.holder_id != holder_id:
            raise ForbiddenError("only the ticket's holder refunds it themself")
        reason = check_self_refund(self.uow.load(Room, ticket.room_id, "room"), ticket, self.clock.now())
        return self.refunds.refund_ticket(holder_id, ticket_id, amount=None, reason=f"holder_{reason}", key="full",
                                           as_admin=True)
