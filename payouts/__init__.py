"""Payouts, the payment gateways (sandbox and Stripe) and reconciliation."""
