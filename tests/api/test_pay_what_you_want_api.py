"""Pay what you want: a tier with a minimum (and a suggested) price; the buyer names the amount.

The split, fees and refunds use the amount actually paid.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.api.builders import a_host, a_listener, assert_problem, get_ticket, nothing_written, price
from tests.api.test_tiers_api import a_tiered_room, tier_named


def pwyw(name: str = "Support us", minimum: int = 500, suggested: int | None = 1500, **more: Any) -> dict[str, Any]:
    body = {"name": name, "minimum_price": price(minimum), "capacity": 10, **more}
    if suggested is not None:
        body["suggested_price"] = price(suggested)
    return body


def buy(client, room: dict[str, Any], tier_id: str, **body: Any):  # noqa: ANN001, ANN201
    return client.post(f"/v1/rooms/{room['id']}/tickets", json={"tier_id": tier_id, **body},
                       headers=a_listener().headers)


def test_the_buyer_names_the_amount_and_pays_it(client, services):
    room = a_tiered_room(client, a_host(client), pwyw())
    tier_id = room["tiers"][0]["id"]

    ticket = buy(client, room, tier_id, amount=4321).json()

    assert (ticket["status"], ticket["price"], ticket["list_price"]) == ("paid", price(4321), price(4321))
    shown = tier_named(room, "Support us")
    assert (shown["minimum_price"], shown["suggested_price"], shown["price"]) == (price(500), price(1500), price(1500))


def test_no_amount_named_pays_the_suggested_price(client):
    room = a_tiered_room(client, a_host(client), pwyw())

    ticket = buy(client, room, room["tiers"][0]["id"]).json()

    assert ticket["price"] == price(1500)


def test_an_amount_below_the_minimum_is_refused_and_writes_nothing(client, services):
    room = a_tiered_room(client, a_host(client), pwyw())

    with nothing_written(services):
        response = buy(client, room, room["tiers"][0]["id"], amount=499)

    assert_problem(response, 422, "below_minimum_price")


def test_an_amount_above_the_price_policys_maximum_is_refused(client, services):
    room = a_tiered_room(client, a_host(client), pwyw())

    with nothing_written(services):
        response = buy(client, room, room["tiers"][0]["id"], amount=99_901)

    assert_problem(response, 422, "invalid_price")
    assert buy(client, room, room["tiers"][0]["id"], amount=99_900).status_code == 201


def test_a_fixed_price_tier_takes_no_other_amount(client, services):
    room = a_tiered_room(client, a_host(client), {"name": "Fixed", "price": price(999), "capacity": 5})

    with nothing_written(services):
        response = buy(client, room, room["tiers"][0]["id"], amount=100)

    assert_problem(response, 422, "fixed_price")


def test_a_suggested_price_below_the_minimum_is_refused(client, services):
    host = a_host(client)

    with nothing_written(services):
        response = client.post("/v1/rooms", json={"title": "Bad", "capacity": 5, "tiers": [pwyw(suggested=400)]},
                               headers=host.headers)

    assert_problem(response, 422, "invalid_price")


def test_the_split_and_the_refund_use_the_amount_paid(client, services):
    host = a_host(client)
    room = a_tiered_room(client, host, pwyw())
    ticket = buy(client, room, room["tiers"][0]["id"], amount=10_000).json()

    sale = services.app.get_ticket(UUID(ticket["id"])).split
    client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    assert (sale.gross, sale.creator_share, sale.commission) == (10_000, 9_700, 300)
    assert get_ticket(client, ticket["id"])["refunded_amount"] == 10_000
