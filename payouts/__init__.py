"""Payouts: the money that leaves, and the Stripe adapter.

What lives here: the payout model (events per creator, currency and period; runs that make them),
payout runs (exactly once, one balance reserved by one payout only), the payment gateways (the
`PaymentGateway` port on Stripe's SDK and its transport, and the labelled sandbox), Stripe's
webhooks turned into domain commands, paced Stripe calls for flash sales, and reconciliation.

May import: projections/ (its queries), store/ and domain/, stripe and urllib3. Never api/ or
integrations/ (payouts and integrations share a floor and are independent), nor migrations/
(the "Floors" contract in pyproject.toml).
"""
