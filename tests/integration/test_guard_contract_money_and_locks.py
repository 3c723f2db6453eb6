"""The guards' contract, the rest: rooms' hosts, revenue, processed keys, payout accounts, events and
atomicity (a transaction that fails writes nothing), and the global lock order of domain/guards.py.

One set of tests on memory, SQLite and PostgreSQL (tests/support/guard_store.py).
"""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from domain.guards import ExactRevenueNeeded, LockOrderError, SeatWanted, WriteGuards
from tests.support.guard_store import EXPIRES, HOST, NOW, Store, stored, usd


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


LIMITS = {"USD": 500_000}  # the threshold (5,000.00 here), as the commission policy states it per currency


def accrue_sale(store: Store, room: UUID, gross: int) -> int:
    """One sale's accrual as the application makes it: the room held, the sale planned, then accrued;
    when a store needs the exact figure (ExactRevenueNeeded) the slices are folded and the sale runs again."""
    def act(g: WriteGuards) -> int:
        g.lock_rooms([room])
        g.plan_revenue([(HOST, "USD", room, gross)], LIMITS)
        return g.accrue_revenue(HOST, "USD", gross, room)

    for _ in range(5):
        try:
            return store.run(act)
        except ExactRevenueNeeded as exc:
            store.run(lambda g, keys=exc.keys: g.fold_revenue_slices(keys))
    raise AssertionError("the sale never got the exact figure")


def test_planned_sales_of_many_rooms_see_the_running_total_below_and_across_the_threshold(store: Store) -> None:
    rooms = [store.open_room(capacity=50) for _ in range(3)]

    befores = [accrue_sale(store, rooms[i % 3], 99_900) for i in range(8)]  # 7,992.00: across 5,000.00

    assert befores == [i * 99_900 for i in range(8)]
    assert store.reads.lifetime_revenue(HOST, "USD") == 8 * 99_900


def test_a_refund_lowers_the_total_the_next_planned_sale_sees(store: Store) -> None:
    room, other = store.open_room(capacity=50), store.open_room(capacity=50)
    accrue_sale(store, room, 99_900)
    accrue_sale(store, other, 99_900)

    refunded = store.run(lambda g: g.accrue_revenue(HOST, "USD", -99_900))
    after = accrue_sale(store, room, 50_000)

    assert (refunded, after) == (199_800, 99_900)
    assert store.reads.lifetime_revenue(HOST, "USD") == 149_900


def test_folding_a_creators_slices_keeps_the_lifetime_and_leaves_none(store: Store) -> None:
    rooms = [store.open_room(capacity=50) for _ in range(2)]
    for room in rooms:
        accrue_sale(store, room, 10_000)

    folded = store.run(lambda g: g.fold_revenue_slices([(HOST, "USD")]))

    assert folded is True
    assert store.reads.lifetime_revenue(HOST, "USD") == 20_000
    assert store.run(lambda g: g.accrue_revenue(HOST, "USD", 5_000)) == 20_000  # on the row, exactly


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
