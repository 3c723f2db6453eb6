"""The guards' contract, tiers and codes: capacity changes, tier caps and windows, hidden tiers,
pay what you want, codes' uses.

One set of tests on memory, SQLite and PostgreSQL (tests/support/guard_store.py).
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from domain.guards import CodeTerms, SeatClaim, SeatWanted
from tests.support.guard_store import EXPIRES, HOST, NOW, Store, usd


# --- capacity and tiers ----------------------------------------------------------


def test_the_capacity_never_drops_below_the_seats_taken(store: Store) -> None:
    room = store.open_room(capacity=3)
    store.sell(room, "ann")
    store.sell(room, "ben")

    refused = store.run(lambda g: g.set_capacity(room, 1))
    accepted = store.run(lambda g: g.set_capacity(room, 2))

    assert (refused, accepted) == (2, None)
    inventory = store.reads.inventory(room)
    assert inventory is not None
    assert (inventory.capacity, inventory.tiers[0].capacity, inventory.available) == (2, 2, 0)
    assert store.run(lambda g: g.set_capacity(uuid4(), 5)) == 0


def test_a_tier_sells_up_to_its_own_cap_and_the_tiers_compete_for_the_room(store: Store) -> None:
    room = store.open_room(capacity=3, default_tier=False)
    early = store.open_tier(room, capacity=2, price=500)
    late = store.open_tier(room, capacity=3, price=800)

    store.sell(room, "ann", tier=early)
    store.sell(room, "ben", tier=early)
    full = store.claim(room, "cat", tier=early)
    store.sell(room, "cat", tier=late)
    sold_out = store.claim(room, "dan", tier=late)

    # An unpaid hold of the room expires at EXPIRES: from then on a sweep could free a seat.
    assert full == SeatClaim("tier_sold_out", tier_id=early, expired_holds=False, stable_until=EXPIRES)
    assert sold_out.status == "sold_out"
    inventory = store.reads.inventory(room)
    assert inventory is not None
    assert {t.tier_id: t.taken for t in inventory.tiers} == {early: 2, late: 1}
    assert [t.tier_id for t in inventory.tiers] == sorted([early, late], key=str)


def test_a_claim_without_a_tier_needs_exactly_one_visible_tier_on_sale(store: Store) -> None:
    room = store.open_room(capacity=5, default_tier=False)
    store.open_tier(room, price=500)
    alone = store.open_room(capacity=5, default_tier=False)
    only = store.open_tier(alone, price=700)

    assert store.claim(room, "ann").status == "claimed"  # one tier: it is the one
    store.open_tier(room, price=900)
    assert store.claim(room, "ben").status == "tier_required"
    assert store.claim(alone, "ann").tier_id == only
    assert store.claim(room, "cat", tier=uuid4()).status == "unknown_tier"


def test_a_tier_cap_never_drops_below_its_seats_taken(store: Store) -> None:
    room = store.open_room(capacity=5, default_tier=False)
    tier = store.open_tier(room, capacity=3)
    store.sell(room, "ann", tier=tier)
    store.sell(room, "ben", tier=tier)

    refused = store.run(lambda g: g.set_tier_capacity(room, tier, 1))
    accepted = store.run(lambda g: g.set_tier_capacity(room, tier, 2))

    assert (refused, accepted) == (2, None)
    assert store.claim(room, "cat", tier=tier).status == "tier_sold_out"


def test_a_closed_tier_or_one_not_yet_on_sale_refuses_and_a_repriced_tier_sells_at_its_new_price(
        store: Store) -> None:
    room = store.open_room(capacity=5, default_tier=False)
    closing, repriced = store.open_tier(room), store.open_tier(room, price=500)
    later = store.open_tier(room, sales_start=NOW + timedelta(hours=1))

    store.run(lambda g: (g.close_tier(room, closing), g.set_tier_price(room, repriced, usd(650))))

    assert store.claim(room, "ann", tier=closing).status == "tier_not_on_sale"
    assert store.claim(room, "ann", tier=later).status == "tier_not_on_sale"
    assert store.claim(room, "ann", tier=repriced).price == usd(650)
    assert [t.closed for t in store.reads.inventory(room).tiers if t.tier_id == closing] == [True]  # type: ignore[union-attr]


def test_a_hidden_tier_sells_only_with_a_code_that_unlocks_it(store: Store) -> None:
    room = store.open_room(capacity=5)
    hidden = store.open_tier(room, hidden=True)
    key = store.open_code(room, unlocks=frozenset({hidden}))

    assert store.claim(room, "ann", tier=hidden).status == "unknown_tier"
    assert store.claim(room, "ann", tier=hidden, code=key).status == "claimed"


def test_pay_what_you_want_takes_an_amount_between_the_minimum_and_the_ceiling(store: Store) -> None:
    room = store.open_room(capacity=5, default_tier=False)
    free = store.open_tier(room, price=1500, minimum=500)
    fixed = store.open_tier(room, price=1000)
    ceilings = {"USD": 99_900}

    assert store.claim(room, "ann", tier=free, amount=499, ceilings=ceilings).status == "below_minimum_price"
    assert store.claim(room, "ann", tier=free, amount=99_901, ceilings=ceilings).status == "above_maximum_price"
    assert store.claim(room, "ann", tier=fixed, amount=900).status == "fixed_price"
    assert store.claim(room, "ann", tier=free, amount=700, ceilings=ceilings).price == usd(700)
    assert store.claim(room, "ben", tier=free).price == usd(1500)  # no amount named: the suggested price


# --- codes ------------------------------------------------------------------------


def test_a_code_is_used_at_most_max_uses_times_and_a_release_gives_its_use_back(store: Store) -> None:
    room = store.open_room(capacity=5)
    code = store.open_code(room, max_uses=2)
    first = store.sell(room, "ann", code=code)
    store.sell(room, "ben", code=code)

    exhausted = store.claim(room, "cat", code=code)
    store.release(first, room, code)
    after_release = store.claim(room, "cat", code=code)

    assert exhausted.status == "code_exhausted"
    assert after_release.status == "claimed" and after_release.code is not None
    assert after_release.code.code_id == code
    assert store.reads.code_uses(code) == 2
    assert store.reads.code_uses(uuid4()) == 0


def test_a_release_without_the_code_keeps_its_use_taken(store: Store) -> None:
    room = store.open_room(capacity=5)
    code = store.open_code(room)
    ticket = store.sell(room, "ann", code=code)

    store.release(ticket, room)  # a refund whose policy keeps the use

    assert store.reads.code_uses(code) == 1


def test_a_code_of_another_room_or_host_or_unknown_or_not_locked_is_invalid(store: Store) -> None:
    room, other = store.open_room(capacity=5), store.open_room(capacity=5)
    elsewhere = store.open_code(other)
    strangers = store.open_code(None, host="host-2")
    creator_wide = store.open_code(None)
    not_locked = store.open_code(room)

    assert store.claim(room, "ann", code=elsewhere).status == "code_invalid"
    assert store.claim(room, "ann", code=strangers).status == "code_invalid"
    assert store.claim(room, "ann", code=uuid4()).status == "code_invalid"
    unlocked = store.run(lambda g: g.claim_seats(room, [SeatWanted("ann", uuid4(), None, not_locked)], NOW, EXPIRES))
    assert unlocked[0].status == "code_invalid"
    assert store.claim(other, "ann", code=creator_wide).status == "claimed"
    assert store.reads.code_uses(creator_wide) == 1 and store.reads.code_uses(elsewhere) == 0


def test_a_second_code_with_the_same_id_is_refused(store: Store) -> None:
    room = store.open_room()
    code = store.open_code(room)
    terms = CodeTerms(code_id=code, host_id=HOST, room_id=room, percent_off=5, amount_off=None, currency=None,
                      max_uses=None, valid_from=None, valid_until=None, tier_ids=frozenset(),
                      unlocks_tier_ids=frozenset())

    with pytest.raises(IntegrityError):
        store.run(lambda g: g.open_code(terms))
