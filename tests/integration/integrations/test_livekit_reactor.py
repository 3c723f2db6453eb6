"""Refunds reach the media server: the LiveKit reactor calls the stand-in through the real SDK.

Exactly-once dispatch (one `livekit_calls` row per event, with the reactor's position
in the same transaction), at-least-once delivery (retries with backoff), "not found"
counts as done. The test drives the reactor as its worker would (`run_once`), and
moves the frozen clock past each backoff.
"""

from __future__ import annotations

from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket
from tests.integration.integrations.conftest import livekit_settings


def refund_a_present_listener(client, livekit):
    host, room = a_hosted_room(client)
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)
    livekit.join(room["id"], listener.sub)
    assert client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers).status_code == 200
    return room, listener


def drive(services, clock, rounds=10):
    """Run the reactors like their worker, moving the clock past any backoff between rounds."""
    for _ in range(rounds):
        services.reactors.run_once()
        clock.advance(minutes=6)


def succeeded(livekit, method):
    return [c for c in livekit.calls(method) if c.status == 200]


def test_a_refund_removes_the_listener_from_the_livekit_room_once(lk_client, lk_services, livekit, clock):
    room, listener = refund_a_present_listener(lk_client, livekit)

    drive(lk_services, clock)

    calls = livekit.calls("RemoveParticipant")
    assert [(c.request["room"], c.request["identity"], c.status) for c in calls] == [(room["id"], listener.sub, 200)]
    assert listener.sub not in livekit.present(room["id"])


def test_a_gift_removes_the_giver_from_the_livekit_room(lk_client, lk_services, livekit, clock):
    _, room = a_hosted_room(lk_client)
    giver, receiver = a_listener(), a_listener()
    ticket = a_paid_ticket(lk_client, room["id"], giver)
    livekit.join(room["id"], giver.sub)  # waiting for the start
    assert lk_client.post(f"/v1/tickets/{ticket['id']}/transfer", json={"to_user_id": receiver.sub},
                          headers=giver.headers).status_code == 200

    drive(lk_services, clock)

    calls = livekit.calls("RemoveParticipant")
    assert [(c.request["room"], c.request["identity"], c.status) for c in calls] == [(room["id"], giver.sub, 200)]


def test_a_refund_is_delivered_once_even_when_livekit_fails_the_first_three_calls(lk_client, lk_services,
                                                                                    livekit, clock):
    livekit.fail_next(3)
    room, listener = refund_a_present_listener(lk_client, livekit)

    drive(lk_services, clock)

    assert [c.status for c in livekit.calls("RemoveParticipant")] == [503, 503, 503, 200]
    assert len(succeeded(livekit, "RemoveParticipant")) == 1
    assert lk_services.reactors.livekit.status()["pending"] == 0


def test_retries_wait_for_their_backoff(lk_client, lk_services, livekit, clock):
    livekit.fail_next(1)
    refund_a_present_listener(lk_client, livekit)

    lk_services.reactors.run_once()
    lk_services.reactors.run_once()  # the retry is not due yet: the clock has not moved

    assert [c.status for c in livekit.calls("RemoveParticipant")] == [503]
    status = lk_services.reactors.livekit.status()
    assert (status["pending"], status["retrying"]) == (1, 1)
    assert "503" in status["last_error"] or "unavailable" in status["last_error"]


def test_a_restarted_reactor_resumes_without_losing_or_repeating_the_removal(make_services, sqlite_url, lk_client,
                                                                            lk_services, livekit, clock):
    livekit.fail_next(2)
    room, listener = refund_a_present_listener(lk_client, livekit)
    lk_services.reactors.run_once()  # enqueued, first call failed
    assert [c.status for c in livekit.calls("RemoveParticipant")] == [503]

    restarted = make_services(sqlite_url, **livekit_settings(livekit))  # a new worker on the same store
    drive(restarted, clock)

    assert [c.status for c in livekit.calls("RemoveParticipant")] == [503, 503, 200]
    assert restarted.reactors.livekit.lag() == 0


def test_a_participant_already_gone_counts_as_done(lk_client, lk_services, livekit, clock):
    host, room = a_hosted_room(lk_client)
    ticket = a_paid_ticket(lk_client, room["id"])
    lk_client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)  # never joined LiveKit

    drive(lk_services, clock)

    assert [c.status for c in livekit.calls("RemoveParticipant")] == [404]
    assert lk_services.reactors.livekit.status()["pending"] == 0


def test_a_cancelled_room_is_deleted_at_livekit(lk_client, lk_services, livekit, clock):
    host, room = a_hosted_room(lk_client)
    livekit.join(room["id"], host.sub)

    assert lk_client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers).status_code == 200
    drive(lk_services, clock)

    assert [(c.request["room"], c.status) for c in livekit.calls("DeleteRoom")] == [(room["id"], 200)]


def test_the_reactor_authenticates_with_the_configured_key_and_is_refused_with_another(make_services, sqlite_url,
                                                                                      livekit, clock):
    wrong = {**livekit_settings(livekit), "livekit_api_secret": "not-the-secret-0123456789abcdefghij"}
    services = make_services(sqlite_url, **wrong)
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        refund_a_present_listener(client, livekit)
        services.reactors.run_once()

    assert [c.status for c in livekit.calls("RemoveParticipant")] == [401]
    assert services.reactors.livekit.status()["retrying"] == 1


def test_readyz_shows_the_livekit_reactors_position_and_lag(lk_client, livekit):
    reactors = lk_client.get("/readyz").json()["checks"]["reactors"]

    assert reactors["livekit"]["enabled"] is True
    assert {"position", "lag", "pending", "retrying", "failed"} <= reactors["livekit"].keys()


def test_the_reactor_calls_livekit_even_from_a_thread_whose_event_loop_is_running(lk_client, lk_services, livekit):
    import asyncio

    room, listener = refund_a_present_listener(lk_client, livekit)

    async def inside_a_running_loop():
        lk_services.reactors.run_once()

    asyncio.run(inside_a_running_loop())

    assert [c.status for c in livekit.calls("RemoveParticipant")] == [200]
