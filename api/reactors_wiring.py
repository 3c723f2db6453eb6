"""Wires the reactors (integrations/) into the services: part of the composition root."""

from __future__ import annotations

from api.bootstrap import Services
from integrations.livekit import RoomServiceClient
from integrations.livekit_reactor import LiveKitReactor
from integrations.reactors import Reactors
from store.db import Database


def attach_reactors(services: Services, db: Database) -> Reactors:
    app = services.app
    livekit = None
    if services.livekit is not None:
        livekit = LiveKitReactor(app.recorder, app.mapper, db, RoomServiceClient(services.livekit), services.clock)
        livekit.start_at_head()
    reactors = Reactors(livekit=livekit, poll_interval=services.settings.reactor_poll_seconds)
    services.reactors = reactors
    app.commit_listeners.append(lambda position: reactors.poke())
    return reactors
