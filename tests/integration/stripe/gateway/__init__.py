"""StripeGateway through the real SDK, against the local Stripe stand-in only.

Each test reads as a specification of one promise the gateway makes to the
domain: money in our `Money`, idempotency keys derived from our ids, retries
that never double money, declines as data, Stripe failures as one error type.
One module per Stripe resource.
May import: anything (tests sit outside the import contracts of pyproject.toml).
"""
