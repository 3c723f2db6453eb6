"""The boxoffice domain: aggregates, value types, policies and the application.

Imports nothing of HTTP, SQL or Stripe; ports (clock, payment gateway, write
guards) are defined here and implemented at the edges.
"""

# Old topics of moved aggregates, registered before any event is decoded.
import domain.moved_topics  # noqa: E402,F401
