"""What cancelling a room refunds: every paid ticket, once, at its price, what is left, retrying failures."""

from __future__ import annotations


from tests.api.builders import (
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    an_admin,
    buy,
    get_ticket,
    nothing_written,
    price,
    refunds_sent,
)
from tests.api.ticket_actions import (DECLINING_CARD, refund)


def test_cancelling_a_room_refunds_every_paid_ticket(client, services):
    host, room = a_hosted_room(client)
    paid = [a_paid_ticket(client, room["id"]) for _ in range(3)]
    buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD)

    response = client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    assert response.status_code == 200, response.text
    assert response.json()["refunds"] == {"requested": 0, "succeeded": 3, "failed": 0}
    for ticket in paid:
        shown = get_ticket(client, ticket["id"])
        assert (shown["status"], shown["refunded_amount"]) == ("refunded", 999)
    assert refunds_sent(services) == 3


def test_cancelling_a_room_twice_refunds_nothing_twice(client, services):
    host, room = a_hosted_room(client)
    paid = [a_paid_ticket(client, room["id"]) for _ in range(2)]
    client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    with nothing_written(services):
        again = client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    assert again.status_code == 200, again.text
    assert again.json()["state"] == "cancelled"
    assert again.json()["refunds"] == {"requested": 0, "succeeded": 2, "failed": 0}
    assert refunds_sent(services) == 2
    assert [len(get_ticket(client, t["id"])["refunds"]) for t in paid] == [1, 1]


def test_cancelling_again_retries_the_refunds_that_failed(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    services.gateway.fail_refunds = True
    failed = client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)
    services.gateway.fail_refunds = False

    retried = client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    assert failed.json()["refunds"] == {"requested": 0, "succeeded": 0, "failed": 1}
    assert retried.json()["refunds"] == {"requested": 0, "succeeded": 1, "failed": 0}
    [state] = get_ticket(client, ticket["id"])["refunds"]
    assert (state["amount"], state["status"]) == (999, "succeeded")
    assert [r.status for r in services.gateway._refunds.values()] == ["failed", "succeeded"]


def test_cancelling_refunds_only_what_is_left_after_a_partial_refund(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    refund(client, ticket, an_admin(), {"amount": 300})

    client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    shown = get_ticket(client, ticket["id"])
    assert (shown["status"], shown["refunded_amount"]) == ("refunded", 999)
    assert sum(r.amount.amount for r in services.gateway._refunds.values()) == 999


def test_cancelling_refunds_each_ticket_at_the_price_it_was_sold_for(client, services):
    host, room = a_hosted_room(client, ticket_price=price(999))
    early = a_paid_ticket(client, room["id"])
    client.patch(f"/v1/rooms/{room['id']}", json={"ticket_price": price(2500)}, headers=host.headers)
    late = a_paid_ticket(client, room["id"])

    client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    assert get_ticket(client, early["id"])["refunded_amount"] == 999
    assert get_ticket(client, late["id"])["refunded_amount"] == 2500
    assert sorted(r.amount.amount for r in services.gateway._refunds.values()) == [999, 2500]


def test_cancelling_a_room_skips_tickets_the_host_already_refunded(client, services):
    host, room = a_hosted_room(client)
    refunded = a_paid_ticket(client, room["id"])
    a_paid_ticket(client, room["id"])
    refund(client, refunded, host)

    response = client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    assert response.json()["refunds"]["succeeded"] == 2
    assert refunds_sent(services) == 2
    assert len(get_ticket(client, refunded["id"])["refunds"]) == 1
