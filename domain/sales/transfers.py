"""Gifts and transfers: the holder of a paid ticket gives it to another listener before the room starts.

The ticket keeps its id, its payment and its ledger entries: the buyer stays the
payer (a refund goes back to the buyer's card) and the money does not move. What
changes is who holds it: `Ticket.Transferred` names the old and the new holder,
the admission index denies the old one (`transferred`) and admits the new one,
and the revocation feed lists the old holder's tokens.

"One live ticket per listener and room" holds for the receiver: the ticket's hold
row changes holder in the transaction that appends the event, behind the room's
inventory lock (the global lock order of domain/guards.py: the room, then its
holds), so a concurrent purchase or transfer to the same receiver waits for it
and then sees the hold (store/transfer_guards_sql.py).

Every refusal is a `not_transferable` problem whose `rule` names why, and writes
nothing. Imports only the domain.
"""

from __future__ import annotations

from uuid import UUID

from domain.clock import Clock
from domain.errors import ConflictError, ForbiddenError, IdempotencyConflictError, ValidationError
from domain.guards import WriteGuards
from domain.policies import Policies
from domain.rooms.model import Room, RoomState
from domain.sales.model import Ticket, TicketStatus
from domain.unit_of_work import UnitOfWork


class NotTransferableError(ConflictError):
    """The ticket cannot be given to that listener now; `rule` says why."""

    code = "not_transferable"


def check_transferable(ticket: Ticket, room: Room, to_holder_id: str, max_transfers: int) -> None:
    """Raise NotTransferableError naming the first rule the transfer breaks."""
    if to_holder_id == ticket.holder_id:
        raise NotTransferableError("a ticket cannot be given to its own holder", rule="to_self")
    if ticket.status is not TicketStatus.PAID:
        raise NotTransferableError(f"only a paid ticket can be given away; this one is {ticket.status}",
                                   rule="not_paid")
    if room.state is not RoomState.SCHEDULED:
        rule = "room_started" if room.state is RoomState.LIVE else f"room_{room.state}"
        raise NotTransferableError(f"the room is {room.state}: tickets are given away before it starts", rule=rule)
    if ticket.transfer_count >= max_transfers:
        raise NotTransferableError(f"this ticket was given away {ticket.transfer_count} time(s), the most allowed",
                                   rule="transfer_limit")
    if to_holder_id == room.host_id:
        raise NotTransferableError("the room's host needs no ticket", rule="receiver_is_host")


class TransferCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies) -> None:
        self.uow, self.clock, self.policies = uow, clock, policies

    def transfer_ticket(self, actor_id: str, ticket_id: UUID, to_holder_id: str,
                        idempotency_key: str | None = None) -> tuple[Ticket, int | None, bool]:
        """Give the caller's paid ticket to `to_holder_id`; (ticket, position, replayed).

        The same Idempotency-Key again is the same transfer (replayed, nothing written);
        with another receiver it is refused with IdempotencyConflictError."""
        to_holder_id = to_holder_id.strip()
        if not to_holder_id:
            raise ValidationError("to_user_id must name a user")
        ticket = self.uow.load(Ticket, ticket_id, "ticket")
        key = f"{actor_id}:{idempotency_key}" if idempotency_key is not None else None
        if key is not None and _made_with(ticket, key, actor_id, to_holder_id):
            return ticket, None, True
        if ticket.holder_id != actor_id:
            raise ForbiddenError("only the ticket's holder may give it away")
        room = self.uow.load(Room, ticket.room_id, "room")
        check_transferable(ticket, room, to_holder_id, self.policies.max_transfers)
        from_holder_id = ticket.holder_id
        ticket._transfer(room_id=ticket.room_id, from_holder_id=from_holder_id, to_holder_id=to_holder_id,
                         transfer_count=ticket.transfer_count + 1, idempotency_key=key, at=self.clock.now())

        def decide(guards: WriteGuards) -> tuple[Ticket | None, list[Ticket]]:
            status = guards.transfer_hold(ticket.id, ticket.room_id, from_holder_id, to_holder_id)
            if status == "receiver_holds":
                raise NotTransferableError("the receiver already holds a live ticket for this room",
                                           rule="receiver_holds_ticket")
            if status != "transferred":  # another transfer or a refund got there first
                raise NotTransferableError("the ticket is no longer this holder's live ticket", rule="not_held")
            return None, [ticket]

        def replay() -> Ticket | None:
            """The twin that lost the race finds the ticket moved to the receiver under this key."""
            again = self.uow.load(Ticket, ticket_id, "ticket") if key is not None else None
            return again if again is not None and _made_with(again, key, actor_id, to_holder_id) else None  # type: ignore[arg-type]

        replayed, position = self.uow.transact_or_replay(decide, replay, NotTransferableError)
        return (replayed, None, True) if replayed is not None else (ticket, position, False)


def _made_with(ticket: Ticket, key: str, actor_id: str, to_holder_id: str) -> bool:
    """Whether `key` already made a transfer of this ticket: True if to this receiver; another receiver
    is an IdempotencyConflictError; False if the key made none."""
    earlier = ticket.transfer_keys.get(key)
    if earlier is None:
        return False
    if earlier != (actor_id, to_holder_id):
        raise IdempotencyConflictError(
            f"this Idempotency-Key gave the ticket to {earlier[1]}; send a new key for another transfer")
    return True
