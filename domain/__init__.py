"""The boxoffice domain: aggregates, value types, policies and the application.

What lives here: one sub-package per context, each a model and its commands (rooms/: rooms and
tiers; sales/: tickets, codes, refunds, holds and the group commit; creators/; attendance/;
webhooks/: integrators' endpoints), the application that composes them (application.py), and the
shared top modules: money, ids, clock, errors, policies, and the ports the edges implement
(payments.py: the gateway; guards.py: the write guards; the clock).

May import: eventsourcing and the stdlib only, nothing of HTTP, SQL or Stripe, and no other
floor (the "Floors" and "The domain imports eventsourcing and the stdlib only" contracts in
pyproject.toml). Each sub-package's docstring says which other contexts it may use.
"""

# Old topics of moved aggregates, registered before any event is decoded.
import domain.moved_topics  # noqa: E402,F401
