"""The guards' contract, seats: the cap, one live ticket, replays, releases, late payments, holds.

One set of tests on memory, SQLite and PostgreSQL (tests/support/guard_store.py).
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from domain.guards import SeatClaim, WriteGuards
from tests.support.guard_store import EXPIRES, HOST, NOW, Store, usd


# --- seats: the cap, one live ticket, replays --------------------------------------


def test_an_opened_room_shows_its_capacity_price_and_default_tier(store: Store) -> None:
    room = store.open_room(capacity=3, price=999)

    inventory = store.reads.inventory(room)

    assert inventory is not None
    assert (inventory.host_id, inventory.capacity, inventory.taken, inventory.paid) == (HOST, 3, 0, 0)
    assert (inventory.price, inventory.on_sale, inventory.sales_end) == (usd(999), True, None)
    assert [(t.tier_id, t.capacity, t.price, t.hidden, t.closed) for t in inventory.tiers] == [
        (room, 3, usd(999), False, False)]
    assert store.reads.inventory(uuid4()) is None
    assert store.reads.inventories([room, uuid4()]) == {room: inventory}


def test_seats_are_claimed_up_to_the_cap_and_then_refused_as_sold_out(store: Store) -> None:
    room = store.open_room(capacity=2, price=999)

    first = store.claim(room, "ann")
    second = store.claim(room, "ben")
    third = store.claim(room, "cat")

    assert first == SeatClaim("claimed", price=usd(999), host_id=HOST, tier_id=room)
    assert second.status == "claimed" and third.status == "sold_out"
    assert store.taken(room) == 2


def test_one_batch_claims_in_order_across_rooms_and_stops_at_each_cap(store: Store) -> None:
    small, large = store.open_room(capacity=1), store.open_room(capacity=5)
    claims = {small: [("ann", uuid4()), ("ben", uuid4())], large: [("ann", uuid4()), ("ben", uuid4())]}

    result = store.run(lambda g: g.claim_rooms(claims, NOW, EXPIRES))

    assert [c.status for c in result[small]] == ["claimed", "sold_out"]
    assert [c.status for c in result[large]] == ["claimed", "claimed"]
    assert (store.taken(small), store.taken(large)) == (1, 2)


def test_a_listener_holds_one_live_ticket_per_room(store: Store) -> None:
    room, other = store.open_room(capacity=5), store.open_room(capacity=5)
    ticket = store.sell(room, "ann")

    again = store.claim(room, "ann")
    elsewhere = store.claim(other, "ann")

    assert again == SeatClaim("already_holds", ticket_id=ticket)
    assert elsewhere.status == "claimed"
    assert store.taken(room) == 1


def test_a_replayable_ticket_claimed_again_is_a_replay_and_takes_no_seat(store: Store) -> None:
    room = store.open_room(capacity=5)
    ticket = store.sell(room, "ann")

    replay = store.claim(room, "ann", ticket, replayable={ticket})

    assert replay == SeatClaim("replay", ticket_id=ticket)
    assert store.taken(room) == 1


def test_the_same_ticket_twice_in_one_batch_is_claimed_once(store: Store) -> None:
    room = store.open_room(capacity=5)
    ticket = uuid4()

    result = store.run(lambda g: g.claim_seats(room, [("ann", ticket), ("ann", ticket)], NOW, EXPIRES, set()))

    assert [c.status for c in result] == ["claimed", "replay"]
    assert store.taken(room) == 1


def test_a_room_off_sale_past_its_sales_end_or_unknown_refuses_claims(store: Store) -> None:
    closed, ended = store.open_room(), store.open_room(sales_end=NOW)
    store.run(lambda g: g.close_sales(closed))

    assert store.claim(closed, "ann").status == "not_on_sale"
    assert store.claim(ended, "ann").status == "not_on_sale"
    assert store.claim(ended, "ann", now=NOW - timedelta(seconds=1)).status == "claimed"
    assert store.claim(uuid4(), "ann").status == "unknown_room"


def test_a_room_changes_its_price_and_sales_end_for_later_claims(store: Store) -> None:
    room = store.open_room(price=1000)

    store.run(lambda g: (g.set_price(room, usd(1500)), g.set_sales_end(room, NOW + timedelta(hours=1))))

    inventory = store.reads.inventory(room)
    assert inventory is not None
    assert (inventory.price, inventory.tiers[0].price) == (usd(1500), usd(1500))
    assert inventory.sales_end == NOW + timedelta(hours=1)
    assert store.claim(room, "ann").price == usd(1500)


# --- releases, late payments, holds -------------------------------------------------


def test_a_released_seat_is_free_again_and_a_second_release_does_nothing(store: Store) -> None:
    room = store.open_room(capacity=1)
    ticket = store.sell(room, "ann")

    released = store.release(ticket, room)
    again = store.release(ticket, room)

    assert (released, again) == (True, False)
    assert store.taken(room) == 0
    assert store.claim(room, "ann").status == "claimed"  # no live ticket left: ann may buy again


def test_a_released_ticket_takes_a_free_seat_again_when_paid_late(store: Store) -> None:
    room = store.open_room(capacity=1)
    late, other = store.sell(room, "ann"), uuid4()
    store.release(late, room)

    taken_again = store.run(lambda g: g.reclaim_seat(late, NOW))
    twice = store.run(lambda g: g.reclaim_seat(late, NOW))

    assert (taken_again, twice) == (True, False)
    assert store.taken(room) == 1
    assert store.claim(room, "ben", other).status == "sold_out"


def test_a_late_payment_finds_no_seat_when_the_room_sold_out_or_the_holder_bought_again(store: Store) -> None:
    room = store.open_room(capacity=1)
    late = store.sell(room, "ann")
    store.release(late, room)
    store.sell(room, "ben")
    roomy = store.open_room(capacity=5)
    stale = store.sell(roomy, "ann")
    store.release(stale, roomy)
    store.sell(roomy, "ann")

    assert store.run(lambda g: g.reclaim_seat(late, NOW)) is False
    assert store.run(lambda g: g.reclaim_seat(stale, NOW)) is False
    assert (store.taken(room), store.taken(roomy)) == (1, 1)
    assert [t.taken for t in store.reads.inventory(roomy).tiers] == [1]  # type: ignore[union-attr]


def test_a_transferred_ticket_is_the_receivers_one_live_ticket_and_frees_the_giver(store: Store) -> None:
    room = store.open_room(capacity=5)
    gift = store.sell(room, "ann")
    store.sell(room, "cat")

    moved = store.run(lambda g: g.transfer_hold(gift, room, "ann", "ben"))

    assert moved == "transferred"
    assert store.claim(room, "ben") == SeatClaim("already_holds", ticket_id=gift)
    assert store.claim(room, "ann").status == "claimed"  # the giver holds nothing now
    assert store.taken(room) == 3


def test_a_transfer_is_refused_to_a_holder_and_of_a_ticket_the_giver_does_not_hold(store: Store) -> None:
    room = store.open_room(capacity=5)
    gift, held = store.sell(room, "ann"), store.sell(room, "ben")
    released = store.sell(room, "dan")
    store.release(released, room)

    to_holder = store.run(lambda g: g.transfer_hold(gift, room, "ann", "ben"))
    not_givers = store.run(lambda g: g.transfer_hold(held, room, "ann", "cat"))
    not_live = store.run(lambda g: g.transfer_hold(released, room, "dan", "cat"))

    assert (to_holder, not_givers, not_live) == ("receiver_holds", "no_hold", "no_hold")
    assert store.claim(room, "ben") == SeatClaim("already_holds", ticket_id=held)
    assert store.claim(room, "cat").status == "claimed"


def test_paid_tickets_are_counted_and_never_expire(store: Store) -> None:
    room = store.open_room(capacity=3)
    paid, unpaid = store.sell(room, "ann"), store.sell(room, "ben")

    store.run(lambda g: g.mark_paid(paid))

    inventory = store.reads.inventory(room)
    assert inventory is not None
    assert (inventory.taken, inventory.paid, inventory.tiers[0].paid) == (2, 1, 1)
    assert [h.ticket_id for h in store.reads.expired_holds(EXPIRES)] == [unpaid]


def test_a_seat_claimed_and_paid_in_one_transaction_is_paid(store: Store) -> None:
    room = store.open_room(capacity=3)
    ticket = uuid4()

    def act(g: WriteGuards) -> None:
        g.claim_seats(room, [("ann", ticket)], NOW, EXPIRES)
        g.mark_paid(ticket)

    store.run(act)

    assert store.reads.inventory(room).paid == 1  # type: ignore[union-attr]
    assert store.reads.expired_holds(EXPIRES) == []


def test_a_seat_claimed_and_released_in_one_transaction_leaves_the_room_as_it_was(store: Store) -> None:
    room = store.open_room(capacity=3)
    ticket = uuid4()

    def act(g: WriteGuards) -> bool:
        g.claim_seats(room, [("ann", ticket)], NOW, EXPIRES)
        return g.release_seat(ticket, room)

    assert store.run(act) is True
    assert store.taken(room) == 0
    assert store.reads.tickets_of_room(room) == [ticket]
    assert store.reads.expired_holds(EXPIRES) == []


def test_expired_holds_are_the_unpaid_live_ones_past_their_expiry_soonest_first(store: Store) -> None:
    room, other = store.open_room(capacity=5), store.open_room(capacity=5)
    later = store.sell(room, "ann", now=NOW + timedelta(minutes=1))
    sooner = store.sell(room, "ben")
    elsewhere = store.sell(other, "cat")
    released = store.sell(room, "dan")
    store.release(released, room)

    due = store.reads.expired_holds(EXPIRES + timedelta(minutes=1))

    assert [h.ticket_id for h in due] == [sooner, elsewhere, later] or [h.ticket_id for h in due] == [
        elsewhere, sooner, later]  # the same expiry: either order
    assert {h.room_id for h in due} == {room, other}
    assert store.reads.expired_holds(EXPIRES - timedelta(microseconds=1)) == []
    assert [h.ticket_id for h in store.reads.expired_holds(EXPIRES + timedelta(minutes=1), room_id=room)] == [
        sooner, later]
    assert len(store.reads.expired_holds(EXPIRES + timedelta(minutes=1), limit=1)) == 1


def test_a_rooms_tickets_are_listed_oldest_first_released_ones_too(store: Store) -> None:
    room = store.open_room(capacity=5)
    second = store.sell(room, "ann", now=NOW + timedelta(seconds=2))
    first = store.sell(room, "ben", now=NOW + timedelta(seconds=1))
    store.release(first, room)

    assert store.reads.tickets_of_room(room) == [first, second]
    assert store.reads.tickets_of_room(uuid4()) == []
