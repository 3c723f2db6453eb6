"""The guards' contract, sold out: a refusal says whether a sweep of expired holds could give a seat back.

A claim refused `sold_out` or `tier_sold_out` carries `expired_holds`: does the room hold a live
unpaid hold whose hold has passed? Only then does the purchase sweep the room and try again
(domain/sales/commands.py); otherwise it is answered at once. One set of tests on memory,
SQLite and PostgreSQL (tests/support/guard_store.py). Holds last 15 minutes (`EXPIRES`).
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from domain.guards import SeatWanted
from tests.support.guard_store import EXPIRES, NOW, Store

LATER = NOW + timedelta(minutes=10)  # every hold claimed at NOW still runs
PASSED = EXPIRES  # every hold claimed at NOW has passed (expired at its expiry, as the sweep says)


def test_a_sold_out_room_whose_holds_are_paid_or_still_running_has_nothing_to_sweep(store: Store) -> None:
    room = store.open_room(capacity=2)
    paid = store.sell(room, "ann")
    store.run(lambda g: g.mark_paid(paid))
    store.sell(room, "ben")

    refused = store.claim(room, "cat", now=LATER)

    assert (refused.status, refused.expired_holds) == ("sold_out", False)


def test_a_sold_out_room_with_a_hold_that_has_passed_may_get_a_seat_back(store: Store) -> None:
    room, other = store.open_room(capacity=1), store.open_room(capacity=1)
    store.sell(room, "ann")
    store.sell(other, "ann", now=LATER)  # still running: only its own room's holds count

    just_before = store.claim(room, "ben", now=PASSED - timedelta(microseconds=1))
    passed = store.claim(room, "ben", now=PASSED)
    elsewhere = store.claim(other, "ben", now=PASSED)

    assert (just_before.status, just_before.expired_holds) == ("sold_out", False)
    assert (passed.status, passed.expired_holds) == ("sold_out", True)
    assert (elsewhere.status, elsewhere.expired_holds) == ("sold_out", False)


def test_a_paid_hold_past_its_expiry_is_not_one_to_sweep(store: Store) -> None:
    room = store.open_room(capacity=1)
    paid = store.sell(room, "ann")
    store.run(lambda g: g.mark_paid(paid))

    refused = store.claim(room, "ben", now=PASSED)

    assert (refused.status, refused.expired_holds) == ("sold_out", False)


def test_a_batch_that_fills_its_room_tells_the_claims_it_refuses_of_a_passed_hold(store: Store) -> None:
    swept, kept = store.open_room(capacity=2), store.open_room(capacity=2)
    store.sell(swept, "ann")
    paid = store.sell(kept, "ann")
    store.run(lambda g: g.mark_paid(paid))
    wanted = {room: [SeatWanted("ben", uuid4()), SeatWanted("cat", uuid4())] for room in (swept, kept)}

    claims = store.run(lambda g: g.claim_rooms(wanted, PASSED, PASSED + timedelta(minutes=15)))

    assert [(c.status, c.expired_holds) for c in claims[swept]][1] == ("sold_out", True)
    assert [(c.status, c.expired_holds) for c in claims[kept]][1] == ("sold_out", False)
    assert [c.status for c in claims[swept]][0] == [c.status for c in claims[kept]][0] == "claimed"


def test_a_sold_out_tier_says_whether_its_room_has_a_hold_to_sweep(store: Store) -> None:
    room = store.open_room(capacity=5, default_tier=False)
    early = store.open_tier(room, capacity=1, price=500)
    store.sell(room, "ann", tier=early)

    running = store.claim(room, "ben", tier=early, now=LATER)
    passed = store.claim(room, "ben", tier=early, now=PASSED)

    assert (running.status, running.expired_holds) == ("tier_sold_out", False)
    assert (passed.status, passed.expired_holds) == ("tier_sold_out", True)
