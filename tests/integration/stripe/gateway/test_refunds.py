"""StripeGateway's refunds: keyed by our refund id, never more than was paid, in the payment's currency."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.money import Money
from domain.payments import PaymentGatewayError, RefundRequest
from payouts.stripe_gateway import StripeGateway
from tests.integration.stripe.gateway.builders import ticket, refund_of
from tests.stripe_standin import StripeStandIn


def test_refunds_full_or_partial_are_keyed_by_our_refund_id(standin: StripeStandIn, gateway: StripeGateway) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)
    part = refund_of(payment.payment_id, request.ticket_id, 300)

    first = gateway.refund(part)
    replay = gateway.refund(part)
    rest = gateway.refund(refund_of(payment.payment_id, request.ticket_id, 700, reason="room_canceled"))

    assert (first.status, first.amount) == ("succeeded", Money(300, "USD")) and replay == first
    assert first.refund_id.startswith("re_") and first.balance_transaction_id is not None
    assert first.metadata == {
        "ticket_id": str(request.ticket_id),
        "refund_id": str(part.refund_id),
        "reason": "requested_by_customer",
    }
    assert gateway.get_refund(rest.refund_id) == rest
    assert len(standin.objects("refund")) == 2
    posts = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/refunds")]
    assert (
        posts[0].idempotency_key == f"refund-{part.refund_id}" and posts[0].params["reason"] == "requested_by_customer"
    )
    assert "reason" not in posts[2].params and posts[2].params["metadata"]["reason"] == "room_canceled"


def test_refunding_more_than_was_paid_is_refused(gateway: StripeGateway) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.refund(refund_of(payment.payment_id, request.ticket_id, 1001))

    assert (refused.value.retryable, refused.value.code) == (False, "amount_too_large")


def test_a_refund_in_another_currency_is_refused_before_money_moves(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)
    wrong = RefundRequest(
        refund_id=uuid4(), ticket_id=request.ticket_id, payment_id=payment.payment_id, amount=Money(1000, "EUR")
    )

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.refund(wrong)

    assert refused.value.code == "currency_mismatch"
    assert standin.objects("refund") == []


def test_a_pending_refund_that_fails_later_reads_as_failed(standin: StripeStandIn, gateway: StripeGateway) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)
    standin.next_refund("pending")

    pending = gateway.refund(refund_of(payment.payment_id, request.ticket_id, 1000))
    standin.fail_refund(pending.refund_id)

    assert pending.status == "pending"
    failed = gateway.get_refund(pending.refund_id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
