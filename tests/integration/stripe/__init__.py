"""The Stripe gateway through the real SDK against tests/stripe_standin (and one smoke test against
localstripe): payments, retries, idempotency, the pinned API version, the transport.
May import: anything."""
