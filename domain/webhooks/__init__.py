"""Webhooks: an integrator's endpoint (`WebhookEndpoint`: URL, secret, event
kinds) and the commands that register, rotate and disable it. Delivery is a
reactor's job (integrations/), not the domain's.

May import eventsourcing, the stdlib and domain's top modules only.
"""
