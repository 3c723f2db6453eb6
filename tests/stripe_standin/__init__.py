"""A local stand-in for Stripe's API and webhooks, driven through the real `stripe` SDK.

Use it as a context manager and point a StripeClient (or our StripeGateway)
at `standin.url`:

    with StripeStandIn() as standin:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin.url})
        ...

See server.py for what it guarantees and how faults are injected.

May import: the stdlib and its own modules only, nothing of the application: it plays Stripe, so
it must not share our reading of Stripe's objects (tests/integration/stripe/ checks the gateway
against it, and one smoke test against localstripe). bench/ uses it too.
"""

from tests.stripe_standin.objects import ANY_ACCOUNT, API_VERSION, stripe_fee
from tests.stripe_standin.controls import RecordedRequest
from tests.stripe_standin.server import StripeStandIn
from tests.stripe_standin.webhooks import WebhookSender, signature_header

__all__ = [
    "ANY_ACCOUNT",
    "API_VERSION",
    "RecordedRequest",
    "StripeStandIn",
    "WebhookSender",
    "signature_header",
    "stripe_fee",
]
