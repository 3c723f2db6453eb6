"""Webhooks: an integrator's endpoint (`WebhookEndpoint`: URL, secret, event
kinds; model.py) and the command class that registers, changes, rotates,
disables and deletes it (commands.py). Delivery is a reactor's job
(integrations/), not the domain's.

May import eventsourcing, the stdlib and domain's top modules only.
"""
