"""The sandbox payment gateway: the whole money flow offline, clearly labelled.

The embedded default when no Stripe key is configured. It behaves like Stripe
in test mode: a payment with a payment method confirms at once (a payment
without one also succeeds at once, so `make run` needs no client), the test
payment methods `pm_card_chargeDeclined` and `pm_card_visa_chargeDeclined`
(or `tok_chargeDeclined`) are declined, fees follow Stripe's standard US
pricing (2.9% + 0.30, rounded to the minor unit), refunds and transfers settle
at once. Every object it makes has an id starting with `sandbox_`, and every
response that mentions payment says `"provider": "sandbox"`.

State lives in this process only: balance transactions are lost on restart,
so reconciliation on the sandbox covers the current process's lifetime.
"""

from __future__ import annotations

import threading
from hashlib import blake2b
from collections.abc import Callable, Iterator
from datetime import datetime
from uuid import UUID, uuid5

from domain.clock import Clock, SystemClock
from domain.money import Money
from domain.payments import (
    BalanceTransaction,
    ChargeDetails,
    ConnectedAccount,
    PaymentGatewayError,
    PaymentRequest,
    PaymentSession,
    RefundRequest,
    RefundResult,
    TransferRequest,
    TransferResult,
)

DECLINING_METHODS = frozenset({"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined", "tok_chargeDeclined"})
_NS = UUID("0b5a7d1e-0000-4000-8000-5a7d1e0b5a7d")


def stripe_like_fee(amount: Money) -> Money:
    """2.9% + 30 minor units, rounded half up, in integers only."""
    return Money((amount.amount * 29 + 500) // 1000 + 30, amount.currency)


def _sid(prefix: str, key: str) -> str:
    return f"sandbox_{prefix}_{uuid5(_NS, key).hex[:24]}"


def _sale_sid(prefix: str, key: str) -> str:
    """`_sid` for the ids every sale makes (payment, charge, balance transaction): the same shape
    (24 hex digits from a hash of the key), from BLAKE2b, a seventh of uuid5's cost (0.4 against
    2.9 µs); an instant payment is decided inside the sale's transaction, three ids a sale."""
    return f"sandbox_{prefix}_{blake2b(key.encode(), digest_size=12).hexdigest()}"


class SandboxGateway:
    name = "sandbox"
    instant = True  # decides in process, no I/O: a purchase reserves and pays in one transaction

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._payments: dict[str, PaymentSession] = {}
        self._refunds: dict[str, RefundResult] = {}
        self._refunded: dict[str, int] = {}
        self._transfers: dict[str, TransferResult] = {}
        self._transfer_by_payout: dict[UUID, str] = {}
        self._accounts: dict[str, ConnectedAccount] = {}
        self._balance: list[BalanceTransaction] = []
        # Test hooks: make the next refund or transfer fail.
        self.fail_refunds = False
        self.on_refund: Callable[[RefundRequest], None] | None = None

    def _book(self, kind: str, amount: Money, fee: Money, source: str) -> str:
        txn = BalanceTransaction(
            id=_sale_sid("txn", f"{kind}:{source}"), type=kind, amount=amount, fee=fee,
            net=amount - fee, source=source, created=self._clock.now(),
        )
        self._balance.append(txn)
        return txn.id

    def start_payment(self, request: PaymentRequest) -> PaymentSession:
        pid = _sale_sid("pi", f"pi-{request.ticket_id}")
        with self._lock:
            if pid in self._payments and self._payments[pid].status != "failed":
                return self._payments[pid]
            meta = {"ticket_id": str(request.ticket_id), "room_id": str(request.room_id),
                    "creator_id": request.creator_id, "holder_id": request.holder_id}
            if request.payment_method in DECLINING_METHODS:
                session = PaymentSession(self.name, pid, "failed", request.amount, client_secret=f"{pid}_secret",
                                         failure_code="card_declined", failure_message="Your card was declined.",
                                         metadata=meta)
            else:
                charge_id = _sale_sid("ch", pid)
                fee = stripe_like_fee(request.amount)
                txn = self._book("charge", request.amount, fee, charge_id)
                session = PaymentSession(
                    self.name, pid, "succeeded", request.amount, client_secret=f"{pid}_secret",
                    charge=ChargeDetails(charge_id, txn, fee, request.amount - fee), metadata=meta,
                )
            self._payments[pid] = session
            return session

    def get_payment(self, payment_id: str) -> PaymentSession:
        try:
            return self._payments[payment_id]
        except KeyError:
            raise PaymentGatewayError(f"no sandbox payment {payment_id}", retryable=False, code="resource_missing") from None

    def cancel_payment(self, payment_id: str) -> PaymentSession:
        session = self.get_payment(payment_id)
        return session

    def refund(self, request: RefundRequest) -> RefundResult:
        rid = _sid("re", f"refund-{request.refund_id}")
        with self._lock:
            if rid in self._refunds:
                return self._refunds[rid]
            if self.on_refund:
                self.on_refund(request)
            payment = self._payments.get(request.payment_id)
            if payment is None or payment.charge is None:
                raise PaymentGatewayError(f"no sandbox charge for {request.payment_id}", retryable=False)
            done = self._refunded.get(request.payment_id, 0)
            if done + request.amount.amount > payment.amount.amount:
                raise PaymentGatewayError("refund exceeds the charge", retryable=False, code="charge_already_refunded")
            meta = {"ticket_id": str(request.ticket_id), "refund_id": str(request.refund_id)}
            if self.fail_refunds:
                result = RefundResult(self.name, rid, "failed", request.amount, failure_reason="sandbox_failure", metadata=meta)
            else:
                self._refunded[request.payment_id] = done + request.amount.amount
                txn = self._book("refund", -request.amount, Money.zero(request.amount.currency), rid)
                result = RefundResult(self.name, rid, "succeeded", request.amount, balance_transaction_id=txn, metadata=meta)
            self._refunds[rid] = result
            return result

    def get_refund(self, refund_id: str) -> RefundResult:
        try:
            return self._refunds[refund_id]
        except KeyError:
            raise PaymentGatewayError(f"no sandbox refund {refund_id}", retryable=False) from None

    def create_connected_account(self, creator_id: str, email: str | None = None) -> ConnectedAccount:
        aid = _sid("acct", f"acct-{creator_id}")
        with self._lock:
            account = self._accounts.setdefault(aid, ConnectedAccount(aid, "enabled", True, True))
        return account

    def get_connected_account(self, account_id: str) -> ConnectedAccount:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise PaymentGatewayError(f"no sandbox account {account_id}", retryable=False) from None

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        return f"{return_url}?sandbox_onboarding={account_id}"

    def transfer(self, request: TransferRequest) -> TransferResult:
        with self._lock:
            existing = self._transfer_by_payout.get(request.payout_id)
            if existing:
                return self._transfers[existing]
            tid = _sid("tr", f"transfer-{request.payout_id}")
            txn = self._book("transfer", -request.amount, Money.zero(request.amount.currency), tid)
            result = TransferResult(tid, request.amount, request.destination, "submitted", txn)
            self._transfers[tid] = result
            self._transfer_by_payout[request.payout_id] = tid
            return result

    def find_transfer(self, payout_id: UUID, destination: str | None = None) -> TransferResult | None:
        tid = self._transfer_by_payout.get(payout_id)
        return self._transfers.get(tid) if tid else None

    def transfers_paid_out(self, bank_payout_id: str, account_id: str) -> dict[str, str | None] | None:
        return None  # no bank payouts offline: nothing can say what one carried

    def reverse_transfer(self, transfer_id: str, amount: Money, key: str) -> TransferResult:
        with self._lock:
            t = self._transfers[transfer_id]
            reversal_id = _sid("trr", key)
            self._book("transfer_refund", amount, Money.zero(amount.currency), reversal_id)
            reversed_t = TransferResult(t.transfer_id, t.amount, t.destination, "reversed", t.balance_transaction_id,
                                        t.reversed_amount + amount.amount, reversal_id=reversal_id)
            self._transfers[transfer_id] = reversed_t
            return reversed_t

    def balance_transactions(self, created_from: datetime, created_to: datetime) -> Iterator[BalanceTransaction]:
        with self._lock:
            items = [t for t in self._balance if created_from <= t.created < created_to]
        yield from items
