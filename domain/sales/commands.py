"""Ticket sales: reserve a seat, take the payment, record its outcome.

A purchase is two group-committed transactions around one gateway call:

1. reserve: claim a seat with the guard and append `Ticket.Reserved`
   (many purchases share one transaction); an instant gateway (the sandbox)
   pays in that same transaction, and a success is one `Ticket.Sold`
   instead (domain/sales/sold.py), so steps 2 and 3 are done;
2. the gateway starts the payment (idempotent, keyed by the ticket id);
3. settle: append `PaymentStarted` and, when the outcome is known, `Paid`
   (with the revenue split decided now, from the creator's lifetime revenue
   guard) or `Released` (seat given back).

With a paced gateway (a processor's rate limit, payouts/pacing.py) step 2
waits its turn: the reservation's transaction queues the payment with the
seat, the buyer is answered `payment_pending` with a place at once, and the
gateway's pacers start the payments in order. A purchase alone in its batch
with nobody waiting ahead starts its payment itself (ordinary traffic).

A payment that succeeds after its hold expired takes a seat again if one is
free; otherwise the money is taken and refunded at once (pretix's lesson).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.errors import (
    AlreadyHoldsTicketError,
    DuplicateDeliveryError,
    IdempotencyConflictError,
    NotFoundError,
)
from domain.clock import Clock
from domain.guards import SeatClaim, SeatWanted, WriteGuards
from domain.ids import ticket_id_for
from domain.payments import (
    PaymentGateway,
    PaymentGatewayError,
    PaymentQueued,
    PaymentRequest,
    PaymentSession,
    PaymentToQueue,
    QueuePlace,
)
from domain.policies import Policies
from domain.sales.code_uses import code_of, lock_request_codes
from domain.sales.codes import normalise_code
from domain.sales.exact_revenue import exact_revenue
from domain.sales.group_commit import Again, GroupCommitter
from domain.sales.model import Seat, Ticket, TicketStatus
from domain.sales.purchases import BUSY_SKIPS, CLAIM_ERRORS, SOLD_OUT, Purchase, ReserveRequest, Settlement
from domain.sales.settling import apply_payment, may_move_seat, record_seat
from domain.sales.sold_out import SoldOutMarks
from domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

class SalesCommands:
    """Purchases and payment outcomes, through two group committers (`reservations`, `settlements`).

    `expire_holds` (a sold-out room may have expired holds to sweep first) and `refund_now` (a late
    payment that found no seat) are the holds' and refunds' commands, passed in by the application.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, policies: Policies, gateway: PaymentGateway, *,
                 expire_holds: Callable[..., int], refund_now: Callable[[Ticket], Any],
                 group_commit_flushers: int = 1, sold_out_mark: timedelta = timedelta(0),
                 group_commit_gather: timedelta = timedelta(0)) -> None:
        self.uow, self.clock, self.policies, self.gateway = uow, clock, policies, gateway
        # Rooms a plain purchase's claim found sold out: the next plain purchases are refused without one.
        self.sold_out = SoldOutMarks(clock, sold_out_mark)
        self.expire_holds, self.refund_now = expire_holds, refund_now
        # A paced gateway (payouts/pacing.py) starts payments at the processor's rate: a seat's payment
        # joins its queue in the reservation's own transaction, and the purchase answers at once.
        self.paced: bool = getattr(gateway, "paced", False)
        self.reservations: GroupCommitter[ReserveRequest, object] = GroupCommitter(
            self._reserve_queued, name="reserve", flushers=group_commit_flushers,
            gather=group_commit_gather.total_seconds()
        )
        self.settlements: GroupCommitter[Settlement, object] = GroupCommitter(
            self._settle_batch, name="settle", flushers=group_commit_flushers
        )

    def close(self) -> None:
        self.reservations.close()
        self.settlements.close()

    def get_ticket(self, ticket_id: UUID) -> Ticket:
        return self.uow.load(Ticket, ticket_id, "ticket")

    def buy_ticket(
        self,
        room_id: UUID,
        holder_id: str,
        *,
        idempotency_key: str | None = None,
        payment_method: str | None = None,
        tier_id: UUID | None = None,
        code: str | None = None,
        amount: int | None = None,
    ) -> Purchase:
        request = self.purchase_request(room_id, holder_id, idempotency_key=idempotency_key,
                                        payment_method=payment_method, tier_id=tier_id, code=code, amount=amount)
        # A room a claim just found sold out answers at once (domain/sales/sold_out.py); else a claim.
        return self.complete_purchase(request, self.sold_out.refusal(request) or self.reservations.run(request))

    def purchase_request(
        self,
        room_id: UUID,
        holder_id: str,
        *,
        idempotency_key: str | None = None,
        payment_method: str | None = None,
        tier_id: UUID | None = None,
        code: str | None = None,
        amount: int | None = None,
    ) -> ReserveRequest:
        """What to submit to `reservations`; a caller on an event loop awaits its future
        and then calls `complete_purchase`, off the loop unless `purchase_is_settled`."""
        ticket_id = ticket_id_for(room_id, holder_id, idempotency_key) if idempotency_key else uuid4()
        return ReserveRequest(room_id, holder_id, ticket_id, idempotency_key, payment_method, tier_id,
                              normalise_code(code) if code else None, amount)

    @staticmethod
    def purchase_is_settled(outcome: object) -> bool:
        """True if `complete_purchase` needs no I/O for this reservation outcome."""
        if isinstance(outcome, SeatClaim):  # sold out: settled unless a sweep could give a seat back
            return outcome.status not in ("claimed", "replay") and (
                outcome.status not in SOLD_OUT or not outcome.expired_holds)
        return isinstance(outcome, tuple) and (outcome[2] is not None or (
            outcome[3] is not None and outcome[3].status == "queued"))

    def complete_purchase(self, request: ReserveRequest, outcome: object) -> Purchase:
        """Turn a reservation outcome into a purchase: pay, resume a replay, or refuse."""
        room_id = request.room_id
        if isinstance(outcome, SeatClaim) and outcome.status in SOLD_OUT and outcome.expired_holds:
            # Expired holds give their seats back; try once more after sweeping. The claim said
            # whether the room had any (read under its lock): without, no sweep could find one.
            if self.expire_holds(room_id=room_id):
                outcome = self.reservations.run(request)
        if isinstance(outcome, SeatClaim):
            if outcome.status == "replay":
                return self.resume_purchase(request)
            if outcome.status == "already_holds":
                raise AlreadyHoldsTicketError(
                    "the listener already holds a live ticket for this room",
                    ticket_id=str(outcome.ticket_id),
                )
            raise CLAIM_ERRORS[outcome.status](f"room {room_id}: {outcome.status.replace('_', ' ')}")
        ticket, position, session, place = outcome  # type: ignore[misc]
        if session is not None:  # an instant gateway paid (or declined) inside the reservation
            return Purchase(ticket, session, position)
        if place is not None and place.status == "queued":  # a paced gateway starts it in turn
            return Purchase(ticket, None, position, queue_position=place.ahead)
        return self._pay_for(ticket, request.payment_method, position, fresh=True)

    def resume_purchase(self, request: ReserveRequest) -> Purchase:
        """The same Idempotency-Key again: the same ticket, its payment resumed."""
        ticket, payment_method = self.get_ticket(request.ticket_id), request.payment_method
        if ((request.tier_id is not None and request.tier_id != ticket.tier_id) or request.code != ticket.code
                or (request.amount is not None and request.amount != ticket.list_amount)):
            raise IdempotencyConflictError("this Idempotency-Key bought a ticket of another tier, code or amount")
        if ticket.status is TicketStatus.RESERVED:
            return self._pay_for(ticket, payment_method, None, fresh=False, replayed=True)
        session = None
        if ticket.payment_id and ticket.provider == self.gateway.name:
            try:
                session = self.gateway.get_payment(ticket.payment_id)
            except PaymentGatewayError:
                session = None
        return Purchase(ticket, session, None, replayed=True)

    def _pay_for(
        self, ticket: Ticket, payment_method: str | None, position: int | None, *, fresh: bool, replayed: bool = False
    ) -> Purchase:
        try:
            session = self.gateway.start_payment(self._payment_request(ticket, payment_method))
        except PaymentGatewayError as exc:
            # The seat stays held; a retry with the same Idempotency-Key resumes,
            # and the hold expires if nobody comes back.
            if isinstance(exc, PaymentQueued):
                return Purchase(ticket, None, position, replayed=replayed, queue_position=exc.position)
            log.warning("payment could not start for ticket %s via %s: %s", ticket.id, self.gateway.name, exc)
            return Purchase(ticket, None, position, replayed=replayed, payment_error=str(exc))
        settled, settled_position = self.settlements.run(
            Settlement(ticket.id, session, fresh=ticket if fresh else None)
        )
        return Purchase(settled, session, settled_position or position, replayed=replayed)

    def payment_request_for(self, ticket: Ticket | Seat, payment_method: str | None) -> PaymentRequest:
        """What the gateway is asked for this ticket (also by a pacer creating a queued payment later)."""
        return self._payment_request(ticket, payment_method)

    @staticmethod
    def _payment_request(ticket: Ticket | Seat, payment_method: str | None) -> PaymentRequest:
        return PaymentRequest(
            ticket_id=ticket.id,
            room_id=ticket.room_id,
            creator_id=ticket.host_id,
            holder_id=ticket.holder_id,
            amount=ticket.price,
            payment_method=payment_method,
            description=f"Ticket for room {ticket.room_id}",
            reserved_at=ticket.reserved_at,
        )

    def record_payment(
        self, session: PaymentSession, ticket_id: UUID | None = None, dedupe_key: str | None = None
    ) -> tuple[Ticket, int | None]:
        """Record a payment outcome reported by the processor (webhook or re-read).

        Idempotent by state: the same outcome twice records once.
        """
        ticket_id = ticket_id or UUID(session.metadata["ticket_id"])
        return self.settlements.run(Settlement(ticket_id, session, dedupe_key=dedupe_key))

    # --- group-committed batches ----------------------------------------------

    def _reserve_queued(self, requests: Sequence[ReserveRequest]) -> list[object]:
        """The reservations committer's batch: a held room's requests go on to the flusher's next batch."""
        return self._reserve_batch(requests, False, True)

    @exact_revenue
    def _reserve_batch(self, requests: Sequence[ReserveRequest], wait: bool = False,
                       carry: bool = False) -> list[object]:
        """Reserve (and, on an instant gateway, pay) in one transaction. Rooms another process holds are
        skipped, not waited for; their requests are answered `Again` (`carry`: the group committer runs
        them in its next batch, with what queued meanwhile) or reserved right after, waiting (`wait`)."""
        now = self.clock.now()
        expires = now + self.policies.holds.hold
        results: list[object] = [None] * len(requests)
        by_room: dict[UUID, list[int]] = {}
        for i, req in enumerate(requests):
            by_room.setdefault(req.room_id, []).append(i)

        def decide(guards: WriteGuards) -> tuple[None, list[Ticket]]:
            tickets: list[Ticket] = []
            seats: dict[int, Seat] = {}  # the seats claimed, by request, room by room
            # The lock order (domain/guards.py): codes, every room of the batch at once, then revenue rows.
            code_ids = lock_request_codes(guards, requests)
            claimed = guards.claim_rooms(
                {room_id: [SeatWanted(requests[i].holder_id, requests[i].ticket_id, requests[i].tier_id,
                                      code_ids.get(i), requests[i].amount) for i in indexes]
                 for room_id, indexes in by_room.items()}, now, expires,
                replayable={req.ticket_id for req in requests if req.idempotency_key},
                ceilings=self.policies.price.ceilings,
                skip_busy=not wait and len(by_room) > 1 and all(r.skipped < BUSY_SKIPS for r in requests))
            for room_id, indexes in by_room.items():
                for i, claim in zip(indexes, claimed[room_id], strict=True):
                    if claim.status != "claimed":
                        results[i] = claim
                        continue
                    req = requests[i]
                    assert claim.price is not None and claim.host_id is not None and claim.tier_id is not None
                    discount = claim.code.discount(claim.price, self.policies.price) if claim.code else 0
                    seats[i] = Seat(
                        id=req.ticket_id,
                        room_id=req.room_id,
                        host_id=claim.host_id,
                        holder_id=req.holder_id,
                        price_amount=claim.price.amount - discount,
                        price_currency=claim.price.currency,
                        reserved_at=now,
                        hold_expires_at=expires,
                        idempotency_key=req.idempotency_key,
                        tier_id=claim.tier_id,
                        list_amount=claim.price.amount,
                        discount_amount=discount,
                        code=req.code if claim.code else None,
                    )
            if self.paced and seats:  # the payments join the processor's queue, in this same transaction
                guards.queue_payments([PaymentToQueue(requests[i].ticket_id, now, requests[i].payment_method,
                                                      may_start_now=len(requests) == 1) for i in seats])
                queued.append(guards)
            instant = self.gateway.instant and bool(seats)
            if instant:  # in process, no I/O: pay in this same transaction (a success: one `Ticket.Sold`)
                guards.plan_revenue([(s.host_id, s.price_currency, s.room_id, s.price_amount) for s in seats.values()],
                                    {s.price_currency: self.policies.commission.threshold(s.price_currency)
                                     for s in seats.values()})
            for i, seat in seats.items():
                if instant:
                    sessions[i] = self.gateway.start_payment(self._payment_request(seat, requests[i].payment_method))
                ticket = record_seat(guards, seat, sessions.get(i), now, self.policies.commission)
                results[i] = ticket
                tickets.append(ticket)
            return None, tickets

        sessions: dict[int, PaymentSession] = {}
        queued: list[WriteGuards] = []  # the transaction's guards, which know the queued payments' places
        _, position = self.uow.transact(decide)
        for req, result in zip(requests, results, strict=True):
            self.sold_out.note(req, result, now)
        places: dict[UUID, QueuePlace] = queued[-1].queued_places() if queued else {}
        out = [(r, position, sessions.get(i), places.get(r.id)) if isinstance(r, Ticket) else r
               for i, r in enumerate(results)]
        busy = [i for i, r in enumerate(results) if isinstance(r, SeatClaim) and r.status == "busy"]
        if carry:
            for i in busy:
                out[i] = Again(replace(requests[i], skipped=requests[i].skipped + 1))
            return out
        for i, again in zip(busy, self._reserve_batch([requests[i] for i in busy], True) if busy else [], strict=True):
            out[i] = again
        return out

    @exact_revenue
    def _settle_batch(self, settlements: Sequence[Settlement]) -> list[object]:
        tickets: list[Ticket | BaseException] = []
        for s in settlements:
            if s.fresh is not None:
                tickets.append(copy.deepcopy(s.fresh))
                continue
            try:
                tickets.append(self.get_ticket(s.ticket_id))
            except NotFoundError as exc:
                tickets.append(exc)
        now = self.clock.now()
        follow_ups: list[Ticket] = []
        duplicates: set[int] = set()
        live = {i: t for i, t in enumerate(tickets) if isinstance(t, Ticket)}
        order = sorted(live, key=lambda i: (live[i].host_id, str(settlements[i].ticket_id)))
        # The lock order (domain/guards.py): dedupe keys, the rooms that may get a seat back or
        # give one, then the creators' revenue rows; only then the payments, which lock no new row.
        keys = sorted({k for i in live if (k := settlements[i].dedupe_key) is not None})
        rooms, paying, codes = set(), set(), set()
        sales: list[tuple[str, str, UUID | None, int]] = []
        for i, ticket in live.items():
            session = settlements[i].session
            if may_move_seat(ticket, session):
                rooms.add(ticket.room_id)
                if (code_id := code_of(ticket)) is not None:  # a failed payment gives its use back
                    codes.add(code_id)
            if session.status == "succeeded" and ticket.split is None:
                paying.add(ticket.room_id)
                sales.append((ticket.host_id, ticket.price_currency, ticket.room_id, ticket.price_amount))
        limits = {c: self.policies.commission.threshold(c) for _, c, _, _ in sales}

        def decide(guards: WriteGuards) -> tuple[None, list[Ticket]]:
            follow_ups.clear()
            duplicates.clear()
            fresh = {k for k in keys if guards.first_time(k)}
            guards.lock_codes(codes)
            # A paid room's sales count in its revenue slice, if the batch holds the room: it waits for the
            # rooms whose seats move, and takes the others only if free (or all, waiting, in the lock order).
            guards.lock_rooms(rooms | paying, skip_busy=not rooms)
            guards.plan_revenue(sales, limits)
            changed = []
            for i in order:
                s, ticket = settlements[i], live[i]
                if s.dedupe_key is not None:
                    if s.dedupe_key not in fresh:
                        duplicates.add(i)  # this delivery was processed before
                        continue
                    fresh.discard(s.dedupe_key)
                if apply_payment(guards, ticket, s.session, now, self.policies.commission):
                    follow_ups.append(ticket)
                changed.append(ticket)
            return None, changed

        _, position = self.uow.transact(decide)
        for ticket in follow_ups:  # late payment without a seat: refund it now
            self.refund_now(ticket)
        return [
            t if isinstance(t, BaseException)
            else DuplicateDeliveryError(settlements[i].dedupe_key or "") if i in duplicates
            else (t, position)
            for i, t in enumerate(tickets)
        ]
