"""A live room (its host and the room), and a listener holding a paid ticket for it, each seen by
the admission index before the test starts: the index follows the log asynchronously, and while
writes are hot it reads once per poll (projections/admission_index.py), so a check made right
after the arrangement could find the room not there yet ('unknown_room')."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.builders import Caller, a_hosted_room, a_listener, a_paid_ticket
from tests.integration.projections.admission.builders import caught_up, lifecycle


@pytest.fixture
def live_room(client: TestClient, services: Any) -> tuple[Caller, dict[str, Any]]:
    host, room = a_hosted_room(client)
    lifecycle(client, host, room["id"], "start")
    caught_up(services)
    return host, room


@pytest.fixture
def paid_listener(client: TestClient, services: Any,
                  live_room: tuple[Caller, dict[str, Any]]) -> tuple[Caller, dict, dict]:
    """(listener, room, ticket): a listener holding a paid ticket for a live room."""
    _, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)
    caught_up(services)
    return listener, room, ticket
