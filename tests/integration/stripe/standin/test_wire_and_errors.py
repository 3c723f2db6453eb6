"""The stand-in on the wire: Stripe's errors, the pinned API version, test-mode keys, request ids, and its
own bugs failing the test.
"""

from __future__ import annotations

import pytest
import stripe

from tests.integration.stripe.standin.builders import client_for, response_of
from tests.stripe_standin import API_VERSION, StripeStandIn


def test_unknown_ids_and_parameters_are_answered_like_stripe(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_missing")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(params={"amount": 700, "currency": "usd", "ticket": "t-1"})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(stripe.InvalidRequestError) as small:
        client.v1.payment_intents.create(params={"amount": 10, "currency": "usd"})

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert missing.value.json_body == {
        "error": {
            "type": "invalid_request_error",
            "message": "No such payment_intent: 'pi_missing'",
            "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "param": "id",
        }
    }
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "ticket")
    assert small.value.code == "amount_too_small"


def test_the_stand_in_speaks_the_api_version_the_sdk_pins(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    assert API_VERSION == stripe.api_version == "2026-10-28.endive"  # an SDK upgrade must revisit the stand-in
    assert response_of(intent).headers["Stripe-Version"] == stripe.api_version
    assert standin.events[0]["api_version"] == stripe.api_version


def test_requests_need_a_test_mode_secret_key(standin: StripeStandIn) -> None:
    with pytest.raises(stripe.AuthenticationError) as live:
        client_for(standin, key="sk_live_nope").v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    assert live.value.http_status == 401
    assert standin.requests[-1].status == 401


def test_every_answer_has_a_request_id_and_the_request_is_logged(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 700, "currency": "usd", "metadata": {"ticket_id": "t-9"}}
    )

    logged = standin.requests[-1]
    assert response_of(intent).request_id == logged.request_id and logged.request_id.startswith("req_")
    assert (logged.method, logged.path, logged.status) == ("POST", "/v1/payment_intents", 200)
    assert logged.params == {"amount": "700", "currency": "usd", "metadata": {"ticket_id": "t-9"}}


def test_a_bug_in_the_stand_in_fails_the_test_instead_of_passing_for_an_outage() -> None:
    standin = StripeStandIn().start()
    standin.add_balance_transaction(type="adjustment", amount=1, description=object())  # type: ignore[arg-type]

    with pytest.raises(stripe.APIError):  # the SDK sees an outage...
        client_for(standin, retries=0).v1.balance_transactions.list()

    with pytest.raises(AssertionError, match="failed internally"):  # ...the test does not
        standin.stop()
