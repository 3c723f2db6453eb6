"""Ticket tiers over HTTP: opened with the room or added later, each with its own price, cap and window.

The room's cap and each tier's cap are both guarded (the concurrent proof is in
tests/integration/test_tiers_postgres.py); here each rule once, through the API,
with the frozen clock of tests/conftest.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.builders import (
    a_host,
    a_listener,
    a_paid_ticket,
    a_room,
    assert_problem,
    get_room,
    get_ticket,
    in_the_future,
    nothing_written,
    price,
    rooms_of,
)


def tier(name: str = "General", amount: int = 999, capacity: int = 10, **more: Any) -> dict[str, Any]:
    return {"name": name, "price": price(amount), "capacity": capacity, **more}


def a_tiered_room(client, host, *tiers: dict[str, Any], capacity: int = 15) -> dict[str, Any]:  # noqa: ANN001
    response = client.post("/v1/rooms", json={"title": "Tiers", "capacity": capacity, "tiers": list(tiers)},
                           headers=host.headers)
    assert response.status_code == 201, response.text
    return response.json()


def buy_tier(client, room: dict[str, Any], tier_id: str | None, listener=None, **more: Any):  # noqa: ANN001, ANN201
    listener = listener or a_listener()
    body = {"tier_id": tier_id, **more} if tier_id else (more or None)
    return client.post(f"/v1/rooms/{room['id']}/tickets", json=body, headers=listener.headers)


def tier_named(room: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in room["tiers"] if t["name"] == name)


# --- one price, one default tier ----------------------------------------------------------


def test_a_room_opened_with_one_price_sells_through_one_default_tier_named_by_the_room(client):
    host = a_host(client)
    room = a_room(client, host, capacity=3)

    a_paid_ticket(client, room["id"])
    after = get_room(client, room["id"])

    assert after["tiers"] == [{
        "id": room["id"], "name": "General admission", "price": price(), "capacity": 3, "sales_start": None,
        "sales_end": None, "hidden": False, "closed": False, "minimum_price": None, "suggested_price": None,
        "on_sale": True, "sold": 1, "held": 0, "available": 2,
    }]


def test_changing_a_one_price_room_changes_its_default_tier(client):
    host = a_host(client)
    room = a_room(client, host, capacity=3)

    client.patch(f"/v1/rooms/{room['id']}", json={"ticket_price": price(2500), "capacity": 5}, headers=host.headers)

    (default,) = get_room(client, room["id"])["tiers"]
    assert (default["price"]["amount"], default["capacity"]) == (2500, 5)


# --- opening with tiers ---------------------------------------------------------------------


def test_a_room_opened_with_tiers_lists_them_with_ids_and_sells_each_at_its_price(client):
    host = a_host(client)

    room = a_tiered_room(client, host, tier("Early bird", 500, 5, sales_end=in_the_future(days=1)),
                         tier("Regular", 1500, 15))
    early, regular = room["tiers"]
    ticket = buy_tier(client, room, regular["id"]).json()

    assert [t["name"] for t in room["tiers"]] == ["Early bird", "Regular"]
    assert room["ticket_price"] == price(500)  # "from": the lowest tier
    assert (ticket["status"], ticket["price"], ticket["tier_id"]) == ("paid", price(1500), regular["id"])
    assert tier_named(get_room(client, room["id"]), "Regular")["sold"] == 1


def test_the_room_listing_shows_the_same_tiers_as_the_room(client):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("A", 500, 5), tier("B", 900, 9, hidden=True))
    buy_tier(client, room, room["tiers"][0]["id"])

    listed = rooms_of(client, host)[0]

    seen_by_host = client.get(f"/v1/rooms/{room['id']}", headers=host.headers).json()
    assert listed == seen_by_host
    assert [t["name"] for t in listed["tiers"]] == ["A", "B"]


def test_opening_a_room_with_both_a_price_and_tiers_is_refused_and_writes_nothing(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", json={"title": "Both", "capacity": 5, "ticket_price": price(),
                                                  "tiers": [tier()]}, headers=host.headers)

    assert_problem(response, 422, "invalid_price")


@pytest.mark.parametrize(("bad", "type_"), [
    pytest.param(tier(capacity=16), "invalid_capacity", id="tier above the room"),
    pytest.param(tier(capacity=0), "invalid_capacity", id="tier capacity zero"),
    pytest.param(tier(amount=99), "invalid_price", id="price below the policy"),
    pytest.param(tier(sales_start=in_the_future(days=2), sales_end=in_the_future(days=1)), "invalid_schedule",
                 id="window backwards"),
    pytest.param(tier(name=""), "validation", id="no name"),
])
def test_a_tier_breaking_a_rule_is_refused_and_writes_nothing(client, services, bad, type_):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", json={"title": "Bad", "capacity": 15, "tiers": [tier(), bad]},
                               headers=host.headers)

    assert_problem(response, 422, type_)


# --- buying -------------------------------------------------------------------------------


def test_a_room_of_several_tiers_needs_the_buyer_to_name_one(client, services):
    room = a_tiered_room(client, a_host(client), tier("A"), tier("B"))

    with nothing_written(services):
        response = buy_tier(client, room, None)

    assert_problem(response, 422, "tier_required")


def test_a_tier_sells_no_more_than_its_cap_while_the_room_has_seats(client, services):
    room = a_tiered_room(client, a_host(client), tier("Small", capacity=2), tier("Big", capacity=10))
    small = room["tiers"][0]["id"]
    buy_tier(client, room, small)
    buy_tier(client, room, small)

    with nothing_written(services):
        refused = buy_tier(client, room, small)

    assert_problem(refused, 409, "tier_sold_out")
    assert buy_tier(client, room, room["tiers"][1]["id"]).status_code == 201
    after = get_room(client, room["id"])
    assert [(t["sold"], t["available"]) for t in after["tiers"]] == [(2, 0), (1, 9)]
    assert (after["sold"], after["available"]) == (3, 12)


def test_tiers_whose_caps_add_up_to_more_than_the_room_stop_at_the_room_cap(client):
    room = a_tiered_room(client, a_host(client), tier("A", capacity=3), tier("B", capacity=3), capacity=4)
    a, b = (t["id"] for t in room["tiers"])

    statuses = [buy_tier(client, room, t).status_code for t in (a, a, a, b, b)]

    assert statuses == [201, 201, 201, 201, 409]
    assert_problem(buy_tier(client, room, b), 409, "sold_out")
    assert [t["available"] for t in get_room(client, room["id"])["tiers"]] == [0, 0]


def test_an_early_bird_stops_selling_at_its_sales_end_to_the_second(client, clock):
    room = a_tiered_room(client, a_host(client), tier("Early", 500, sales_end=in_the_future(hours=1)),
                         tier("Regular", 1500))
    early, regular = (t["id"] for t in room["tiers"])

    clock.advance(hours=1, seconds=-1)
    last = buy_tier(client, room, early)
    clock.advance(seconds=1)
    late = buy_tier(client, room, early)

    assert last.status_code == 201
    assert_problem(late, 409, "tier_not_on_sale")
    assert buy_tier(client, room, regular).json()["price"] == price(1500)


def test_a_tier_before_its_sales_start_does_not_sell(client, clock):
    room = a_tiered_room(client, a_host(client), tier("Later", sales_start=in_the_future(minutes=10)))
    tier_id = room["tiers"][0]["id"]

    early = buy_tier(client, room, tier_id)
    clock.advance(minutes=10)

    assert_problem(early, 409, "tier_not_on_sale")
    assert buy_tier(client, room, tier_id).status_code == 201


def test_a_hidden_tier_is_shown_to_its_host_only_and_not_sold_without_a_code(client, services):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("Public"), tier("Secret", hidden=True))
    secret = tier_named(room, "Secret")["id"]

    with nothing_written(services):
        refused = buy_tier(client, room, secret)

    assert_problem(refused, 404, "unknown_tier")
    assert [t["name"] for t in get_room(client, room["id"])["tiers"]] == ["Public"]
    assert "Secret" in [t["name"] for t in client.get(f"/v1/rooms/{room['id']}", headers=host.headers).json()["tiers"]]


def test_an_unknown_tier_is_not_found(client):
    room = a_tiered_room(client, a_host(client), tier())

    response = buy_tier(client, room, room["id"].replace(room["id"][:8], "00000000"))

    assert_problem(response, 404, "unknown_tier")


def test_the_same_idempotency_key_for_another_tier_is_a_conflict(client):
    room = a_tiered_room(client, a_host(client), tier("A"), tier("B"))
    listener = a_listener()
    headers = {**listener.headers, "Idempotency-Key": "one"}
    first = client.post(f"/v1/rooms/{room['id']}/tickets", json={"tier_id": room["tiers"][0]["id"]}, headers=headers)

    again = client.post(f"/v1/rooms/{room['id']}/tickets", json={"tier_id": room["tiers"][1]["id"]}, headers=headers)

    assert first.status_code == 201
    assert_problem(again, 409, "idempotency_conflict")


def test_a_refund_gives_the_seat_back_to_its_tier(client):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("One", capacity=1), tier("Other"))
    ticket = buy_tier(client, room, room["tiers"][0]["id"]).json()

    client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    assert buy_tier(client, room, room["tiers"][0]["id"]).status_code == 201


# --- changing tiers -------------------------------------------------------------------------


def test_the_host_adds_a_tier_later_once_per_idempotency_key(client):
    host = a_host(client)
    room = a_room(client, host, capacity=20)
    headers = {**host.headers, "Idempotency-Key": "vip"}

    first = client.post(f"/v1/rooms/{room['id']}/tiers", json=tier("VIP", 5000, 5), headers=headers)
    again = client.post(f"/v1/rooms/{room['id']}/tiers", json=tier("VIP", 5000, 5), headers=headers)

    assert first.status_code == 201, first.text
    assert [t["name"] for t in again.json()["tiers"]] == ["General admission", "VIP"]
    vip = tier_named(first.json(), "VIP")["id"]
    assert buy_tier(client, room, vip).json()["price"] == price(5000)
    assert buy_tier(client, room, None).json()["price"] == price()  # the default tier still sells by default


def test_a_reprice_applies_to_later_sales_only(client):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("A", 1000))
    tier_id = room["tiers"][0]["id"]
    before = buy_tier(client, room, tier_id).json()

    changed = client.patch(f"/v1/rooms/{room['id']}/tiers/{tier_id}", json={"price": price(2000)}, headers=host.headers)
    after = buy_tier(client, room, tier_id).json()

    assert changed.status_code == 200, changed.text
    assert (get_ticket(client, before["id"])["price"], after["price"]) == (price(1000), price(2000))


def test_a_tier_is_never_resized_below_what_it_sold_and_nothing_is_written(client, services):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("A", capacity=5))
    tier_id = room["tiers"][0]["id"]
    buy_tier(client, room, tier_id)
    buy_tier(client, room, tier_id)

    with nothing_written(services):
        refused = client.patch(f"/v1/rooms/{room['id']}/tiers/{tier_id}", json={"capacity": 1}, headers=host.headers)
    resized = client.patch(f"/v1/rooms/{room['id']}/tiers/{tier_id}", json={"capacity": 2}, headers=host.headers)

    assert_problem(refused, 422, "invalid_capacity")
    assert resized.status_code == 200
    assert_problem(buy_tier(client, room, tier_id), 409, "tier_sold_out")


def test_a_closed_tier_stops_selling_and_its_tickets_stay_paid(client):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("A"), tier("B"))
    tier_id = room["tiers"][0]["id"]
    sold = buy_tier(client, room, tier_id).json()

    closed = client.post(f"/v1/rooms/{room['id']}/tiers/{tier_id}/close", headers=host.headers)

    assert tier_named(closed.json(), "A")["closed"] is True
    assert_problem(buy_tier(client, room, tier_id), 409, "tier_not_on_sale")
    assert get_ticket(client, sold["id"])["status"] == "paid"
    assert buy_tier(client, room, None).status_code == 201  # the one tier left on sale


def test_only_the_host_changes_tiers(client, services):
    room = a_tiered_room(client, a_host(client), tier("A"))
    other = a_host(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tiers/{room['tiers'][0]['id']}/close", headers=other.headers)

    assert_problem(response, 403, "forbidden")


def test_a_room_of_tiers_has_no_single_price_to_change(client, services):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("A"))

    with nothing_written(services):
        response = client.patch(f"/v1/rooms/{room['id']}", json={"ticket_price": price(2000)}, headers=host.headers)

    assert_problem(response, 409, "room_has_tiers")
