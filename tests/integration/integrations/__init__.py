"""LiveKit (joins, its webhooks, the reactor, against tests/livekit_standin) and outbound webhooks
(delivery exactly once, to a local receiver). May import: anything."""
