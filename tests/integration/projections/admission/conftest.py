"""A live room (its host and the room), and a listener holding a paid ticket for it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.builders import Caller, a_hosted_room, a_listener, a_paid_ticket
from tests.integration.projections.admission.builders import lifecycle


@pytest.fixture
def live_room(client: TestClient) -> tuple[Caller, dict[str, Any]]:
    host, room = a_hosted_room(client)
    lifecycle(client, host, room["id"], "start")
    return host, room


@pytest.fixture
def paid_listener(client: TestClient, live_room: tuple[Caller, dict[str, Any]]) -> tuple[Caller, dict, dict]:
    """(listener, room, ticket): a listener holding a paid ticket for a live room."""
    _, room = live_room
    listener = a_listener()
    return listener, room, a_paid_ticket(client, room["id"], listener)
