"""The payment gateway port: what the domain needs from a payment processor.

Implemented by `payouts.sandbox_gateway.SandboxGateway` (offline default) and
`payouts.stripe_gateway.StripeGateway` (the one module that talks to Stripe).
Every call that creates something takes an idempotency key derived from our
own ids, so a retry after a crash or a timeout lands on the same object.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from domain.money import Money

PaymentStatus = Literal["pending", "succeeded", "failed", "canceled"]
RefundStatus = Literal["pending", "succeeded", "failed", "canceled"]
AccountStatus = Literal["pending", "enabled", "restricted"]
TransferStatus = Literal["submitted", "reversed"]


@dataclass(frozen=True)
class PaymentRequest:
    ticket_id: UUID
    room_id: UUID
    creator_id: str
    holder_id: str
    amount: Money
    payment_method: str | None = None  # e.g. "pm_card_visa"; None: client confirms later
    description: str = ""
    reserved_at: datetime | None = None  # when the seat was held: the order in which paced payments start


@dataclass(frozen=True)
class ChargeDetails:
    """What the processor settled for a successful payment."""

    charge_id: str
    balance_transaction_id: str
    fee: Money  # the processor's fee, borne by the platform, in the settlement currency
    net: Money  # what reached the balance, in the settlement currency (may differ from the charge's)
    exchange_rate: str | None = None  # charge currency -> settlement currency, as the processor wrote it; None: same


@dataclass(frozen=True)
class PaymentSession:
    provider: str  # "sandbox" or "stripe"
    payment_id: str  # Stripe: the PaymentIntent id
    status: PaymentStatus
    amount: Money
    client_secret: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    charge: ChargeDetails | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    refund_id: UUID  # ours; the idempotency key derives from it
    ticket_id: UUID
    payment_id: str
    amount: Money
    reason: str = "requested_by_customer"


@dataclass(frozen=True)
class RefundResult:
    provider: str
    refund_id: str  # the processor's id (Stripe: re_...)
    status: RefundStatus
    amount: Money
    balance_transaction_id: str | None = None
    failure_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectedAccount:
    account_id: str  # Stripe: acct_...
    status: AccountStatus
    charges_enabled: bool = False
    payouts_enabled: bool = False
    requirements_due: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransferRequest:
    payout_id: UUID  # ours; the idempotency key derives from it
    destination: str  # connected account id
    amount: Money
    transfer_group: str
    description: str = ""


@dataclass(frozen=True)
class TransferResult:
    transfer_id: str  # Stripe: tr_...
    amount: Money
    destination: str
    status: TransferStatus
    balance_transaction_id: str | None = None
    reversed_amount: int = 0
    reversal_id: str | None = None  # set by reverse_transfer: the reversal's own id (Stripe: trr_...)


@dataclass(frozen=True)
class BalanceTransaction:
    """One movement on the platform's processor balance (Stripe's balance_transaction)."""

    id: str  # txn_...
    type: str  # charge, refund, transfer, transfer_refund, adjustment, payout, ...
    amount: Money  # signed, gross of fee
    fee: Money
    net: Money
    source: str | None  # ch_..., re_..., tr_..., trr_...
    created: datetime


class PaymentGatewayError(Exception):
    """The processor could not be reached or refused the call after retries."""

    def __init__(self, message: str, *, retryable: bool = True, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class PaymentQueued(PaymentGatewayError):
    """Not sent yet: the processor's rate budget is spent; the seat stays held and the payment starts in turn."""

    def __init__(self, position: int) -> None:
        super().__init__(f"payment queued behind {position} others (processor rate limit)", retryable=True,
                         code="payment_queued")
        self.position = position


@dataclass(frozen=True)
class PaymentToQueue:
    """A seat just reserved whose payment starts later, at the processor's pace (a paced gateway)."""

    ticket_id: UUID
    reserved_at: datetime
    payment_method: str | None
    may_start_now: bool = False  # a purchase alone in its batch: it may start at once if nobody waits


@dataclass(frozen=True)
class QueuePlace:
    """Where a queued payment stands: `starting` (nobody waited: the purchase starts it now)
    or `queued` (`ahead`: seats queued before it that still wait)."""

    status: Literal["queued", "starting"]
    ahead: int


class PaymentQueueGuards(Protocol):
    """The payment queue, written in the reservation's own transaction (no extra round trip)."""

    def queue_payments(self, payments: Sequence[PaymentToQueue]) -> None:
        """Queue these seats' payments, in order, with the transaction's other writes."""

    def queued_places(self) -> dict[UUID, QueuePlace]:
        """After the commit: the place of each payment this transaction queued."""


class PaymentGateway(Protocol):
    """The processor, seen from the domain. `name` labels every response.

    `instant` gateways (the offline sandbox) decide a payment in process, with
    no I/O, so a purchase may reserve and pay in one transaction; any real
    processor is not instant and is never called inside a transaction.
    """

    name: str
    instant: bool

    def start_payment(self, request: PaymentRequest) -> PaymentSession:
        """Create (idempotently, keyed by the ticket id) the payment for a ticket.

        A sandbox or a given `payment_method` may confirm at once; otherwise the
        session is pending and `client_secret` lets the client confirm.
        """

    def get_payment(self, payment_id: str) -> PaymentSession:
        """Re-read a payment (webhooks are triggers; the object is the truth)."""

    def cancel_payment(self, payment_id: str) -> PaymentSession:
        """Cancel a payment that has not succeeded (hold expired)."""

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund (idempotently, keyed by our refund id) part or all of a payment."""

    def get_refund(self, refund_id: str) -> RefundResult: ...

    def create_connected_account(self, creator_id: str, email: str | None = None) -> ConnectedAccount:
        """Create (idempotently, keyed by the creator id) an Express account."""

    def get_connected_account(self, account_id: str) -> ConnectedAccount: ...

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str: ...

    def transfer(self, request: TransferRequest) -> TransferResult:
        """Move money to a connected account (idempotently, keyed by the payout id)."""

    def find_transfer(self, payout_id: UUID, destination: str | None = None) -> TransferResult | None:
        """The transfer made for our payout id, if any (crash repair); `destination`, the
        payout's connected account, narrows the search to that account's transfers."""

    def transfers_paid_out(self, bank_payout_id: str, account_id: str) -> dict[str, str | None] | None:
        """The transfers a connected account's bank payout carried, each with the payout id its
        metadata names (None: not ours); None when the processor cannot say."""

    def reverse_transfer(self, transfer_id: str, amount: Money, key: str) -> TransferResult: ...

    def balance_transactions(self, created_from: datetime, created_to: datetime) -> Iterator[BalanceTransaction]:
        """Every balance transaction created in [from, to), oldest first."""
