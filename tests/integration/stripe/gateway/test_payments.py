"""StripeGateway's payments: fees in Money, pending and declined sessions, the same ticket's key, retries
that make one PaymentIntent, one error type for Stripe's failures, cancelling.
"""

from __future__ import annotations

import pytest

from domain.money import Money
from domain.payments import PaymentGatewayError, PaymentRequest
from payouts.stripe_gateway import StripeGateway
from tests.integration.stripe.gateway.builders import ROOM, ticket
from tests.stripe_standin import StripeStandIn


def test_a_card_payment_succeeds_and_reports_stripes_fee_in_money(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket(2500)

    session = gateway.start_payment(request)

    assert (session.provider, session.status, session.amount) == ("stripe", "succeeded", Money(2500, "USD"))
    assert session.charge is not None
    assert (session.charge.fee, session.charge.net) == (Money(103, "USD"), Money(2397, "USD"))  # 72.5 -> 73, + 30
    assert session.charge.charge_id.startswith("ch_") and session.charge.balance_transaction_id.startswith("txn_")
    intent = standin.get(session.payment_id, "payment_intent")
    assert (intent["currency"], intent["transfer_group"]) == ("usd", f"room_{ROOM}")
    assert intent["metadata"] == {
        "ticket_id": str(request.ticket_id),
        "room_id": str(ROOM),
        "creator_id": "creator-1",
        "holder_id": "listener-1",
    }
    assert standin.requests[0].idempotency_key == f"pi-{request.ticket_id}"


def test_a_payment_without_a_card_is_pending_until_the_client_confirms(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    session = gateway.start_payment(ticket(payment_method=None))

    # the listener confirms in the browser with the client secret
    standin.succeed_payment(session.payment_id)

    assert session.status == "pending" and session.charge is None
    assert session.client_secret is not None and session.client_secret.startswith(f"{session.payment_id}_secret_")
    assert standin.requests[0].params["automatic_payment_methods"] == {"enabled": "true"}
    paid = gateway.get_payment(session.payment_id)
    assert paid.status == "succeeded" and paid.charge is not None and paid.charge.fee == Money(59, "USD")


def test_a_declined_card_is_a_failed_session_not_an_exception(gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket(payment_method="pm_card_chargeDeclined"))

    assert session.status == "failed" and session.charge is None
    assert (session.failure_code, session.failure_message) == ("card_declined", "Your card was declined.")
    assert session.payment_id.startswith("pi_")
    assert gateway.get_payment(session.payment_id).status == "failed"


def test_a_payment_declined_on_the_client_reads_as_failed(standin: StripeStandIn, gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket(payment_method=None))

    standin.fail_payment(session.payment_id)

    assert gateway.get_payment(session.payment_id).status == "failed"


def test_starting_the_same_ticket_twice_returns_the_same_payment_intent(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket()

    first = gateway.start_payment(request)
    again = gateway.start_payment(request)

    assert again == first
    assert len(standin.objects("payment_intent")) == 1
    assert [r.replayed for r in standin.requests if r.method == "POST"] == [False, True]


def test_a_500_on_create_is_retried_with_the_same_key_and_makes_one_payment_intent(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket()
    standin.fail_next("POST", "/v1/payment_intents", status=500)

    session = gateway.start_payment(request)

    creates = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/payment_intents")]
    assert [(r.status, r.idempotency_key) for r in creates] == [
        (500, f"pi-{request.ticket_id}"),
        (200, f"pi-{request.ticket_id}"),
    ]
    assert session.status == "succeeded"
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [session.payment_id]


def test_a_timeout_on_create_is_retried_with_the_same_key_and_makes_one_payment_intent(standin: StripeStandIn) -> None:
    impatient = StripeGateway("sk_test_gateway", api_base=standin.url, max_network_retries=2, timeout=0.5)
    request = ticket()
    standin.timeout_next("POST", "/v1/payment_intents", seconds=1.5)

    session = impatient.start_payment(request)

    creates = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/payment_intents")]
    assert [(r.idempotency_key, r.replayed) for r in creates] == [
        (f"pi-{request.ticket_id}", False),
        (f"pi-{request.ticket_id}", True),
    ]
    assert session.status == "succeeded"
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [session.payment_id]


def test_an_outage_outlasting_the_retries_is_a_retryable_gateway_error(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    standin.fail_next("POST", "/v1/payment_intents", status=503, times=3)

    with pytest.raises(PaymentGatewayError) as outage:
        gateway.start_payment(ticket())

    assert outage.value.retryable is True and outage.value.code == "api_error"
    assert len([r for r in standin.requests if r.path == "/v1/payment_intents"]) == 3  # first try + 2 retries
    assert standin.objects("payment_intent") == []


def test_a_refused_request_is_a_gateway_error_that_is_not_retryable(gateway: StripeGateway) -> None:
    with pytest.raises(PaymentGatewayError) as missing:
        gateway.get_payment("pi_missing")

    assert (missing.value.retryable, missing.value.code) == (False, "resource_missing")


def test_the_same_ticket_with_other_terms_is_refused_not_charged_twice(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket(1000)
    gateway.start_payment(request)

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.start_payment(PaymentRequest(**{**request.__dict__, "amount": Money(2000, "USD")}))

    assert (refused.value.retryable, refused.value.code) == (False, "idempotency_error")
    assert len(standin.objects("payment_intent")) == 1


def test_cancelling_an_unpaid_payment_cancels_it(gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket(payment_method=None))

    canceled = gateway.cancel_payment(session.payment_id)

    assert canceled.status == "canceled"


def test_cancelling_a_payment_that_was_paid_meanwhile_answers_it_paid(gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket())

    answer = gateway.cancel_payment(session.payment_id)

    assert answer.status == "succeeded" and answer.charge is not None
