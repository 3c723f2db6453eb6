"""The write guards' contract: one set of tests, run on every store (memory, SQLite, PostgreSQL).

Every store implements domain.guards.GuardedRecorder. The domain's unit tests
run on the in-memory one (store/memory.py); these tests are what makes that
honest: the memory store must answer every claim, release, count, refusal and
lock-order error exactly as the SQL guards do, and write nothing when a
transaction fails. Each case talks to the port only (`transact`,
`guard_reads`, `select_events_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, StoredEvent
from eventsourcing.utils import Environment

from domain.application import BoxOffice
from domain.codes import CodeTerms
from domain.guards import GuardReads, LockOrderError, SeatClaim, SeatWanted, WriteGuards
from domain.money import Money
from store.env import MEMORY_URL, eventsourcing_env

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=15)
HOST = "host-1"


def usd(amount: int) -> Money:
    return Money(amount, "USD")


class Store:
    """A guarded recorder, driven through its port, with a few words for the tests."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder

    def run(self, act: Callable[[WriteGuards], Any], events: Sequence[StoredEvent] = ()) -> Any:
        """`act` in one transaction that appends `events`; returns what `act` returned."""
        box: dict[str, Any] = {}

        def work(guards: WriteGuards) -> list[StoredEvent]:
            box["out"] = act(guards)
            return list(events)

        box["ids"] = self.recorder.transact(work)
        return box["out"]

    @property
    def reads(self) -> GuardReads:
        return self.recorder.guard_reads()

    def open_room(self, capacity: int = 2, price: int = 1000, host: str = HOST, default_tier: bool = True,
                  sales_end: datetime | None = None) -> UUID:
        room = uuid4()
        self.run(lambda g: g.open_inventory(room, host, capacity, usd(price), sales_end, default_tier))
        return room

    def open_tier(self, room: UUID, capacity: int = 2, price: int = 1000, hidden: bool = False,
                  minimum: int | None = None, sales_start: datetime | None = None) -> UUID:
        tier = uuid4()
        self.run(lambda g: g.open_tier(room, tier, capacity, usd(price), sales_start, None, hidden, minimum))
        return tier

    def open_code(self, room: UUID | None = None, host: str = HOST, max_uses: int | None = None,
                  unlocks: frozenset[UUID] = frozenset()) -> UUID:
        code = uuid4()
        terms = CodeTerms(code_id=code, host_id=host, room_id=room, percent_off=10, amount_off=None, currency=None,
                          max_uses=max_uses, valid_from=None, valid_until=None, tier_ids=frozenset(),
                          unlocks_tier_ids=unlocks)
        self.run(lambda g: g.open_code(terms))
        return code

    def claim(self, room: UUID, holder: str, ticket: UUID | None = None, tier: UUID | None = None,
              code: UUID | None = None, amount: int | None = None, now: datetime = NOW,
              replayable: set[UUID] | None = None, ceilings: dict[str, int] | None = None) -> SeatClaim:
        wanted = SeatWanted(holder, ticket or uuid4(), tier, code, amount)

        def act(g: WriteGuards) -> SeatClaim:
            if code is not None:
                g.lock_codes([code])
            return g.claim_rooms({room: [wanted]}, now, now + timedelta(minutes=15), replayable, ceilings)[room][0]

        return self.run(act)

    def sell(self, room: UUID, holder: str, **kw: Any) -> UUID:
        """A claimed seat; its ticket id."""
        ticket = uuid4()
        assert self.claim(room, holder, ticket, **kw).status == "claimed"
        return ticket

    def release(self, ticket: UUID, room: UUID, code: UUID | None = None) -> bool:
        return self.run(lambda g: g.release_seat(ticket, room, code))

    def taken(self, room: UUID) -> int:
        inventory = self.reads.inventory(room)
        assert inventory is not None
        return inventory.taken


def stored(originator_id: UUID, version: int = 1, state: bytes = b'{"n": 1}') -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=version, topic="tests.guards:Happened",
                       state=state)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The same guarded recorder the composition root builds for each kind of database URL."""
    url = {"memory": lambda: MEMORY_URL, "sqlite": lambda: request.getfixturevalue("sqlite_url"),
           "postgres": lambda: request.getfixturevalue("postgres_url")}[request.param]()
    factory = InfrastructureFactory.construct(Environment(BoxOffice.name, eventsourcing_env(url)))
    try:
        yield Store(factory.application_recorder())
    finally:
        factory.close()


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

    assert full == SeatClaim("tier_sold_out", tier_id=early)
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


# --- rooms' hosts, money, keys, accounts -------------------------------------------


def test_the_hosts_of_existing_rooms_are_read(store: Store) -> None:
    room, theirs = store.open_room(), store.open_room(host="host-2")

    hosts = store.run(lambda g: g.room_hosts({room, theirs, uuid4()}))

    assert hosts == {room: HOST, theirs: "host-2"}


def test_revenue_accrues_per_creator_and_currency_and_answers_the_total_before(store: Store) -> None:
    def act(g: WriteGuards) -> list[int]:
        g.lock_revenue([(HOST, "EUR"), (HOST, "USD")])
        return [g.accrue_revenue(HOST, "USD", 999), g.accrue_revenue(HOST, "USD", 1000),
                g.accrue_revenue(HOST, "EUR", 500)]

    first = store.run(act)
    later = store.run(lambda g: g.accrue_revenue(HOST, "USD", -999))

    assert (first, later) == ([0, 999, 0], 1999)
    assert store.reads.lifetime_revenue(HOST, "USD") == 1000
    assert store.reads.lifetime_revenue(HOST, "EUR") == 500
    assert store.reads.lifetime_revenue("nobody", "USD") == 0


def test_a_key_is_processed_the_first_time_only(store: Store) -> None:
    first = store.run(lambda g: g.first_time("evt_1"))
    again = store.run(lambda g: (g.first_time("evt_1"), g.first_time("evt_2"), g.first_time("evt_2")))

    assert first is True and again == (False, True, False)
    assert store.reads.processed("evt_1") and store.reads.processed("evt_2")
    assert not store.reads.processed("evt_3")


def test_a_payout_account_is_linked_once_per_account_and_creator_and_keeps_its_status(store: Store) -> None:
    store.run(lambda g: g.link_account("acct_1", "maya", "pending"))
    store.run(lambda g: (g.link_account("acct_1", "other", "pending"), g.link_account("acct_2", "maya", "enabled"),
                         g.link_account("acct_3", "sam", "pending")))

    before = store.reads.enabled_payout_accounts()
    store.run(lambda g: (g.set_account_status("acct_1", "enabled"), g.set_account_status("acct_9", "enabled")))

    assert store.reads.creator_of_account("acct_1") == "maya"
    assert store.reads.creator_of_account("acct_2") is None
    assert store.reads.creator_of_account("acct_3") == "sam"
    assert before == {}
    assert store.reads.enabled_payout_accounts() == {"maya": "acct_1"}


# --- events and atomicity -----------------------------------------------------------


def test_events_are_appended_in_order_and_read_back_per_aggregate(store: Store) -> None:
    a, b = uuid4(), uuid4()
    before = store.recorder.max_notification_id() or 0

    ids = store.recorder.transact(lambda g: [stored(a, 1), stored(b, 1), stored(a, 2, b'{"n": 2}')])
    none = store.recorder.transact(lambda g: [])

    assert list(ids) == [before + 1, before + 2, before + 3] and list(none) == []
    found = store.recorder.select_events_of([a, b, uuid4()])
    assert set(found) == {a, b}
    assert [(e.originator_version, e.state) for e in found[a]] == [(1, b'{"n": 1}'), (2, b'{"n": 2}')]
    assert [UUID(str(e.originator_id)) for e in found[b]] == [b]


def test_a_transaction_that_raises_writes_neither_events_nor_guard_rows(store: Store) -> None:
    room = store.open_room(capacity=2)
    code = store.open_code(room)
    before = store.recorder.max_notification_id()

    def act(g: WriteGuards) -> None:
        g.first_time("evt_1")
        g.lock_codes([code])
        g.claim_seats(room, [SeatWanted("ann", uuid4(), None, code)], NOW, EXPIRES)
        g.accrue_revenue(HOST, "USD", 1000)
        g.link_account("acct_1", HOST, "enabled")
        g.close_sales(room)
        raise RuntimeError("the decision failed")

    with pytest.raises(RuntimeError):
        store.run(act, [stored(uuid4())])

    assert store.recorder.max_notification_id() == before
    inventory = store.reads.inventory(room)
    assert inventory is not None and (inventory.taken, inventory.on_sale) == (0, True)
    assert store.reads.tickets_of_room(room) == [] and store.reads.code_uses(code) == 0
    assert not store.reads.processed("evt_1")
    assert store.reads.lifetime_revenue(HOST, "USD") == 0 and store.reads.creator_of_account("acct_1") is None


def test_events_that_conflict_roll_back_the_guard_rows_of_their_transaction(store: Store) -> None:
    room = store.open_room(capacity=2)
    aggregate = uuid4()
    store.run(lambda g: None, [stored(aggregate, 1)])
    before = store.recorder.max_notification_id()

    with pytest.raises(IntegrityError):
        store.run(lambda g: (g.first_time("evt_1"), g.claim_seats(room, [("ann", uuid4())], NOW, EXPIRES)),
                  [stored(uuid4(), 1), stored(aggregate, 1)])

    assert store.recorder.max_notification_id() == before
    assert store.taken(room) == 0 and not store.reads.processed("evt_1")


def test_a_second_room_with_the_same_id_is_refused(store: Store) -> None:
    room = store.open_room()

    with pytest.raises(IntegrityError):
        store.run(lambda g: g.open_inventory(room, HOST, 5, usd(100), None))


# --- the lock order (domain/guards.py) ------------------------------------------------


def two_rooms(store: Store) -> tuple[UUID, UUID]:
    """Two rooms, the first sorting before the second."""
    a, b = sorted([store.open_room(capacity=10), store.open_room(capacity=10)], key=str)
    return a, b


def test_rooms_then_revenue_rows_is_the_order(store: Store) -> None:
    a, b = two_rooms(store)

    def act(g: WriteGuards) -> tuple[list[str], int]:
        claimed = g.claim_rooms({b: [("fan-1", uuid4())], a: [("fan-2", uuid4())]}, NOW, EXPIRES)
        g.lock_revenue([(HOST, "USD")])
        return [c.status for c in claimed[a] + claimed[b]], g.accrue_revenue(HOST, "USD", 500)

    assert store.run(act) == (["claimed", "claimed"], 0)


def test_a_room_locked_after_a_revenue_row_is_refused(store: Store) -> None:
    a, _ = two_rooms(store)

    def act(g: WriteGuards) -> None:
        g.accrue_revenue(HOST, "USD", 500)
        g.claim_seats(a, [("fan-1", uuid4())], NOW, EXPIRES)

    with pytest.raises(LockOrderError, match="seat_inventory"):
        store.run(act)
    assert store.taken(a) == 0 and store.reads.lifetime_revenue(HOST, "USD") == 0


def test_a_room_that_sorts_before_one_already_locked_is_refused(store: Store) -> None:
    a, b = two_rooms(store)

    with pytest.raises(LockOrderError):
        store.run(lambda g: (g.lock_rooms([b]), g.close_sales(a)))


def test_a_row_already_locked_may_be_touched_again_in_any_order(store: Store) -> None:
    a, b = two_rooms(store)

    def act(g: WriteGuards) -> int:
        g.lock_rooms([a, b])
        g.accrue_revenue(HOST, "USD", 500)
        g.close_sales(a)  # held since lock_rooms: no new lock
        return g.accrue_revenue(HOST, "USD", 500)

    assert store.run(act) == 500


def test_a_dedupe_key_after_a_room_is_refused(store: Store) -> None:
    a, _ = two_rooms(store)

    with pytest.raises(LockOrderError, match="processed_keys"):
        store.run(lambda g: (g.lock_rooms([a]), g.first_time("evt_1")))


def test_a_code_after_a_room_is_refused(store: Store) -> None:
    a, _ = two_rooms(store)
    code = store.open_code(a)
    ticket = store.sell(a, "ann", code=code)

    with pytest.raises(LockOrderError, match="code_inventory"):
        store.run(lambda g: (g.lock_rooms([a]), g.release_seat(ticket, a, code)))
    assert store.taken(a) == 1 and store.reads.code_uses(code) == 1


def test_a_payout_account_after_a_revenue_row_is_in_order_and_before_it_is_not(store: Store) -> None:
    store.run(lambda g: (g.accrue_revenue(HOST, "USD", 1), g.link_account("acct_1", HOST, "pending")))

    with pytest.raises(LockOrderError, match="creator_revenue"):
        store.run(lambda g: (g.set_account_status("acct_1", "enabled"), g.accrue_revenue(HOST, "USD", 1)))
