"""Payouts end to end on the sandbox or the Stripe stand-in: holds, minimums, a crash at every
step, webhooks, reconciliation, the payout guard. builders.py and conftest.py give a `Desk`
(the app, its services and clock). May import: anything."""
