"""The Stripe stand-in (tests/stripe_standin) answers the real `stripe` SDK as Stripe would.

Driven only through stripe.StripeClient over HTTP, so these tests also pin
what the SDK does for us: retries of 5xx and timeouts with the same
idempotency key, Stripe-Account scoping, cursor paging. Test controls
(`succeed_payment`, `fail_next`, ...) stand in for what Stripe or the
customer does outside our calls. One module per Stripe resource or concern.
May import: the stand-in and the `stripe` SDK; nothing of the application, so the stand-in is
checked against the SDK alone, not against our reading of Stripe.
"""
