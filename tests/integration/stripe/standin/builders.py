"""What the stand-in's tests share: an SDK client for a stand-in, a paid PaymentIntent, an onboarded account."""

from __future__ import annotations

from typing import Any, cast

import stripe
from stripe.params import PaymentIntentCreateParams

from tests.stripe_standin import StripeStandIn


SECRET = "whsec_test_standin"


def client_for(
    standin: StripeStandIn, *, retries: int = 2, timeout: float = 5.0, key: str = "sk_test_standin"
) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": standin.url, "connect": standin.url, "files": standin.url},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def paid_intent(client: stripe.StripeClient, amount: int = 1000, **extra: Any) -> stripe.PaymentIntent:
    params = {
        "amount": amount,
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "confirm": True,
        "payment_method_types": ["card"],
    }
    return client.v1.payment_intents.create(params=cast(PaymentIntentCreateParams, {**params, **extra}))


def response_of(obj: stripe.StripeObject) -> stripe.StripeResponse:
    assert obj.last_response is not None
    return obj.last_response


def enabled_account(client: stripe.StripeClient, standin: StripeStandIn) -> str:
    account = client.v1.accounts.create(params={"type": "express"})
    standin.set_account_status(account.id, charges_enabled=True, payouts_enabled=True)
    return account.id
