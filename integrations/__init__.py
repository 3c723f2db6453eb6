"""Integrations: LiveKit (join tokens, its webhooks, the reactor that calls its RoomService) and
signed outbound webhooks for integrators. Imports point down only: domain, store, projections."""
