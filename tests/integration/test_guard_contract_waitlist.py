"""The guards' contract, the waitlist's line: joins, offers for freed seats, taking and dropping offers.

One set of tests on memory, SQLite and PostgreSQL (tests/support/guard_store.py).
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from domain.guards import OfferGrant, WriteGuards
from domain.ids import offer_id_for
from tests.support.guard_store import EXPIRES, NOW, Store, usd

OFFER_ENDS = NOW + timedelta(minutes=15)


def join(store: Store, room: UUID, holder: str, tier: UUID | None = None) -> tuple[str, UUID, int]:
    entry = uuid4()
    result = store.run(lambda g: g.join_waitlist(entry, room, tier, holder, NOW))
    return result.status, entry, result.place


def release_and_serve(store: Store, ticket: UUID, room: UUID) -> list[OfferGrant]:
    def act(g: WriteGuards) -> list[OfferGrant]:
        g.release_seat(ticket, room)
        return g.serve_waitlists(NOW, OFFER_ENDS)

    return store.run(act)


def test_a_line_is_joined_only_when_sold_out_once_per_listener_in_order(store: Store) -> None:
    room = store.open_room(capacity=1)
    early = join(store, room, "ann")
    store.sell(room, "ann")

    first, second, again = join(store, room, "ben"), join(store, room, "cat"), join(store, room, "ben")

    assert early[0] == "not_sold_out"
    assert (first[0], first[2], second[0], second[2]) == ("joined", 1, "joined", 2)
    assert again[0] == "already_on_waitlist"
    assert join(store, room, "ann")[0] == "already_holds"


def test_a_freed_seat_is_offered_to_the_first_in_line_and_stays_taken(store: Store) -> None:
    room = store.open_room(capacity=1)
    ticket = store.sell(room, "ann")
    _, ben, _ = join(store, room, "ben")
    join(store, room, "cat")

    grants = release_and_serve(store, ticket, room)

    assert grants == [OfferGrant(offer_id_for(ben), ben, room, room, "ben", 1)]
    assert store.taken(room) == 1  # the offer holds the seat
    assert store.claim(room, "dan").status == "sold_out"
    assert store.reads.line_spot(room, "ben").status == "offered"  # type: ignore[union-attr]


def test_an_offers_seat_becomes_the_tickets_hold_without_counting_twice(store: Store) -> None:
    room = store.open_room(capacity=1, price=1500)
    ticket = store.sell(room, "ann")
    _, ben, _ = join(store, room, "ben")
    (grant,) = release_and_serve(store, ticket, room)
    bens_ticket = uuid4()

    seat = store.run(lambda g: g.take_offer_seat(grant.offer_id, bens_ticket, "ben", NOW, EXPIRES))
    replay = store.run(lambda g: g.take_offer_seat(grant.offer_id, bens_ticket, "ben", NOW, EXPIRES))
    stranger = store.run(lambda g: g.take_offer_seat(grant.offer_id, uuid4(), "eve", NOW, EXPIRES))

    assert (seat.status, seat.price, seat.tier_id) == ("claimed", usd(1500), room)
    assert (replay.status, stranger.status) == ("replay", "unknown_offer")
    assert store.taken(room) == 1
    assert store.claim(room, "ben").status == "already_holds"


def test_an_expired_offer_is_dropped_and_its_seat_goes_to_the_next_in_line(store: Store) -> None:
    room = store.open_room(capacity=1)
    ticket = store.sell(room, "ann")
    join(store, room, "ben")
    _, cat, _ = join(store, room, "cat")
    (grant,) = release_and_serve(store, ticket, room)

    late = store.run(lambda g: g.take_offer_seat(grant.offer_id, uuid4(), "ben", OFFER_ENDS, EXPIRES))
    due = store.reads.expired_offers(OFFER_ENDS)

    def expire(g: WriteGuards) -> list[OfferGrant]:
        assert g.drop_offer(grant.offer_id, "expired")
        return g.serve_waitlists(OFFER_ENDS, OFFER_ENDS + timedelta(minutes=15))

    nxt = store.run(expire)

    assert late.status == "offer_expired" and due == [grant.offer_id]
    assert [(g.entry_id, g.place) for g in nxt] == [(cat, 2)]
    assert store.taken(room) == 1
    assert store.run(lambda g: g.drop_offer(grant.offer_id, "expired")) is False


def test_a_larger_cap_serves_the_line_and_a_waiting_listener_may_leave(store: Store) -> None:
    room = store.open_room(capacity=1)
    store.sell(room, "ann")
    _, ben, _ = join(store, room, "ben")
    _, cat, _ = join(store, room, "cat")
    assert store.run(lambda g: g.leave_waitlist(ben)) is True

    def grow(g: WriteGuards) -> list[OfferGrant]:
        assert g.set_capacity(room, 3) is None
        return g.serve_waitlists(NOW, OFFER_ENDS)

    grants = store.run(grow)

    assert [g.entry_id for g in grants] == [cat]
    assert store.taken(room) == 2
    assert store.run(lambda g: g.leave_waitlist(cat)) is False  # offered, not waiting
