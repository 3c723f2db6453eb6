"""The stand-in's idempotency keys, and the SDK's retries of 5xx and timeouts with the same key."""

from __future__ import annotations

import pytest
import stripe
from stripe.params import PaymentIntentCreateParams

from tests.integration.stripe.standin.builders import client_for, response_of, enabled_account
from tests.stripe_standin import StripeStandIn


def test_the_same_key_and_parameters_replay_the_first_answer(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    params = {"amount": 700, "currency": "usd", "metadata": {"ticket_id": "t-7"}}

    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "pi-t-7"})  # type: ignore[arg-type]
    second = client.v1.payment_intents.create(params=params, options={"idempotency_key": "pi-t-7"})  # type: ignore[arg-type]

    assert second.id == first.id and second.client_secret == first.client_secret
    assert response_of(second).headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in response_of(first).headers
    assert len(standin.objects("payment_intent")) == 1
    assert [r.replayed for r in standin.requests] == [False, True]


def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"}, options={"idempotency_key": "pi-t-8"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.payment_intents.create(
            params={"amount": 800, "currency": "usd"}, options={"idempotency_key": "pi-t-8"}
        )

    assert refused.value.http_status == 400
    assert len(standin.objects("payment_intent")) == 1


def test_a_key_is_scoped_to_the_stripe_account(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    account = enabled_account(client, standin)
    params: PaymentIntentCreateParams = {"amount": 700, "currency": "usd"}

    platform = client.v1.payment_intents.create(params=params, options={"idempotency_key": "same"})  # type: ignore[arg-type]
    connected = client.v1.payment_intents.create(
        params=params, options={"idempotency_key": "same", "stripe_account": account}
    )  # type: ignore[arg-type]

    assert platform.id != connected.id


def test_a_decline_is_saved_and_replayed_for_its_key(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    params = {
        "amount": 900,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": True,
        "payment_method_types": ["card"],
    }
    errors = []

    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            client.v1.payment_intents.create(params=params, options={"idempotency_key": "pi-declined"})  # type: ignore[arg-type]
        errors.append(declined.value)

    assert errors[0].error.payment_intent.id == errors[1].error.payment_intent.id  # type: ignore[union-attr]
    assert (errors[1].headers or {}).get("Idempotent-Replayed") == "true"
    assert len(standin.objects("payment_intent")) == 1


def test_a_500_is_retried_by_the_sdk_with_the_same_key_and_makes_one_payment_intent(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    standin.fail_next("POST", "/v1/payment_intents", status=500)

    intent = client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})  # no key: the SDK makes one

    attempts = [r for r in standin.requests if r.path == "/v1/payment_intents"]
    assert [r.status for r in attempts] == [500, 200]
    assert attempts[0].idempotency_key is not None and attempts[0].idempotency_key == attempts[1].idempotency_key
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [intent.id]


def test_a_500_without_retries_surfaces_as_stripes_api_error(standin: StripeStandIn) -> None:
    standin.fail_next("POST", "/v1/payment_intents", status=503)

    with pytest.raises(stripe.APIError) as outage:
        client_for(standin, retries=0).v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    assert outage.value.http_status == 503 and outage.value.error.type == "api_error"  # type: ignore[union-attr]
    assert standin.objects("payment_intent") == []


def test_a_timeout_is_retried_with_the_same_key_and_replayed_not_repeated(standin: StripeStandIn) -> None:
    impatient = client_for(standin, retries=2, timeout=0.5)
    standin.timeout_next("POST", "/v1/payment_intents", seconds=1.5)

    intent = impatient.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    attempts = [r for r in standin.requests if r.path == "/v1/payment_intents"]
    assert [r.replayed for r in attempts] == [False, True]
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [intent.id]
