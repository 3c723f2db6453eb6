"""The waitlist over HTTP: join a sold-out room's line, an offer per freed seat, first in line first.

The clock is the frozen clock of tests/conftest.py; offers expire after
BOXOFFICE_WAITLIST_OFFER_MINUTES (15 by default) and the sweep is called by hand.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.builders import (
    Caller,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    buy,
    get_room,
    nothing_written,
)
from tests.support.fakes import PendingGateway


def join(client: TestClient, room_id: str, listener: Caller, **body: Any):  # noqa: ANN201
    return client.post(f"/v1/rooms/{room_id}/waitlist", json=body or None, headers=listener.headers)


def offers(client: TestClient, listener: Caller) -> list[dict[str, Any]]:
    response = client.get("/v1/me/offers", headers=listener.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def buy_offer(client: TestClient, room_id: str, listener: Caller, offer_id: str):  # noqa: ANN201
    return client.post(f"/v1/rooms/{room_id}/tickets", json={"offer_id": offer_id}, headers=listener.headers)


def sold_out_room(client: TestClient, capacity: int = 1) -> tuple[Caller, dict[str, Any], list[dict[str, Any]]]:
    host, room = a_hosted_room(client, capacity=capacity)
    tickets = [a_paid_ticket(client, room["id"]) for _ in range(capacity)]
    return host, room, tickets


def refund(client: TestClient, host: Caller, ticket: dict[str, Any]) -> None:
    response = client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)
    assert response.status_code == 200, response.text


def test_a_listener_joins_the_line_of_a_sold_out_room_in_order(client, services) -> None:  # noqa: ANN001
    _, room, _ = sold_out_room(client)
    first, second = a_listener(), a_listener()

    one, two = join(client, room["id"], first), join(client, room["id"], second)

    assert one.status_code == two.status_code == 201, two.text
    assert [(r.json()["place"], r.json()["status"], r.json()["tier_id"]) for r in (one, two)] == [
        (1, "waiting", room["id"]), (2, "waiting", room["id"])]
    assert client.get("/v1/me/waitlist", headers=first.headers).json()["items"][0]["place"] == 1


def test_the_same_idempotency_key_is_the_same_place_in_line(client, services) -> None:  # noqa: ANN001
    _, room, _ = sold_out_room(client)
    listener = a_listener()
    headers = {**listener.headers, "Idempotency-Key": "line-1"}
    first = client.post(f"/v1/rooms/{room['id']}/waitlist", headers=headers)

    with nothing_written(services):
        again = client.post(f"/v1/rooms/{room['id']}/waitlist", headers=headers)
        other_tier = client.post(f"/v1/rooms/{room['id']}/waitlist", json={"tier_id": str(uuid.uuid4())},
                                 headers=headers)

    assert first.status_code == again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (again.json()["id"], again.json()["place"]) == (first.json()["id"], 1)
    assert_problem(other_tier, 409, "idempotency_conflict")


def test_a_room_with_seats_is_not_joined(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client, capacity=2)

    with nothing_written(services):
        response = join(client, room["id"], a_listener())

    assert_problem(response, 409, "not_sold_out")


def test_a_listener_joins_a_line_once(client, services) -> None:  # noqa: ANN001
    _, room, _ = sold_out_room(client)
    listener = a_listener()
    assert join(client, room["id"], listener).status_code == 201

    with nothing_written(services):
        assert_problem(join(client, room["id"], listener), 409, "already_on_waitlist")


def test_a_listener_with_a_ticket_does_not_join(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client, capacity=1)
    holder = a_listener()
    a_paid_ticket(client, room["id"], holder)

    with nothing_written(services):
        response = join(client, room["id"], holder)

    assert_problem(response, 409, "already_has_ticket")


def test_a_refund_makes_one_offer_to_the_first_in_line_and_holds_its_seat(client, services, clock) -> None:  # noqa: ANN001
    host, room, tickets = sold_out_room(client)
    first, second, outsider = a_listener(), a_listener(), a_listener()
    join(client, room["id"], first), join(client, room["id"], second)

    refund(client, host, tickets[0])

    (offer,) = offers(client, first)
    assert (offer["status"], offer["place"], offer["room_id"]) == ("offered", 1, room["id"])
    assert offer["expires_at"].startswith((clock.now() + timedelta(minutes=15)).isoformat()[:19])
    assert offers(client, second) == []
    assert (get_room(client, room["id"])["held"], get_room(client, room["id"])["available"]) == (1, 0)
    assert_problem(buy(client, room["id"], outsider), 409, "sold_out")  # the seat is the offer's


def test_buying_with_the_offer_takes_the_held_seat(client, services) -> None:  # noqa: ANN001
    host, room, tickets = sold_out_room(client)
    first = a_listener()
    join(client, room["id"], first)
    refund(client, host, tickets[0])
    (offer,) = offers(client, first)

    response = buy_offer(client, room["id"], first, offer["id"])

    assert response.status_code == 201, response.text
    ticket = response.json()
    assert (ticket["status"], ticket["holder_id"], ticket["tier_id"]) == ("paid", first.sub, room["id"])
    assert [(o["status"], o["ticket_id"]) for o in offers(client, first)] == [("accepted", ticket["id"])]
    shown = get_room(client, room["id"])
    assert (shown["sold"], shown["held"], shown["available"]) == (1, 0, 0)
    again = buy_offer(client, room["id"], first, offer["id"])
    assert again.status_code == 201 and again.json()["id"] == ticket["id"]  # the same offer, the same ticket


def test_an_expired_offer_passes_to_the_next_listener(client, services, clock) -> None:  # noqa: ANN001
    host, room, tickets = sold_out_room(client)
    first, second = a_listener(), a_listener()
    join(client, room["id"], first), join(client, room["id"], second)
    refund(client, host, tickets[0])

    clock.advance(minutes=15)  # the offer's edge: expired
    assert services.app.expire_offers() == 1

    assert [o["status"] for o in offers(client, first)] == ["expired"]
    assert [(o["status"], o["place"]) for o in offers(client, second)] == [("offered", 2)]
    assert get_room(client, room["id"])["held"] == 1


def test_buying_with_an_expired_offer_is_refused_and_the_seat_passes_on(client, services, clock) -> None:  # noqa: ANN001
    host, room, tickets = sold_out_room(client)
    first, second = a_listener(), a_listener()
    join(client, room["id"], first), join(client, room["id"], second)
    refund(client, host, tickets[0])
    (offer,) = offers(client, first)
    clock.advance(minutes=15, seconds=1)  # no sweep has run yet

    response = buy_offer(client, room["id"], first, offer["id"])

    assert_problem(response, 409, "offer_expired")
    assert [o["status"] for o in offers(client, second)] == ["offered"]


def test_an_offer_is_bought_by_its_listener_only(client, services) -> None:  # noqa: ANN001
    host, room, tickets = sold_out_room(client)
    first = a_listener()
    join(client, room["id"], first)
    refund(client, host, tickets[0])
    (offer,) = offers(client, first)

    with nothing_written(services):
        assert_problem(buy_offer(client, room["id"], a_listener(), offer["id"]), 404, "not_on_waitlist")


def test_a_waiting_listener_leaves_the_line(client, services) -> None:  # noqa: ANN001
    _, room, _ = sold_out_room(client)
    listener = a_listener()
    join(client, room["id"], listener)

    left = client.delete(f"/v1/rooms/{room['id']}/waitlist", headers=listener.headers)
    with nothing_written(services):
        again = client.delete(f"/v1/rooms/{room['id']}/waitlist", headers=listener.headers)

    assert left.status_code == 204, left.text
    assert_problem(again, 404, "not_on_waitlist")


def test_leaving_with_an_offer_declines_it_and_the_next_in_line_gets_the_seat(client, services) -> None:  # noqa: ANN001
    host, room, tickets = sold_out_room(client)
    first, second = a_listener(), a_listener()
    join(client, room["id"], first), join(client, room["id"], second)
    refund(client, host, tickets[0])

    assert client.delete(f"/v1/rooms/{room['id']}/waitlist", headers=first.headers).status_code == 204

    assert [o["status"] for o in offers(client, first)] == ["declined"]
    assert [o["status"] for o in offers(client, second)] == ["offered"]


def test_a_larger_cap_makes_offers_in_line_order(client, services) -> None:  # noqa: ANN001
    host, room, _ = sold_out_room(client)
    line = [a_listener() for _ in range(3)]
    for listener in line:
        join(client, room["id"], listener)

    response = client.patch(f"/v1/rooms/{room['id']}", json={"capacity": 3}, headers=host.headers)

    assert response.status_code == 200, response.text
    assert [[o["place"] for o in offers(client, listener)] for listener in line] == [[1], [2], []]


def test_an_expired_hold_makes_an_offer(make_services, sqlite_url, clock) -> None:  # noqa: ANN001
    services = make_services(sqlite_url, gateway=PendingGateway())
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        _, room = a_hosted_room(client, capacity=1)
        assert buy(client, room["id"], a_listener()).json()["status"] == "reserved"
        waiting = a_listener()
        assert join(client, room["id"], waiting).status_code == 201

        clock.advance(seconds=services.settings.hold_seconds)
        assert services.app.expire_holds() == 1

        assert [o["status"] for o in offers(client, waiting)] == ["offered"]
