"""Discount and access codes over HTTP: each rule once, with the frozen clock of tests/conftest.py.

The use count under concurrency is proven in tests/integration/test_codes_postgres.py,
and the money of a discounted sale in tests/integration/projections/test_discounted_split.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.builders import (
    a_host,
    a_listener,
    a_room,
    assert_problem,
    get_ticket,
    in_the_future,
    nothing_written,
    price,
)
from tests.api.test_tiers_api import a_tiered_room, buy_tier, tier


def a_code(client, host, room: dict[str, Any] | None = None, **body: Any) -> dict[str, Any]:  # noqa: ANN001
    url = f"/v1/rooms/{room['id']}/codes" if room else f"/v1/creators/{host.sub}/codes"
    response = client.post(url, json={"code": "SPRING25", "percent_off": 25, **body}, headers=host.headers)
    assert response.status_code == 201, response.text
    return response.json()


def buy_with(client, room: dict[str, Any], code: str, listener=None, **more: Any):  # noqa: ANN001, ANN201
    listener = listener or a_listener()
    return client.post(f"/v1/rooms/{room['id']}/tickets", json={"code": code, **more}, headers=listener.headers)


def test_a_percent_code_takes_its_share_off_and_the_ticket_says_what_was_paid(client):
    host = a_host(client)
    room = a_room(client, host, ticket_price=price(99_900))
    a_code(client, host, room)

    ticket = buy_with(client, room, "spring25").json()  # codes are case-insensitive

    assert (ticket["status"], ticket["price"], ticket["list_price"], ticket["discount"], ticket["code"]) == (
        "paid", price(74_925), price(99_900), 24_975, "spring25")


def test_an_amount_code_never_takes_the_price_below_the_policys_minimum(client):
    host = a_host(client)
    room = a_room(client, host, ticket_price=price(500))
    a_code(client, host, room, code="BIG", percent_off=None, amount_off=price(450))

    ticket = buy_with(client, room, "big").json()

    assert (ticket["price"], ticket["discount"]) == (price(100), 400)  # 1.00 is the least a ticket costs


def test_a_creator_wide_code_works_in_every_room_of_its_host_and_no_other(client):
    host = a_host(client)
    first, second = a_room(client, host), a_room(client, host)
    other_room = a_room(client, a_host(client))
    a_code(client, host, code="FANS", percent_off=10)

    assert buy_with(client, first, "FANS").json()["discount"] == 99
    assert buy_with(client, second, "fans").json()["discount"] == 99
    assert_problem(buy_with(client, other_room, "fans"), 422, "code_invalid")


def test_a_room_code_is_refused_in_another_room_of_the_same_host(client, services):
    host = a_host(client)
    room, other = a_room(client, host), a_room(client, host)
    a_code(client, host, room)

    with nothing_written(services):
        response = buy_with(client, other, "SPRING25")

    assert_problem(response, 422, "code_invalid")


def test_a_code_is_taken_exactly_max_uses_times_and_then_refused(client, services):
    host = a_host(client)
    room = a_room(client, host)
    a_code(client, host, room, max_uses=2)
    buy_with(client, room, "SPRING25")
    buy_with(client, room, "SPRING25")

    with nothing_written(services):
        third = buy_with(client, room, "SPRING25")

    assert_problem(third, 409, "code_exhausted")
    assert client.post(f"/v1/rooms/{room['id']}/tickets", headers=a_listener().headers).status_code == 201


def test_a_code_works_only_inside_its_validity_window_to_the_second(client, clock):
    host = a_host(client)
    room = a_room(client, host)
    a_code(client, host, room, valid_from=in_the_future(minutes=1), valid_until=in_the_future(minutes=2))

    before = buy_with(client, room, "SPRING25")
    clock.advance(minutes=1)
    first_second = buy_with(client, room, "SPRING25")
    clock.advance(minutes=1, seconds=-1)
    last_second = buy_with(client, room, "SPRING25")
    clock.advance(seconds=1)
    after = buy_with(client, room, "SPRING25")

    assert_problem(before, 422, "code_invalid")
    assert (first_second.status_code, last_second.status_code) == (201, 201)
    assert_problem(after, 422, "code_invalid")


def test_a_code_limited_to_some_tiers_is_refused_for_the_others(client):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("A"), tier("B"))
    a, b = (t["id"] for t in room["tiers"])
    a_code(client, host, room, tier_ids=[a])

    assert buy_with(client, room, "SPRING25", tier_id=a).json()["discount"] == 249
    assert_problem(buy_with(client, room, "SPRING25", tier_id=b), 422, "code_invalid")


def test_an_access_code_unlocks_a_hidden_tier(client):
    host = a_host(client)
    room = a_tiered_room(client, host, tier("Public"), tier("Backstage", 5000, hidden=True))
    backstage = room["tiers"][1]["id"]
    a_code(client, host, room, code="BACKSTAGE", percent_off=None, unlocks_tier_ids=[backstage])

    bought = buy_with(client, room, "backstage", tier_id=backstage).json()

    assert (bought["tier_id"], bought["price"], bought["discount"]) == (backstage, price(5000), 0)
    assert_problem(buy_tier(client, room, backstage), 404, "unknown_tier")


def test_an_unknown_code_is_refused_and_writes_nothing(client, services):
    room = a_room(client, a_host(client))

    with nothing_written(services):
        response = buy_with(client, room, "NOPE")

    assert_problem(response, 422, "code_invalid")


def test_codes_are_unique_per_host_whatever_their_case(client, services):
    host = a_host(client)
    room = a_room(client, host)
    a_code(client, host, room)

    with nothing_written(services):
        again = client.post(f"/v1/creators/{host.sub}/codes", json={"code": "spring25", "percent_off": 5},
                            headers=host.headers)

    assert_problem(again, 409, "code_taken")
    assert a_code(client, a_host(client), code="SPRING25")["code"] == "spring25"  # another host may have it


@pytest.mark.parametrize("body", [
    pytest.param({"percent_off": 0}, id="percent zero"),
    pytest.param({"percent_off": 101}, id="percent above 100"),
    pytest.param({"percent_off": 10, "amount_off": price(100)}, id="both percent and amount"),
    pytest.param({"percent_off": None}, id="does nothing"),
    pytest.param({"code": "a b"}, id="code with a space"),
    pytest.param({"max_uses": 0}, id="max uses zero"),
    pytest.param({"valid_from": in_the_future(hours=2), "valid_until": in_the_future(hours=1)}, id="window backwards"),
])
def test_a_code_breaking_a_rule_is_refused_and_writes_nothing(client, services, body):
    host = a_host(client)
    room = a_room(client, host)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/codes", json={"code": "OK25", "percent_off": 25, **body},
                               headers=host.headers)

    assert response.status_code == 422, response.text


def test_only_the_rooms_host_creates_its_codes(client, services):
    room = a_room(client, a_host(client))
    other = a_host(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/codes", json={"code": "MINE", "percent_off": 5},
                               headers=other.headers)

    assert_problem(response, 403, "forbidden")


def test_a_released_ticket_gives_its_use_back_and_a_refunded_one_does_not(client, services):
    host = a_host(client)
    room = a_room(client, host)
    a_code(client, host, room, max_uses=1)
    declined = buy_with(client, room, "SPRING25", payment_method="pm_card_chargeDeclined")
    paid = buy_with(client, room, "SPRING25").json()  # the declined purchase gave its use back

    client.post(f"/v1/tickets/{paid['id']}/refund", headers=host.headers)
    after_refund = buy_with(client, room, "SPRING25")

    assert declined.status_code == 402
    assert paid["discount"] == 249
    assert_problem(after_refund, 409, "code_exhausted")  # CodePolicy: a refund after payment keeps the use


def test_a_refund_returns_what_was_paid_not_the_list_price(client, services):
    host = a_host(client)
    room = a_room(client, host, ticket_price=price(99_900))
    a_code(client, host, room)
    ticket = buy_with(client, room, "SPRING25").json()

    refunded = client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    assert refunded.status_code == 200, refunded.text
    after = get_ticket(client, ticket["id"])
    assert (after["status"], after["refunded_amount"]) == ("refunded", 74_925)
    assert [r["amount"] for r in after["refunds"]] == [74_925]


# --- found by fuzzing (docs/fuzzing.md): counts beyond any store's integer were a 500 -------------------


@pytest.mark.parametrize("where", ["room", "creator"])
def test_a_max_uses_beyond_the_limit_is_a_validation_problem(client, services, where):
    host = a_host(client)
    room = a_room(client, host) if where == "room" else None
    url = f"/v1/rooms/{room['id']}/codes" if room else f"/v1/creators/{host.sub}/codes"

    with nothing_written(services):
        response = client.post(url, json={"code": "MANY", "percent_off": 10, "max_uses": 10**19}, headers=host.headers)

    assert_problem(response, 422, "validation")


def test_an_amount_off_beyond_the_dearest_ticket_is_a_validation_problem(client, services):
    host = a_host(client)
    room = a_room(client, host)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/codes", json={"code": "HUGE", "amount_off": price(2**63)},
                               headers=host.headers)

    assert_problem(response, 422, "validation")



def test_an_amount_code_in_another_currency_than_the_ticket_is_invalid_and_writes_nothing(client, services):
    host = a_host(client)
    a_code(client, host, code="FIVE", percent_off=None, amount_off=price(500, "USD"))  # every room of the host
    euros = a_room(client, host, ticket_price=price(2000, "EUR"))

    with nothing_written(services):
        response = buy_with(client, euros, "five")

    assert_problem(response, 422, "code_invalid")
