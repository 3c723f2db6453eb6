"""An Idempotency-Key names one request: the same key with other parameters is 409
`idempotency_conflict` (as Stripe answers), and ids derived from several parts never
collide (issue 12, items 5 and 6)."""

from __future__ import annotations

import pytest

from domain.ids import derive_id, refund_id_for, room_id_for, ticket_id_for
from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    bearer,
    buy,
    Caller,
    an_admin,
    creator_body,
    get_ticket,
    in_the_future,
    nothing_written,
    room_body,
    rooms_of,
)


def refund(client, ticket_id, caller, body=None, key=None):
    headers = {**caller.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"/v1/tickets/{ticket_id}/refund", json=body, headers=headers)


# --- refunds ------------------------------------------------------------------------------------


def test_a_refund_key_reused_with_another_amount_is_an_idempotency_conflict(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    admin = an_admin()
    first = refund(client, ticket["id"], admin, {"amount": 100}, key="goodwill-1")
    assert first.status_code == 200, first.text

    with nothing_written(services):
        again = refund(client, ticket["id"], admin, {"amount": 300}, key="goodwill-1")

    body = assert_problem(again, 409, "idempotency_conflict")
    assert "100" in body["detail"]
    assert get_ticket(client, ticket["id"])["refunded_amount"] == 100


def test_a_refund_key_reused_for_the_whole_ticket_after_a_part_is_an_idempotency_conflict(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    admin = an_admin()
    assert refund(client, ticket["id"], admin, {"amount": 100}, key="k").status_code == 200

    with nothing_written(services):
        again = refund(client, ticket["id"], admin, None, key="k")

    assert_problem(again, 409, "idempotency_conflict")


def test_a_refund_key_reused_with_another_reason_is_an_idempotency_conflict(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    admin = an_admin()
    assert refund(client, ticket["id"], admin, {"amount": 100, "reason": "late start"}, key="k").status_code == 200

    again = refund(client, ticket["id"], admin, {"amount": 100, "reason": "bad audio"}, key="k")

    assert_problem(again, 409, "idempotency_conflict")


def test_a_refund_retried_with_the_same_key_and_amount_is_the_same_refund(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    admin = an_admin()
    first = refund(client, ticket["id"], admin, {"amount": 100}, key="k")

    with nothing_written(services):
        again = refund(client, ticket["id"], admin, {"amount": 100}, key="k")

    assert again.status_code == 200, again.text
    assert again.json()["refunds"] == first.json()["refunds"]


def test_a_callers_key_never_lands_on_a_refund_the_system_keyed(client):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    admin = an_admin()
    assert refund(client, ticket["id"], admin, {"amount": 100}, key="room_cancelled").status_code == 200

    cancelled = client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    assert cancelled.status_code == 200, cancelled.text
    refunded = get_ticket(client, ticket["id"])
    assert (refunded["status"], refunded["refunded_amount"]) == ("refunded", 999)
    assert sorted(r["amount"] for r in refunded["refunds"]) == [100, 899]


# --- rooms --------------------------------------------------------------------------------------


@pytest.mark.parametrize("changed", [
    {"scheduled_start": in_the_future(days=2)},
    {"sales_end": in_the_future(hours=2)},
    {"title": "Another title"},
    {"capacity": 7},
])
def test_opening_a_room_with_a_reused_key_and_another_parameter_is_an_idempotency_conflict(client, services,
                                                                                          changed):
    host = a_host(client)
    headers = {**host.headers, "Idempotency-Key": "open-1"}
    first = client.post("/v1/rooms", json=room_body(scheduled_start=in_the_future(days=1)), headers=headers)
    assert first.status_code == 201, first.text

    with nothing_written(services):
        again = client.post("/v1/rooms", json={**room_body(scheduled_start=in_the_future(days=1)), **changed},
                            headers=headers)

    assert_problem(again, 409, "idempotency_conflict")
    assert len(rooms_of(client, host)) == 1


def test_opening_a_room_again_with_the_same_parameters_in_another_offset_is_the_same_room(client, services):
    host = a_host(client)
    headers = {**host.headers, "Idempotency-Key": "open-2"}
    body = room_body(scheduled_start="2026-03-03T20:00:00+00:00", sales_end="2026-03-03T19:00:00+00:00")
    first = client.post("/v1/rooms", json=body, headers=headers)

    with nothing_written(services):
        again = client.post("/v1/rooms", json={**body, "scheduled_start": "2026-03-03T21:00:00+01:00",
                                               "sales_end": "2026-03-03T20:00:00+01:00"}, headers=headers)

    assert again.status_code in (200, 201), again.text
    assert again.json()["id"] == first.json()["id"]


def test_a_retried_open_is_compared_with_the_room_as_opened_not_as_changed_since(client, services):
    host = a_host(client)
    headers = {**host.headers, "Idempotency-Key": "open-3"}
    first = client.post("/v1/rooms", json=room_body(), headers=headers)
    assert client.patch(f"/v1/rooms/{first.json()['id']}", json={"capacity": 5}, headers=host.headers).status_code == 200

    again = client.post("/v1/rooms", json=room_body(), headers=headers)

    assert again.status_code in (200, 201), again.text
    assert again.json()["id"] == first.json()["id"]


# --- derived ids --------------------------------------------------------------------------------


def test_two_listeners_whose_name_and_key_join_alike_get_two_tickets(client):
    _, room = a_hosted_room(client)
    alice = Caller("alice", bearer("alice", "listener"))
    alice_x = Caller("alice:x", bearer("alice:x", "listener"))

    first = buy(client, room["id"], alice, key="x:k")
    second = buy(client, room["id"], alice_x, key="k")

    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["id"] != second.json()["id"]
    assert (first.json()["holder_id"], second.json()["holder_id"]) == ("alice", "alice:x")
    assert second.headers.get("Idempotent-Replayed") is None


def test_two_hosts_whose_name_and_key_join_alike_open_two_rooms(client):
    bob, bob_x = bearer("bob", "creator"), bearer("bob:x", "creator")
    for host in (bob, bob_x):
        assert client.post("/v1/creators", json=creator_body(), headers=host).status_code == 201

    first = client.post("/v1/rooms", json=room_body(), headers={**bob, "Idempotency-Key": "x:k"})
    second = client.post("/v1/rooms", json=room_body(title="Another room"), headers={**bob_x, "Idempotency-Key": "k"})

    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["host_id"] == "bob:x"


@pytest.mark.parametrize(("one", "other"), [
    (("r", "alice", "x:k"), ("r", "alice:x", "k")),
    (("r", "a:b", "c"), ("r", "a", "b:c")),
    (("r", "a\"", "b"), ("r", "a", "\"b")),
    (("r", "", "a:"), ("r", ":", "a")),
])
def test_derived_ids_never_collide(one, other):
    assert derive_id("ticket", *one) != derive_id("ticket", *other)


def test_ids_without_a_colon_in_any_part_keep_their_former_derivation():
    from uuid import UUID, uuid5

    from domain.ids import NAMESPACE

    room = UUID("11111111-2222-3333-4444-555555555555")
    assert ticket_id_for(room, "alice", "key-1") == uuid5(NAMESPACE, f"ticket:{room}:alice:key-1")
    assert room_id_for("maya", "open-1") == uuid5(NAMESPACE, "room:maya:open-1")
    assert refund_id_for(room, "full") == uuid5(NAMESPACE, f"refund:{room}:full")


# --- tiers (found by fuzzing, docs/fuzzing.md) ----------------------------------------------------------


def test_a_tier_key_reused_with_another_price_is_an_idempotency_conflict(client, services):
    host, room = a_hosted_room(client)
    headers = {**host.headers, "Idempotency-Key": "vip"}
    vip = {"name": "VIP", "price": {"amount": 5000, "currency": "USD"}, "capacity": 5}
    assert client.post(f"/v1/rooms/{room['id']}/tiers", json=vip, headers=headers).status_code == 201

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tiers", json={**vip, "price": {"amount": 6000, "currency": "USD"}},
                               headers=headers)

    assert_problem(response, 409, "idempotency_conflict")
