"""The stand-in's PaymentIntents: confirmed, awaiting the client, declined, failed on the client, cancelled."""

from __future__ import annotations

import pytest
import stripe

from tests.integration.stripe.standin.builders import paid_intent
from tests.stripe_standin import StripeStandIn, stripe_fee


def test_a_confirmed_card_payment_succeeds_with_a_charge_carrying_stripes_fee(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    intent = paid_intent(client, 2000, metadata={"ticket_id": "t-1"}, transfer_group="room_r-1")

    charge = client.v1.charges.retrieve(str(intent.latest_charge), params={"expand": ["balance_transaction"]})

    assert intent.status == "succeeded" and intent.amount_received == 2000 and intent.livemode is False
    assert intent.id.startswith("pi_") and charge.id.startswith("ch_")
    txn = charge.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.currency) == ("charge", 2000, 88, 1912, "usd")  # 58 + 30
    assert txn.fee_details[0].type == "stripe_fee"
    assert charge.metadata["ticket_id"] == "t-1" and charge.transfer_group == "room_r-1"
    assert [e["type"] for e in standin.events] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_the_fee_is_two_point_nine_percent_plus_thirty_rounded_half_up() -> None:
    assert [stripe_fee(amount) for amount in (100, 999, 1000, 1724, 99_900)] == [33, 59, 59, 80, 2927]


def test_an_unconfirmed_payment_waits_for_the_client_with_a_client_secret(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    waiting = client.v1.payment_intents.create(
        params={"amount": 500, "currency": "USD", "automatic_payment_methods": {"enabled": True}}
    )
    with_method = client.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa"}
    )

    # the customer confirms in the browser
    standin.succeed_payment(waiting.id)
    confirmed = client.v1.payment_intents.confirm(with_method.id, params={"return_url": "https://example.test/back"})

    assert waiting.status == "requires_payment_method" and waiting.currency == "usd"
    assert str(waiting.client_secret).startswith(f"{waiting.id}_secret_")
    assert with_method.status == "requires_confirmation"
    assert client.v1.payment_intents.retrieve(waiting.id).status == "succeeded"
    assert confirmed.status == "succeeded"


def test_confirming_with_automatic_methods_needs_a_return_url_or_no_redirects(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(
            params={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )

    allowed = client.v1.payment_intents.create(
        params={
            "amount": 500,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )

    assert refused.value.param == "return_url"
    assert allowed.status == "succeeded"


def test_a_declined_card_answers_402_and_the_intent_awaits_another_method(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.CardError) as declined:
        paid_intent(client, payment_method="pm_card_chargeDeclined")

    error = declined.value
    assert (error.http_status, error.code, error.error.decline_code) == (402, "card_declined", "generic_decline")  # type: ignore[union-attr]
    intent = client.v1.payment_intents.retrieve(error.error.payment_intent.id)  # type: ignore[union-attr]
    assert intent.status == "requires_payment_method" and intent.payment_method is None
    assert intent.last_payment_error is not None and intent.last_payment_error.code == "card_declined"
    assert client.v1.charges.retrieve(str(intent.latest_charge)).status == "failed"
    assert [e["type"] for e in standin.events][-2:] == ["charge.failed", "payment_intent.payment_failed"]


def test_a_payment_failing_on_the_client_is_recorded_like_a_decline(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    waiting = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})

    standin.fail_payment(waiting.id, decline_code="insufficient_funds")

    intent = client.v1.payment_intents.retrieve(waiting.id)
    assert intent.status == "requires_payment_method" and intent.last_payment_error.decline_code == "insufficient_funds"  # type: ignore[union-attr]
    assert standin.events_of("payment_intent.payment_failed")[0]["request"] == {"id": None, "idempotency_key": None}


def test_only_an_unfinished_payment_can_be_cancelled(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    waiting = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})
    paid = paid_intent(client)

    canceled = client.v1.payment_intents.cancel(waiting.id, params={"cancellation_reason": "abandoned"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.cancel(paid.id)

    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    assert refused.value.code == "payment_intent_unexpected_state"
    assert standin.events_of("payment_intent.canceled")[0]["data"]["object"]["id"] == waiting.id
