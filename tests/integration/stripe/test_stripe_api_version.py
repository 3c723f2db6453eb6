"""The Stripe API version is pinned: the gateway names it on every call, the stand-in and SDK agree on it.

Why: Stripe renders every object in the version a request names (or the
account's default when it names none). Pinning it means an account upgrade
in the Dashboard cannot change what the gateway reads, and an SDK upgrade is
a deliberate change of one constant, checked here against the SDK's own pin.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from uuid import uuid4

import pytest
import stripe

from domain.money import Money
from domain.payments import PaymentRequest
from payouts import stripe_gateway
from payouts.stripe_gateway import STRIPE_API_VERSION, StripeGateway, parse_webhook
from tests.stripe_standin import API_VERSION, StripeStandIn, WebhookSender

SECRET = "whsec_version_tests"


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn() as running:
        yield running


def test_the_pinned_version_is_the_sdks_own_and_the_stand_ins() -> None:
    assert STRIPE_API_VERSION == stripe.api_version == API_VERSION
    assert int(stripe.VERSION.split(".")[0]) == 16


def test_every_gateway_request_names_the_pinned_version(standin: StripeStandIn) -> None:
    gateway = StripeGateway("sk_test_version", api_base=standin.url)
    request = PaymentRequest(uuid4(), uuid4(), "creator-1", "listener-1", Money(1200, "USD"), "pm_card_visa")

    session = gateway.start_payment(request)
    gateway.get_payment(session.payment_id)

    assert standin.requests and {r.stripe_version for r in standin.requests} == {STRIPE_API_VERSION}


def test_a_webhook_in_another_version_is_accepted_and_logged_once(
    standin: StripeStandIn, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe_gateway, "_OTHER_VERSIONS_SEEN", set())
    delivered: list[tuple[bytes, dict[str, str]]] = []
    sender = WebhookSender(lambda payload, headers: delivered.append((payload, headers)), SECRET,
                           api_version="2025-10-29.clover")
    sender.send(sender.event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}))
    sender.send(sender.event("payment_intent.succeeded", {"id": "pi_2", "object": "payment_intent"}))

    with caplog.at_level(logging.WARNING, logger="payouts.stripe_gateway"):
        events = [parse_webhook(payload, headers["Stripe-Signature"], SECRET) for payload, headers in delivered]

    assert [e["data"]["object"]["id"] for e in events] == ["pi_1", "pi_2"]
    assert [r.getMessage() for r in caplog.records].count(
        f"stripe webhook rendered in API version 2025-10-29.clover, not {STRIPE_API_VERSION}: set the endpoint's version"
    ) == 1
