"""The LiveKit reactor in several processes at once (PostgreSQL): each refund is enqueued once
and sent once, however many reactors follow the log."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket
from tests.integration.integrations.conftest import livekit_settings

pytestmark = pytest.mark.postgres

LISTENERS = 12


def test_reactors_in_three_processes_remove_each_refunded_listener_exactly_once(make_services, postgres_url, livekit,
                                                                                clock):
    services = make_services(postgres_url, **livekit_settings(livekit))
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        host, room = a_hosted_room(client)
        tickets = []
        for _ in range(LISTENERS):
            listener = a_listener()
            tickets.append(a_paid_ticket(client, room["id"], listener))
            livekit.join(room["id"], listener.sub)
        for ticket in tickets:
            assert client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers).status_code == 200
    others = [make_services(postgres_url, **livekit_settings(livekit)) for _ in range(2)]

    threads = [threading.Thread(target=s.reactors.run_once) for s in (services, *others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in (services, *others):  # whatever a lease held back
        clock.advance(minutes=1)
        s.reactors.run_once()

    calls = livekit.calls("RemoveParticipant")
    assert len(calls) == LISTENERS
    assert len({c.request["identity"] for c in calls}) == LISTENERS
    assert all(c.status == 200 for c in calls)
    assert livekit.present(room["id"]) == set()
