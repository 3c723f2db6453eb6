"""Refund policies and reschedules: a holder refunds themself, in full, inside a window, to the second.

The clock is the frozen clock of tests/conftest.py, moved by the tests.
"""

from __future__ import annotations

from typing import Any

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


def refund_own(client, ticket: dict[str, Any], holder):  # noqa: ANN001, ANN201
    return client.post(f"/v1/tickets/{ticket['id']}/refund", headers=holder.headers)


def test_a_holder_refunds_in_full_until_n_hours_before_the_start_to_the_second(client, services, clock):
    host = a_host(client)
    room = a_room(client, host, scheduled_start=in_the_future(hours=48), ticket_price=price(2500),
                  refund_policy={"until_start_minus_hours": 24})
    early, late = a_listener(), a_listener()
    early_ticket, late_ticket = a_paid_ticket(client, room["id"], early), a_paid_ticket(client, room["id"], late)

    clock.advance(hours=24, seconds=-1)  # one second before the deadline
    refunded = refund_own(client, early_ticket, early)
    clock.advance(seconds=1)  # the deadline itself: closed
    with nothing_written(services):
        refused = refund_own(client, late_ticket, late)

    assert refunded.status_code == 200, refunded.text
    assert (refunded.json()["status"], refunded.json()["refunded_amount"]) == ("refunded", 2500)
    assert_problem(refused, 409, "refund_window_closed")
    assert get_ticket(client, late_ticket["id"])["status"] == "paid"
    assert room["refund_policy"] == {"until_start_minus_hours": 24}


def test_with_the_policy_none_the_holder_is_refused_and_the_rule_is_named(client, services):
    room = a_room(client, a_host(client))
    holder = a_listener()
    ticket = a_paid_ticket(client, room["id"], holder)

    with nothing_written(services):
        response = refund_own(client, ticket, holder)

    body = assert_problem(response, 403, "forbidden")
    assert body["rule"] == "refund_policy_none"
    assert room["refund_policy"] == "none"


def test_a_holder_refund_returns_what_was_paid_with_a_code(client):
    host = a_host(client)
    room = a_room(client, host, scheduled_start=in_the_future(days=3), ticket_price=price(99_900),
                  refund_policy={"until_start_minus_hours": 1})
    client.post(f"/v1/rooms/{room['id']}/codes", json={"code": "HALF", "percent_off": 50}, headers=host.headers)
    holder = a_listener()
    ticket = client.post(f"/v1/rooms/{room['id']}/tickets", json={"code": "half"}, headers=holder.headers).json()

    refunded = refund_own(client, ticket, holder).json()

    assert (refunded["refunded_amount"], [r["amount"] for r in refunded["refunds"]]) == (49_950, [49_950])


def test_a_moved_room_keeps_its_tickets_and_gives_holders_48_hours_to_refund_to_the_second(client, services, clock):
    host = a_host(client)
    room = a_room(client, host, scheduled_start=in_the_future(days=2))
    first, second = a_listener(), a_listener()
    tickets = [a_paid_ticket(client, room["id"], first), a_paid_ticket(client, room["id"], second)]
    clock.advance(minutes=1)

    moved = client.post(f"/v1/rooms/{room['id']}/reschedule", json={"scheduled_start": in_the_future(days=5)},
                        headers=host.headers)
    after_move = a_listener()
    bought_after = a_paid_ticket(client, room["id"], after_move)
    clock.advance(hours=48, seconds=-1)
    in_time = refund_own(client, tickets[0], first)
    clock.advance(seconds=1)
    with nothing_written(services):
        too_late = refund_own(client, tickets[1], second)
        not_covered = refund_own(client, bought_after, after_move)

    assert moved.status_code == 200, moved.text
    assert (moved.json()["scheduled_start"], moved.json()["reschedule_refund_until"]) == (
        "2026-03-07T18:00:00Z", "2026-03-04T18:01:00Z")
    assert get_ticket(client, tickets[1]["id"])["status"] == "paid"  # tickets are kept
    assert in_time.status_code == 200 and in_time.json()["status"] == "refunded"
    assert_problem(too_late, 409, "refund_window_closed")
    assert_problem(not_covered, 403, "forbidden")  # bought after the move, policy none


def test_only_a_scheduled_room_moves_and_only_within_the_schedule_policy(client, services):
    host, stranger_host = a_host(client), a_host(client)
    room = a_room(client, host, scheduled_start=in_the_future(days=1))

    with nothing_written(services):
        past = client.post(f"/v1/rooms/{room['id']}/reschedule", json={"scheduled_start": "2026-03-01T18:00:00+00:00"},
                           headers=host.headers)
        too_far = client.post(f"/v1/rooms/{room['id']}/reschedule", json={"scheduled_start": in_the_future(days=15)},
                              headers=host.headers)
        stranger = client.post(f"/v1/rooms/{room['id']}/reschedule", json={"scheduled_start": in_the_future(days=2)},
                               headers=stranger_host.headers)
    client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers)
    live = client.post(f"/v1/rooms/{room['id']}/reschedule", json={"scheduled_start": in_the_future(days=2)},
                       headers=host.headers)

    assert_problem(past, 422, "invalid_schedule")
    assert_problem(too_far, 422, "invalid_schedule")
    assert_problem(stranger, 403, "forbidden")
    assert_problem(live, 409, "invalid_state")


def test_the_host_changes_the_policy_and_the_listing_shows_the_same_room(client):
    host = a_host(client)
    room = a_room(client, host, scheduled_start=in_the_future(days=2))

    changed = client.patch(f"/v1/rooms/{room['id']}", json={"refund_policy": {"until_start_minus_hours": 6}},
                           headers=host.headers)
    client.post(f"/v1/rooms/{room['id']}/reschedule", json={"scheduled_start": in_the_future(days=3)},
                headers=host.headers)

    assert changed.json()["refund_policy"] == {"until_start_minus_hours": 6}
    assert rooms_of(client, host)[0] == client.get(f"/v1/rooms/{room['id']}", headers=host.headers).json()
    assert get_room(client, room["id"])["scheduled_start"] == "2026-03-05T18:00:00Z"
