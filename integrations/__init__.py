"""Integrations: LiveKit and outbound webhooks, the reactors that act outside on the event log.

What lives here: LiveKit (join tokens, its webhooks turned into commands, the reactor that calls
its RoomService when a ticket is refunded), signed outbound webhooks for integrators (the event
registry, the dispatcher, one delivery, the SSRF rules, the delivery log), and the reactor loop.

May import: projections/, store/ and domain/, livekit-api, standardwebhooks and httpx. Never api/
or payouts/ (payouts and integrations share a floor and are independent), nor migrations/ (the
"Floors" contract in pyproject.toml).
"""
