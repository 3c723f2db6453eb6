"""A payment gateway fake whose payments wait for the test to decide."""

from __future__ import annotations

from uuid import UUID

from domain.money import Money
from domain.payments import ChargeDetails, PaymentRequest, PaymentSession, RefundRequest, RefundResult
from payouts.sandbox_gateway import SandboxGateway, stripe_like_fee


class PendingGateway(SandboxGateway):
    """Like Stripe without a payment method: payments stay pending until the test settles them."""

    name = "fake"
    instant = False

    def __init__(self, clock=None) -> None:  # noqa: ANN001
        super().__init__(clock)
        self.requests: list[PaymentRequest] = []
        self.canceled: list[str] = []
        self.refund_requests: list[RefundRequest] = []

    def start_payment(self, request: PaymentRequest) -> PaymentSession:
        self.requests.append(request)
        pid = f"pi_{request.ticket_id.hex[:16]}"
        session = self._payments.get(pid) or PaymentSession(
            self.name, pid, "pending", request.amount, client_secret=f"{pid}_secret_x",
            metadata={"ticket_id": str(request.ticket_id)},
        )
        self._payments[pid] = session
        return session

    def succeed(self, ticket_id: UUID) -> PaymentSession:
        pid = f"pi_{ticket_id.hex[:16]}"
        pending = self._payments[pid]
        fee = stripe_like_fee(pending.amount)
        session = PaymentSession(self.name, pid, "succeeded", pending.amount,
                                 charge=ChargeDetails(f"ch_{pid}", f"txn_{pid}", fee, pending.amount - fee),
                                 metadata=pending.metadata)
        self._payments[pid] = session
        return session

    def fail(self, ticket_id: UUID) -> PaymentSession:
        pid = f"pi_{ticket_id.hex[:16]}"
        pending = self._payments[pid]
        session = PaymentSession(self.name, pid, "failed", pending.amount, failure_code="card_declined",
                                 metadata=pending.metadata)
        self._payments[pid] = session
        return session

    def cancel_payment(self, payment_id: str) -> PaymentSession:
        session = self._payments[payment_id]
        if session.status == "pending":
            self.canceled.append(payment_id)
            session = PaymentSession(self.name, payment_id, "canceled", session.amount, metadata=session.metadata)
            self._payments[payment_id] = session
        return session

    def refund(self, request: RefundRequest) -> RefundResult:
        self.refund_requests.append(request)
        return RefundResult(self.name, f"re_{request.refund_id.hex[:16]}", "succeeded", request.amount,
                            balance_transaction_id=f"txn_re_{request.refund_id.hex[:12]}")


def usd(amount: int) -> Money:
    return Money(amount, "USD")
