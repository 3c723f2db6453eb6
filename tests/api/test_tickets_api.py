"""Tickets over HTTP: buying, reading, a host's buyers, refunds, and what cancelling a room refunds."""

from __future__ import annotations

import uuid

import pytest

from tests.api.builders import (
    a_host,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    an_admin,
    assert_problem,
    buy,
    finance,
    get_room,
    get_ticket,
    in_the_future,
    nothing_written,
    payments_started,
    price,
    random_uuid,
    refunds_sent,
)

DECLINING_CARD = "pm_card_chargeDeclined"

# --- POST /v1/rooms/{id}/tickets -----------------------------------------------------------------


def test_buy_ticket_answers_201_with_a_paid_ticket(client):
    _, room = a_hosted_room(client, ticket_price=price(1500))
    listener = a_listener()

    response = buy(client, room["id"], listener)

    assert response.status_code == 201, response.text
    ticket = response.json()
    uuid.UUID(ticket["id"])
    assert ticket["room_id"] == room["id"]
    assert ticket["holder_id"] == listener.sub
    assert ticket["status"] == "paid"
    assert ticket["price"] == {"amount": 1500, "currency": "USD"}
    assert ticket["payment"]["provider"] == "sandbox"
    assert response.headers["Location"] == f"/v1/tickets/{ticket['id']}"
    assert "Idempotent-Replayed" not in response.headers


def test_buying_a_ticket_takes_a_seat(client):
    _, room = a_hosted_room(client, capacity=5)

    a_paid_ticket(client, room["id"])

    shown = get_room(client, room["id"])
    assert (shown["sold"], shown["available"]) == (1, 4)


def test_buying_again_with_the_same_idempotency_key_returns_the_same_ticket(client, services):
    _, room = a_hosted_room(client)
    listener = a_listener()
    first = buy(client, room["id"], listener, key="checkout-1")

    with nothing_written(services):
        again = buy(client, room["id"], listener, key="checkout-1")

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "paid"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert payments_started(services) == 1
    assert get_room(client, room["id"])["sold"] == 1


def test_a_replayed_purchase_returns_its_ticket_even_after_the_room_sold_out(client):
    _, room = a_hosted_room(client, capacity=1)
    listener = a_listener()
    first = buy(client, room["id"], listener, key="checkout-1")

    again = buy(client, room["id"], listener, key="checkout-1")

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]


def test_an_idempotency_key_over_255_characters_is_refused(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener(), key="k" * 256)

    assert_problem(response, 422, "validation")


def test_buying_twice_as_the_same_listener_is_refused(client, services):
    _, room = a_hosted_room(client)
    listener = a_listener()
    first = a_paid_ticket(client, room["id"], listener)

    with nothing_written(services):
        response = buy(client, room["id"], listener)

    problem = assert_problem(response, 409, "already_has_ticket")
    assert problem["ticket_id"] == first["id"]
    assert get_room(client, room["id"])["sold"] == 1


def test_buying_twice_with_a_new_idempotency_key_is_refused(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    buy(client, room["id"], listener, key="checkout-1")

    response = buy(client, room["id"], listener, key="checkout-2")

    assert_problem(response, 409, "already_has_ticket")


def test_buying_to_the_cap_then_the_room_is_sold_out(client, services):
    _, room = a_hosted_room(client, capacity=2)
    a_paid_ticket(client, room["id"])
    a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "sold_out")
    shown = get_room(client, room["id"])
    assert (shown["sold"], shown["available"]) == (2, 0)


def test_buying_after_the_room_ended_is_not_on_sale(client, services):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers)
    client.post(f"/v1/rooms/{room['id']}/end", headers=host.headers)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_buying_after_the_room_was_cancelled_is_not_on_sale(client, services):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_buying_during_the_live_room_succeeds(client):
    host, room = a_hosted_room(client)
    client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers)

    response = buy(client, room["id"], a_listener())

    assert response.status_code == 201, response.text


def test_buying_after_sales_end_is_not_on_sale(client, services, clock):
    _, room = a_hosted_room(client, sales_end=in_the_future(hours=1))
    clock.advance(hours=1, seconds=1)

    with nothing_written(services):
        response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_buying_just_before_sales_end_succeeds(client, clock):
    _, room = a_hosted_room(client, sales_end=in_the_future(hours=1))
    clock.advance(minutes=59)

    response = buy(client, room["id"], a_listener())

    assert response.status_code == 201, response.text


def test_buying_after_a_sales_end_moved_into_the_past_is_not_on_sale(client, clock):
    host, room = a_hosted_room(client)
    client.patch(f"/v1/rooms/{room['id']}", json={"sales_end": in_the_future(minutes=10)}, headers=host.headers)
    clock.advance(minutes=11)

    response = buy(client, room["id"], a_listener())

    assert_problem(response, 409, "not_on_sale")


def test_raising_the_capacity_of_a_sold_out_room_puts_seats_on_sale_again(client):
    host, room = a_hosted_room(client, capacity=1)
    a_paid_ticket(client, room["id"])
    client.patch(f"/v1/rooms/{room['id']}", json={"capacity": 2}, headers=host.headers)

    response = buy(client, room["id"], a_listener())

    assert response.status_code == 201, response.text
    assert get_room(client, room["id"])["sold"] == 2


def test_a_price_change_applies_to_later_sales_only(client):
    host, room = a_hosted_room(client, ticket_price=price(999))
    early = a_paid_ticket(client, room["id"])

    client.patch(f"/v1/rooms/{room['id']}", json={"ticket_price": price(2500)}, headers=host.headers)
    late = a_paid_ticket(client, room["id"])

    assert late["price"] == {"amount": 2500, "currency": "USD"}
    assert early["price"] == {"amount": 999, "currency": "USD"}
    assert get_ticket(client, early["id"])["price"] == {"amount": 999, "currency": "USD"}


def test_a_declined_payment_is_402_and_the_seat_is_sellable_again(client):
    _, room = a_hosted_room(client, capacity=1)

    declined = buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD)

    problem = assert_problem(declined, 402, "payment_declined")
    assert problem["decline_code"] == "card_declined"
    assert get_ticket(client, problem["ticket_id"])["status"] == "released"
    shown = get_room(client, room["id"])
    assert (shown["sold"], shown["held"], shown["available"]) == (0, 0, 1)
    assert buy(client, room["id"], a_listener()).status_code == 201


def test_a_listener_whose_payment_was_declined_may_buy_again(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    buy(client, room["id"], listener, payment_method=DECLINING_CARD)

    response = buy(client, room["id"], listener, payment_method="pm_card_visa")

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "paid"


def test_replaying_a_declined_purchase_with_its_idempotency_key_is_declined_again(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    first = buy(client, room["id"], listener, key="checkout-1", payment_method=DECLINING_CARD)

    again = buy(client, room["id"], listener, key="checkout-1", payment_method=DECLINING_CARD)

    assert_problem(first, 402, "payment_declined")
    assert_problem(again, 402, "payment_declined")


def test_buying_needs_the_listener_role(client, services):
    _, room = a_hosted_room(client)
    creator = a_host(client)

    with nothing_written(services):
        response = buy(client, room["id"], creator)

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("room_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("room-1", id="non-uuid")])
def test_buying_for_an_unknown_room_is_not_found(client, services, room_id):
    with nothing_written(services):
        response = buy(client, room_id, a_listener())

    assert_problem(response, 404, "not_found")


def test_buying_refuses_an_unknown_field(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", json={"seat": "A1"}, headers=a_listener().headers)

    assert_problem(response, 422, "validation")
    assert get_room(client, room["id"])["sold"] == 0


def test_buying_refuses_malformed_json(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", content=b'{"payment_method": ',
                               headers={**a_listener().headers, "Content-Type": "application/json"})

    assert_problem(response, 400, "malformed_json")
    assert get_room(client, room["id"])["sold"] == 0


def test_buying_refuses_a_body_that_is_not_json(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        response = client.post(f"/v1/rooms/{room['id']}/tickets", content=b"payment_method=pm_card_visa",
                               headers={**a_listener().headers, "Content-Type": "application/x-www-form-urlencoded"})

    assert_problem(response, 422, "validation")


@pytest.mark.parametrize("content", [b"null", b"{}", b'{"payment_method": null}'])
def test_an_empty_json_body_buys_as_no_body_does(client, content):
    _, room = a_hosted_room(client)

    response = client.post(f"/v1/rooms/{room['id']}/tickets", content=content,
                           headers={**a_listener().headers, "Content-Type": "application/json; charset=utf-8"})

    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/tickets/{response.json()['id']}"


def test_the_purchase_stays_documented_in_openapi(client):
    operation = client.get("/openapi.json").json()["paths"]["/v1/rooms/{room_id}/tickets"]["post"]

    assert "201" in operation["responses"]
    assert any(p["name"] == "idempotency-key" for p in operation["parameters"])


# --- GET /v1/tickets/{id} --------------------------------------------------------------------------


def test_the_holder_reads_their_ticket(client):
    _, room = a_hosted_room(client)
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=listener.headers)

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("id", "room_id", "holder_id", "status", "price")} == \
           {k: ticket[k] for k in ("id", "room_id", "holder_id", "status", "price")}


def test_the_host_reads_a_ticket_of_their_room(client):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=host.headers)

    assert response.status_code == 200, response.text


def test_finance_reads_any_ticket(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=finance().headers)

    assert response.status_code == 200, response.text


def test_another_listener_may_not_read_a_ticket(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=a_listener().headers)

    assert_problem(response, 403, "forbidden")


def test_another_creator_may_not_read_a_ticket(client):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/tickets/{ticket['id']}", headers=a_host(client).headers)

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("ticket_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("t-1", id="non-uuid")])
def test_reading_an_unknown_ticket_is_not_found(client, ticket_id):
    response = client.get(f"/v1/tickets/{ticket_id}", headers=finance().headers)

    assert_problem(response, 404, "not_found")


def test_reading_a_ticket_by_a_room_id_is_not_found(client):
    _, room = a_hosted_room(client)

    response = client.get(f"/v1/tickets/{room['id']}", headers=finance().headers)

    assert_problem(response, 404, "not_found")


# --- GET /v1/me/tickets ------------------------------------------------------------------------------


def my_tickets(client, caller, **query):
    response = client.get("/v1/me/tickets", params=query, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_my_tickets_lists_only_the_callers_tickets(client):
    _, first_room = a_hosted_room(client)
    _, second_room = a_hosted_room(client)
    me, someone_else = a_listener(), a_listener()
    mine = {a_paid_ticket(client, first_room["id"], me)["id"], a_paid_ticket(client, second_room["id"], me)["id"]}
    a_paid_ticket(client, first_room["id"], someone_else)

    listed = my_tickets(client, me)

    assert {t["id"] for t in listed["items"]} == mine
    assert {t["holder_id"] for t in listed["items"]} == {me.sub}
    assert listed["next_cursor"] is None


def test_my_tickets_is_empty_for_a_listener_without_tickets(client):
    _, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])

    listed = my_tickets(client, a_listener())

    assert listed == {"items": [], "next_cursor": None}


def test_my_tickets_for_a_room_i_have_no_ticket_for_is_empty(client):
    _, room = a_hosted_room(client)
    me = a_listener()
    a_paid_ticket(client, room["id"], me)

    listed = my_tickets(client, me, room_id=random_uuid())

    assert listed["items"] == []


def test_my_tickets_filters_by_room_and_status(client):
    _, first_room = a_hosted_room(client)
    _, second_room = a_hosted_room(client)
    me = a_listener()
    kept = a_paid_ticket(client, first_room["id"], me)
    buy(client, second_room["id"], me, payment_method=DECLINING_CARD)

    by_room = my_tickets(client, me, room_id=first_room["id"])
    released = my_tickets(client, me, status="released")

    assert [t["id"] for t in by_room["items"]] == [kept["id"]]
    assert [t["room_id"] for t in released["items"]] == [second_room["id"]]


def test_my_tickets_pages_with_a_cursor(client, clock):
    me = a_listener()
    bought = []
    for _ in range(3):
        _, room = a_hosted_room(client)
        bought.append(a_paid_ticket(client, room["id"], me)["id"])
        clock.advance(seconds=1)

    first = my_tickets(client, me, limit=2)
    second = my_tickets(client, me, limit=2, cursor=first["next_cursor"])

    assert [t["id"] for t in first["items"] + second["items"]] == list(reversed(bought))
    assert second["next_cursor"] is None


def test_my_tickets_shows_a_refund(client):
    host, room = a_hosted_room(client)
    me = a_listener()
    ticket = a_paid_ticket(client, room["id"], me)
    client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    [listed] = my_tickets(client, me)["items"]

    assert (listed["status"], listed["refunded_amount"]) == ("refunded", 999)


# --- GET /v1/rooms/{id}/buyers ------------------------------------------------------------------------


def test_the_host_sees_who_bought_a_ticket(client):
    host, room = a_hosted_room(client)
    ann, bob = a_listener(), a_listener()
    ann_ticket = a_paid_ticket(client, room["id"], ann)
    bob_ticket = a_paid_ticket(client, room["id"], bob)
    buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD)

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=host.headers)

    assert response.status_code == 200, response.text
    buyers = response.json()["items"]
    assert {(b["user_id"], b["ticket_id"]) for b in buyers} == {(ann.sub, ann_ticket["id"]), (bob.sub, bob_ticket["id"])}
    assert {b["price"]["amount"] for b in buyers} == {999}
    assert response.json()["next_cursor"] is None


def test_buyers_leave_out_refunded_tickets(client):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers)

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=host.headers)

    assert response.json()["items"] == []


def test_buyers_page_with_a_cursor(client, clock):
    host, room = a_hosted_room(client)
    sold = []
    for _ in range(3):
        sold.append(a_paid_ticket(client, room["id"])["id"])
        clock.advance(seconds=1)

    first = client.get(f"/v1/rooms/{room['id']}/buyers", params={"limit": 2}, headers=host.headers).json()
    second = client.get(f"/v1/rooms/{room['id']}/buyers", params={"limit": 2, "cursor": first["next_cursor"]},
                        headers=host.headers).json()

    assert [b["ticket_id"] for b in first["items"] + second["items"]] == sold
    assert second["next_cursor"] is None


def test_an_admin_sees_the_buyers_of_any_room(client):
    _, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=an_admin().headers)

    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 1


def test_another_creator_may_not_see_the_buyers(client):
    _, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=a_host(client).headers)

    assert_problem(response, 403, "forbidden")


def test_a_listener_may_not_see_the_buyers(client):
    _, room = a_hosted_room(client)

    response = client.get(f"/v1/rooms/{room['id']}/buyers", headers=a_listener().headers)

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("room_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("room-1", id="non-uuid")])
def test_the_buyers_of_an_unknown_room_are_not_found(client, room_id):
    response = client.get(f"/v1/rooms/{room_id}/buyers", headers=a_host(client).headers)

    assert_problem(response, 404, "not_found")


# --- POST /v1/tickets/{id}/refund -----------------------------------------------------------------------


def refund(client, ticket, caller, body=None, key=None):
    headers = {**caller.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"/v1/tickets/{ticket['id']}/refund", json=body, headers=headers)


def test_the_host_refunds_a_ticket_in_full(client, services):
    host, room = a_hosted_room(client, capacity=1)
    ticket = a_paid_ticket(client, room["id"])

    response = refund(client, ticket, host)

    assert response.status_code == 200, response.text
    refunded = response.json()
    assert (refunded["status"], refunded["refunded_amount"]) == ("refunded", 999)
    assert [(r["amount"], r["status"]) for r in refunded["refunds"]] == [(999, "succeeded")]
    assert refunds_sent(services) == 1
    assert get_room(client, room["id"])["available"] == 1


def test_refunding_a_refunded_ticket_again_sends_no_second_refund(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    refund(client, ticket, host)

    with nothing_written(services):
        again = refund(client, ticket, host)

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "refunded"
    assert len(again.json()["refunds"]) == 1
    assert refunds_sent(services) == 1


def test_refunding_a_refunded_ticket_under_a_new_key_is_refused(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    refund(client, ticket, host, key="refund-1")

    with nothing_written(services):
        again = refund(client, ticket, host, key="refund-2")

    assert_problem(again, 409, "invalid_ticket_state")
    assert refunds_sent(services) == 1


def test_a_host_may_not_refund_part_of_a_ticket(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = refund(client, ticket, host, {"amount": 300})

    assert_problem(response, 403, "forbidden")
    assert get_ticket(client, ticket["id"])["refunded_amount"] == 0
    assert refunds_sent(services) == 0


def test_an_admin_refunds_part_of_a_ticket_and_it_stays_paid(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    response = refund(client, ticket, an_admin(), {"amount": 300})

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["refunded_amount"]) == ("paid", 300)
    assert get_ticket(client, ticket["id"])["refunded_amount"] == 300
    assert refunds_sent(services) == 1


def test_the_host_refunds_the_rest_after_an_admin_partial_refund(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    refund(client, ticket, an_admin(), {"amount": 300})

    response = refund(client, ticket, host)

    assert (response.json()["status"], response.json()["refunded_amount"]) == ("refunded", 999)
    assert sorted(r["amount"] for r in response.json()["refunds"]) == [300, 699]


def test_an_admin_may_not_refund_more_than_was_paid(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = refund(client, ticket, an_admin(), {"amount": 1000})

    assert_problem(response, 409, "invalid_ticket_state")
    assert refunds_sent(services) == 0


@pytest.mark.parametrize("body", [
    pytest.param({"amount": 0}, id="zero"),
    pytest.param({"amount": -300}, id="negative"),
    pytest.param({"amount": 3.0}, id="float"),
    pytest.param({"amount": "300"}, id="string"),
    pytest.param({"amount": 300, "note": "sorry"}, id="unknown field"),
])
def test_a_refund_refuses_an_invalid_amount(client, services, body):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    with nothing_written(services):
        response = refund(client, ticket, an_admin(), body)

    assert_problem(response, 422, "validation")
    assert refunds_sent(services) == 0


def test_a_listener_may_not_refund_even_their_own_ticket(client, services):
    _, room = a_hosted_room(client)
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    with nothing_written(services):
        response = refund(client, ticket, listener)

    assert_problem(response, 403, "forbidden")
    assert get_ticket(client, ticket["id"])["status"] == "paid"


def test_another_creator_may_not_refund_a_ticket_and_nothing_is_written(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    other = a_host(client)

    with nothing_written(services):
        response = refund(client, ticket, other)

    assert_problem(response, 403, "forbidden")
    assert get_ticket(client, ticket["id"])["status"] == "paid"
    assert refunds_sent(services) == 0


def test_a_declined_ticket_has_nothing_to_refund(client, services):
    host, room = a_hosted_room(client)
    declined = buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD).json()

    with nothing_written(services):
        response = refund(client, {"id": declined["ticket_id"]}, host)

    assert_problem(response, 409, "invalid_ticket_state")


@pytest.mark.parametrize("ticket_id", [pytest.param(random_uuid(), id="unknown"), pytest.param("t-1", id="non-uuid")])
def test_refunding_an_unknown_ticket_is_not_found(client, ticket_id):
    response = refund(client, {"id": ticket_id}, a_host(client))

    assert_problem(response, 404, "not_found")


# --- cancelling a room refunds its tickets ---------------------------------------------------------------


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
