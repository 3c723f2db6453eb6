"""The Ticket aggregate: one listener's seat in one room, and its money.

reserved --paid--> paid --refund (full)--> refunded   (paid --transferred--> paid, another holder)
    \\--released (payment failed, hold expired, room cancelled)
sold (an instant payment in the reservation's transaction: domain/sales/sold.py) = reserved --paid--> paid
paid --dispute opened--> revoked --dispute won--> paid

Money-moving events carry what a projection needs (a sale's split, a refund's reversal): no policy recomputed.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import TicketStateError
from domain.money import Money
from domain.policies import CommissionPolicy, Split
from domain.sales.sold import Seat, SoldEvent, assign_payment, settled
from domain.sales.states import RefundState, TicketStatus, apply_transfer, upcast_paid_v1_v2, upcast_reserved_v1_v2

__all__ = ["RefundState", "Seat", "Ticket", "TicketStatus"]


class Ticket(Aggregate):
    class Reserved(Aggregate.Created):
        """v2 names the tier, and the list price and discount behind `price_amount` (what is charged)."""

        class_version = 2
        upcasts_only_add = frozenset({"tier_id", "list_amount", "discount_amount", "code"})
        room_id: UUID
        host_id: str
        holder_id: str
        price_amount: int
        price_currency: str
        reserved_at: datetime
        hold_expires_at: datetime
        idempotency_key: str | None
        tier_id: UUID
        list_amount: int
        discount_amount: int
        code: str | None

        upcast_v1_v2 = staticmethod(upcast_reserved_v1_v2)

    @classmethod
    def reserve(cls, id: UUID, room_id: UUID, host_id: str, holder_id: str, price_amount: int,  # noqa: A002
                price_currency: str, reserved_at: datetime, hold_expires_at: datetime, idempotency_key: str | None,
                tier_id: UUID, list_amount: int, discount_amount: int = 0, code: str | None = None) -> Ticket:
        """A seat held for `holder_id` until `hold_expires_at`, under an id the caller derived or drew."""
        return cls._create(cls.Reserved, id=id, room_id=room_id, host_id=host_id, holder_id=holder_id,
                           price_amount=price_amount, price_currency=price_currency, reserved_at=reserved_at,
                           hold_expires_at=hold_expires_at, idempotency_key=idempotency_key, tier_id=tier_id,
                           list_amount=list_amount, discount_amount=discount_amount, code=code)

    @event(Reserved)
    def __init__(self, room_id: UUID, host_id: str, holder_id: str, price_amount: int, price_currency: str,
                 reserved_at: datetime, hold_expires_at: datetime, idempotency_key: str | None, tier_id: UUID,
                 list_amount: int, discount_amount: int = 0, code: str | None = None) -> None:
        self.room_id = room_id
        self.tier_id, self.list_amount, self.discount_amount, self.code = tier_id, list_amount, discount_amount, code
        self.host_id = host_id
        self.holder_id = holder_id
        self.price_amount = price_amount
        self.price_currency = price_currency
        self.reserved_at = reserved_at
        self.hold_expires_at = hold_expires_at
        self.idempotency_key = idempotency_key
        self.status = TicketStatus.RESERVED
        self.provider: str | None = None
        self.payment_id: str | None = None
        self.charge_id: str | None = None
        self.split: Split | None = None
        self.fee = 0
        self.fee_currency = price_currency
        self.paid_at: datetime | None = None
        self.release_reason: str | None = None
        self.refunds: dict[str, RefundState] = {}
        self.refunded_amount = 0
        self.reversed_creator = 0
        self.reversed_commission = 0
        self.revoke_reason: str | None = None
        self.dispute_id: str | None = None
        self.dispute_amount = 0
        self.dispute_outcome: str | None = None
        self.transfer_count, self.transfer_keys = 0, {}  # see domain/sales/states.py, apply_transfer

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)

    # --- payment -----------------------------------------------------------

    def start_payment(self, provider: str, payment_id: str) -> None:
        if self.payment_id == payment_id:
            return
        if self.status is not TicketStatus.RESERVED:
            raise TicketStateError(f"a {self.status} ticket takes no new payment")
        self._start_payment(provider, payment_id)

    @event("PaymentStarted")
    def _start_payment(self, provider: str, payment_id: str) -> None:
        self.provider = provider
        self.payment_id = payment_id

    class Paid(Aggregate.Event):
        """Money received: the split in the ticket's currency, fee and net in the settlement currency.

        Version 2 added `fee_currency`, `net` and `exchange_rate`: the processor
        settles in its own currency, which may differ from the ticket's. The list price,
        discount and code behind `gross` came later, with defaults (None: before codes)."""

        class_version = 2
        # What the upcasts add; a reader of other fields may skip upcasting (projections/light_events.py).
        upcasts_only_add = frozenset({"fee_currency", "net", "exchange_rate"})

        room_id: UUID
        creator_id: str
        holder_id: str
        provider: str
        payment_id: str
        charge_id: str | None
        balance_transaction_id: str | None
        gross: int
        creator_share: int
        commission: int
        fee: int
        fee_currency: str
        net: int
        exchange_rate: str | None
        currency: str
        policy_version: str
        lifetime_before: int  # exact where the split depends on it (domain/guards.py, accrue_revenue)
        paid_at: datetime
        seat_held: bool
        list_amount: int | None = None
        discount_amount: int | None = None
        code: str | None = None

        upcast_v1_v2 = staticmethod(upcast_paid_v1_v2)

    def pay(self, *, split: Split, fee: Money | None, net: Money | None = None, exchange_rate: str | None = None,
            provider: str, payment_id: str, charge_id: str | None, balance_transaction_id: str | None,
            lifetime_before: int, at: datetime, seat_held: bool) -> None:
        """Record money received. `seat_held` is False for a late payment that found no seat.

        `fee` and `net` are in the settlement currency (None: the processor
        reported no fee, so nothing was taken: net is the gross).
        """
        fee, net, exchange_rate = settled(split, fee, net, exchange_rate)
        self._pay(room_id=self.room_id, creator_id=self.host_id, holder_id=self.holder_id, provider=provider,
                  payment_id=payment_id, charge_id=charge_id, balance_transaction_id=balance_transaction_id,
                  gross=split.gross, creator_share=split.creator_share, commission=split.commission, fee=fee.amount,
                  fee_currency=fee.currency, net=net.amount, exchange_rate=exchange_rate, currency=split.currency,
                  policy_version=split.policy_version, lifetime_before=lifetime_before, paid_at=at,
                  seat_held=seat_held, list_amount=self.list_amount, discount_amount=self.discount_amount,
                  code=self.code)

    @event(Paid)
    def _pay(
        self,
        room_id: UUID,
        creator_id: str,
        holder_id: str,
        provider: str,
        payment_id: str,
        charge_id: str | None,
        balance_transaction_id: str | None,
        gross: int,
        creator_share: int,
        commission: int,
        fee: int,
        fee_currency: str,
        net: int,
        exchange_rate: str | None,
        currency: str,
        policy_version: str,
        lifetime_before: int,
        paid_at: datetime,
        seat_held: bool,
        list_amount: int | None = None,
        discount_amount: int | None = None,
        code: str | None = None,
    ) -> None:
        assign_payment(self, provider, payment_id, charge_id,
                       Split(gross, creator_share, commission, currency, policy_version), fee, fee_currency, paid_at)

    class Sold(SoldEvent):
        """Reserved and paid at once: `Reserved` then `Paid` in one event (its fields: domain/sales/sold.py)."""

    @classmethod
    def sell(cls, seat: Seat, *, split: Split, fee: Money | None, net: Money | None = None,
             exchange_rate: str | None = None, provider: str, payment_id: str, charge_id: str | None,
             balance_transaction_id: str | None, lifetime_before: int, at: datetime) -> Ticket:
        """A seat claimed and paid for in one transaction, its seat held: what `reserve` then `pay` record."""
        if (split.gross, split.currency) != (seat.price_amount, seat.price_currency):
            raise ValueError(f"a split of {split.gross} {split.currency} for a seat at {seat.price}")
        fee, net, exchange_rate = settled(split, fee, net, exchange_rate)
        return cls._create(cls.Sold, **seat.reservation(), provider=provider, payment_id=payment_id,
                           charge_id=charge_id, balance_transaction_id=balance_transaction_id,
                           creator_share=split.creator_share, commission=split.commission, fee=fee.amount,
                           fee_currency=fee.currency, net=net.amount, exchange_rate=exchange_rate,
                           policy_version=split.policy_version, lifetime_before=lifetime_before, paid_at=at)

    def release(self, reason: str, at: datetime) -> None:
        if self.status is not TicketStatus.RESERVED:
            raise TicketStateError(f"only a reserved ticket can be released; this one is {self.status}")
        self._release(self.room_id, self.holder_id, reason, at)

    @event("Released")
    def _release(self, room_id: UUID, holder_id: str, reason: str, at: datetime) -> None:
        self.status = TicketStatus.RELEASED
        self.release_reason = reason

    # --- gifts and transfers (the rules: domain/sales/transfers.py) ---------

    @event("Transferred")
    def _transfer(self, room_id: UUID, from_holder_id: str, to_holder_id: str, transfer_count: int,
                  idempotency_key: str | None, at: datetime) -> None:
        apply_transfer(self, from_holder_id, to_holder_id, transfer_count, idempotency_key)

    # --- refunds -----------------------------------------------------------

    @property
    def refundable(self) -> int:
        return (self.split.gross if self.split else 0) - self.refunded_amount

    def request_refund(self, refund_id: UUID, amount: int | None, reason: str, by: str, at: datetime) -> RefundState:
        """Refund `amount` (None: all that is left). A full refund ends access."""
        if str(refund_id) in self.refunds:
            return self.refunds[str(refund_id)]
        if self.split is None or self.status not in (TicketStatus.PAID, TicketStatus.REVOKED):
            raise TicketStateError(f"a {self.status} ticket has nothing to refund")
        left = self.refundable
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise TicketStateError(f"refund must be between 1 and {left} minor units")
        total = self.refunded_amount + amount
        creator_total, commission_total = CommissionPolicy.reverse(self.split, total)
        self._request_refund(
            room_id=self.room_id,
            creator_id=self.host_id,
            holder_id=self.holder_id,
            refund_id=refund_id,
            amount=amount,
            currency=self.split.currency,
            creator_reversal=creator_total - self.reversed_creator,
            commission_reversal=commission_total - self.reversed_commission,
            full=total == self.split.gross,
            reason=reason,
            requested_by=by,
            at=at,
        )
        return self.refunds[str(refund_id)]

    @event("RefundRequested")
    def _request_refund(self, room_id: UUID, creator_id: str, holder_id: str, refund_id: UUID, amount: int,
                        currency: str, creator_reversal: int, commission_reversal: int, full: bool, reason: str,
                        requested_by: str, at: datetime) -> None:
        self.refunds[str(refund_id)] = RefundState(refund_id, amount, "requested", 1, reason, full=full)
        self.refunded_amount += amount
        self.reversed_creator += creator_reversal
        self.reversed_commission += commission_reversal
        if full:
            self.status = TicketStatus.REFUNDED

    def settle_refund(self, refund_id: UUID, processor_refund_id: str, balance_transaction_id: str | None, at: datetime) -> bool:
        state = self.refunds.get(str(refund_id))
        if state is None:
            raise TicketStateError(f"unknown refund {refund_id}")
        if state.status == "succeeded":
            return False
        self._settle_refund(self.room_id, self.host_id, refund_id, state.amount, self.price_currency, processor_refund_id,
                            balance_transaction_id, at)
        return True

    @event("RefundSettled")
    def _settle_refund(self, room_id: UUID, creator_id: str, refund_id: UUID, amount: int, currency: str,
                       processor_refund_id: str, balance_transaction_id: str | None, at: datetime) -> None:
        state = self.refunds[str(refund_id)]
        state.status = "succeeded"
        state.processor_refund_id = processor_refund_id

    def fail_refund(self, refund_id: UUID, reason: str, at: datetime) -> bool:
        state = self.refunds.get(str(refund_id))
        if state is None or state.status != "requested":
            return False
        self._fail_refund(refund_id, reason, state.attempt, at)
        return True

    @event("RefundFailed")
    def _fail_refund(self, refund_id: UUID, reason: str, attempt: int, at: datetime) -> None:
        self.refunds[str(refund_id)].status = "failed"

    def retry_refund(self, refund_id: UUID, at: datetime) -> RefundState:
        state = self.refunds[str(refund_id)]
        if state.status != "failed":
            raise TicketStateError(f"refund {refund_id} is {state.status}, not failed")
        self._retry_refund(refund_id, state.attempt + 1, at)
        return state

    @event("RefundRetried")
    def _retry_refund(self, refund_id: UUID, attempt: int, at: datetime) -> None:
        state = self.refunds[str(refund_id)]
        state.status = "requested"
        state.attempt = attempt

    # --- revocation and disputes -------------------------------------------

    # No command revokes a ticket any more (it was never called); the event stays so a log that holds one replays.
    @event("Revoked")
    def _revoke(self, room_id: UUID, holder_id: str, reason: str, at: datetime) -> None:
        self.status = TicketStatus.REVOKED
        self.revoke_reason = reason

    def open_dispute(self, dispute_id: str, amount: int, at: datetime) -> bool:
        if self.dispute_id == dispute_id:
            return False
        if self.split is None:
            raise TicketStateError("an unpaid ticket cannot be disputed")
        self._open_dispute(self.room_id, self.host_id, self.holder_id, dispute_id, amount, self.price_currency,
                           self.status is TicketStatus.PAID, at)
        return True

    @event("DisputeOpened")
    def _open_dispute(self, room_id: UUID, creator_id: str, holder_id: str, dispute_id: str, amount: int,
                      currency: str, access_revoked: bool, at: datetime) -> None:
        self.dispute_id = dispute_id
        self.dispute_amount = amount
        self.dispute_outcome = None
        if access_revoked:
            self.status = TicketStatus.REVOKED
            self.revoke_reason = "disputed"

    def close_dispute(self, dispute_id: str, won: bool, at: datetime) -> bool:
        if self.dispute_id != dispute_id or self.dispute_outcome is not None:
            return False
        assert self.split is not None  # Safeguard: a dispute needs a sale.
        amount = self.refundable if not won else 0
        creator_total, commission_total = CommissionPolicy.reverse(self.split, self.refunded_amount + amount)
        self._close_dispute(
            room_id=self.room_id,
            creator_id=self.host_id,
            holder_id=self.holder_id,
            disputed_amount=self.dispute_amount,
            dispute_id=dispute_id,
            won=won,
            amount=amount,
            currency=self.split.currency,
            creator_reversal=creator_total - self.reversed_creator if not won else 0,
            commission_reversal=commission_total - self.reversed_commission if not won else 0,
            at=at,
        )
        return True

    @event("DisputeClosed")
    def _close_dispute(self, room_id: UUID, creator_id: str, holder_id: str, disputed_amount: int, dispute_id: str,
                       won: bool, amount: int, currency: str, creator_reversal: int, commission_reversal: int,
                       at: datetime) -> None:
        self.dispute_outcome = "won" if won else "lost"
        if won:
            if self.status is TicketStatus.REVOKED and self.revoke_reason == "disputed":
                self.status = TicketStatus.PAID
                self.revoke_reason = None
        else:
            self.refunded_amount += amount
            self.reversed_creator += creator_reversal
            self.reversed_commission += commission_reversal
