"""The stand-in's webhook deliveries pass (or, forged or stale, fail) Stripe's own verification."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.integration.stripe.standin.builders import SECRET, paid_intent
from tests.stripe_standin import StripeStandIn, WebhookSender


def test_signed_events_are_accepted_by_stripes_own_verification(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    paid_intent(client)
    delivered: list[tuple[bytes, dict[str, str]]] = []
    sender = WebhookSender(lambda payload, headers: delivered.append((payload, headers)), SECRET)

    sender.send(standin.events_of("payment_intent.succeeded")[0])
    sender.send(sender.event("account.updated", {"id": "acct_x", "object": "account"}, account="acct_x"))

    events = [
        stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], SECRET) for payload, headers in delivered
    ]
    assert [(event.type, event.livemode) for event in events] == [
        ("payment_intent.succeeded", False),
        ("account.updated", False),
    ]
    assert events[0].data.object.status == "succeeded" and events[1].account == "acct_x"


@pytest.mark.parametrize(
    "forgery",
    [{"tamper": True}, {"secret": "whsec_wrong"}, {"timestamp": 1_600_000_000}],
    ids=["tampered body", "wrong secret", "stale timestamp"],
)
def test_forged_or_stale_deliveries_fail_stripes_verification(forgery: dict[str, Any]) -> None:
    delivered: list[tuple[bytes, dict[str, str]]] = []
    sender = WebhookSender(lambda payload, headers: delivered.append((payload, headers)), SECRET)

    sender.send(sender.event("payout.paid", {"id": "po_1", "object": "payout"}), **forgery)

    payload, headers = delivered[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], SECRET)


def test_the_signature_is_stripes_scheme() -> None:
    sender = WebhookSender(lambda payload, headers: None, "whsec_abc")

    header = sender.sign(b'{"id": "evt_1"}', timestamp=1_700_000_000)

    # computed independently: echo -n '1700000000.{"id": "evt_1"}' | openssl dgst -sha256 -hmac whsec_abc
    assert header == "t=1700000000,v1=523602a5261d3fb92a9f1da088d07b1901216560c5e61e432a856f9183a5e390"
