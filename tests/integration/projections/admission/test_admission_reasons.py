"""Admission's reason codes: who may join which room as what (projections/admission_index.py, after
pretix's check-in reasons).
"""

from __future__ import annotations

from uuid import UUID

from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket, buy, random_uuid
from tests.integration.projections.admission.builders import caught_up, admission, lifecycle, refund, admitted, denied
from tests.support.fakes import PendingGateway


def test_a_listener_with_a_paid_ticket_in_a_live_room_is_admitted_ok(client, services, live_room) -> None:  # noqa: ANN001
    _, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    caught_up(services)

    assert admission(client, room["id"], listener.sub) == admitted("listener", ticket["id"])


def test_a_paid_listener_before_the_start_is_admitted_to_the_waiting_room(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    caught_up(services)

    assert admission(client, room["id"], listener.sub) == admitted("listener", ticket["id"], reason="not_started",
                                                                 waiting=True)


def test_someone_who_never_bought_a_ticket_is_denied_no_ticket(client, services, live_room) -> None:  # noqa: ANN001
    _, room = live_room

    caught_up(services)

    assert admission(client, room["id"], a_listener().sub) == denied("no_ticket")


def test_a_ticket_waiting_for_its_payment_is_denied_unpaid_until_the_payment_succeeds(make_services, sqlite_url, clock) -> None:  # noqa: ANN001
    gateway = PendingGateway(clock)
    services = make_services(sqlite_url, gateway=gateway)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        host, room = a_hosted_room(client)
        lifecycle(client, host, room["id"], "start")
        listener = a_listener()
        response = buy(client, room["id"], listener)
        assert response.status_code == 201, response.text
        ticket = response.json()
        caught_up(services)

        before = admission(client, room["id"], listener.sub)
        services.app.record_payment(gateway.succeed(UUID(ticket["id"])))
        caught_up(services)
        after = admission(client, room["id"], listener.sub)

    assert ticket["status"] == "reserved"
    assert before == denied("unpaid", ticket["id"])
    assert after == admitted("listener", ticket["id"])


def test_a_refunded_ticket_is_denied_refunded(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    refund(client, host, ticket["id"])
    caught_up(services)

    assert admission(client, room["id"], listener.sub) == denied("refunded", ticket["id"])


def test_a_disputed_ticket_is_denied_revoked_and_admitted_again_when_the_dispute_is_won(client, services, live_room) -> None:  # noqa: ANN001
    _, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)
    ticket_id = UUID(ticket["id"])

    services.app.open_dispute(ticket_id, "dp_admission", ticket["price"]["amount"])
    caught_up(services)
    while_open = admission(client, room["id"], listener.sub)
    services.app.close_dispute(ticket_id, "dp_admission", won=True)
    caught_up(services)

    assert while_open == denied("revoked", ticket["id"])
    assert admission(client, room["id"], listener.sub) == admitted("listener", ticket["id"])


def test_nobody_is_admitted_to_a_cancelled_room_not_even_the_host(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    a_paid_ticket(client, room["id"], listener)

    lifecycle(client, host, room["id"], "cancel")
    caught_up(services)

    assert admission(client, room["id"], listener.sub) == denied("room_cancelled")
    assert admission(client, room["id"], host.sub) == denied("room_cancelled")


def test_nobody_is_admitted_to_an_ended_room(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    a_paid_ticket(client, room["id"], listener)

    lifecycle(client, host, room["id"], "end")
    caught_up(services)

    assert admission(client, room["id"], listener.sub) == denied("room_ended")
    assert admission(client, room["id"], host.sub) == denied("room_ended")


def test_a_room_that_does_not_exist_is_denied_unknown_room(client) -> None:  # noqa: ANN001
    assert admission(client, random_uuid(), a_listener().sub) == denied("unknown_room")


def test_the_host_cohosts_and_speakers_are_admitted_with_their_role_even_before_the_start(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    cohost, speaker = a_listener(), a_listener()

    for kind, who in (("cohosts", cohost), ("speakers", speaker)):
        response = client.put(f"/v1/rooms/{room['id']}/{kind}/{who.sub}", headers=host.headers)
        assert response.status_code == 200, response.text
    caught_up(services)

    assert admission(client, room["id"], host.sub) == admitted("host")
    assert admission(client, room["id"], cohost.sub) == admitted("cohost")
    assert admission(client, room["id"], speaker.sub) == admitted("speaker")


def test_a_removed_speaker_is_no_longer_admitted(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    speaker = a_listener()
    client.put(f"/v1/rooms/{room['id']}/speakers/{speaker.sub}", headers=host.headers)

    response = client.delete(f"/v1/rooms/{room['id']}/speakers/{speaker.sub}", headers=host.headers)
    caught_up(services)

    assert response.status_code == 200, response.text
    assert admission(client, room["id"], speaker.sub) == denied("no_ticket")
