"""Refund policies: when a ticket's holder may refund themself, in full.

A room's policy is `none` (only the host or an admin refunds, as before) or
`until_start_minus_hours: N` (the holder may refund until N hours before the
scheduled start). A host who moves a scheduled room keeps every ticket, and
every holder who bought before the move gets a window
(BOXOFFICE_RESCHEDULE_REFUND_HOURS, default 48) to refund themself in full,
whatever the room's policy. Windows are half-open: open before the edge, closed
at it, to the microsecond of the injected clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.errors import ConflictError, ForbiddenError

if TYPE_CHECKING:
    from domain.rooms.model import Room
    from domain.sales.model import Ticket


class NoSelfRefundError(ForbiddenError):
    """The room's refund policy is `none`: only its host or an admin refunds (a 403 `forbidden`, as
    before policies existed, whose `rule` says `refund_policy_none`)."""


class RefundWindowClosedError(ConflictError):
    """The holder's refund window has closed."""

    code = "refund_window_closed"


def check_self_refund(room: Room, ticket: Ticket, now: datetime) -> str:
    """The reason a holder's own full refund is allowed now (`rescheduled` or `refund_policy`), or the rule it breaks."""
    covered = room.rescheduled_at is not None and ticket.reserved_at < room.rescheduled_at
    if covered and room.reschedule_refund_until is not None and now < room.reschedule_refund_until:
        return "rescheduled"
    if room.refund_hours is not None:
        deadline = room.scheduled_start - timedelta(hours=room.refund_hours)
        if room.state.value == "scheduled" and now < deadline:
            return "refund_policy"
        raise RefundWindowClosedError(
            f"this room's tickets are refundable until {room.refund_hours} hours before the start ({deadline.isoformat()})")
    if covered:
        raise RefundWindowClosedError(f"the refund window after the room was moved closed at "
                                      f"{room.reschedule_refund_until.isoformat() if room.reschedule_refund_until else ''}")
    raise NoSelfRefundError("this room's refund policy is none: refunds are made by the room's host or an admin",
                            rule="refund_policy_none")
