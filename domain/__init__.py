"""The boxoffice domain: aggregates, value types, policies and the application.

Imports nothing of HTTP, SQL or Stripe; ports (clock, payment gateway, write
guards) are defined here and implemented at the edges.
"""
