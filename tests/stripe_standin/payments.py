"""PaymentIntents, charges, refunds and disputes, with Stripe's test-mode outcomes.

Why: the ticket sale is the money coming in, and every way it can go (paid,
declined, 3DS, cancelled, refunded in part or in full, refund failing later,
charged back) must be reproducible in a test. Each resource lives in its own module
(payment_intents, refunds, disputes); Payments puts them together on one store, for the server.

May import: the stdlib and the stand-in's own modules.
"""

from __future__ import annotations

from tests.stripe_standin.objects import Store
from tests.stripe_standin.payment_intents import PaymentIntents
from tests.stripe_standin.refunds import Refunds


class Payments(PaymentIntents, Refunds):
    """The payment side of the platform account (or of a connected account, via Stripe-Account)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._next_refund_outcomes: list[tuple[str, str | None]] = []
