"""Finance reads cost what they touch, not the history: counted in rows PostgreSQL reads, never in seconds.

The finance benchmark's seeder writes a history for a fixed set of creators;
the history then grows fourfold with the same creators. Each read runs under
EXPLAIN (ANALYZE) (tests/support/plans.py), which counts every row a scan
touched. The trial balance reads one row per account at both sizes; a balance
as of a moment reads one row per account and one hour row per account, plus
the postings of the moment's partial hour, and still equals a sum over the
postings; a prefix reads the rows of its own accounts through an index range,
however many other accounts exist; a creator's earnings read the creator's two
accounts and their totals row, and the list of their rooms one row per room.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.finance_reads import START, Seeder
from projections.ledger_balances import HOUR_US
from projections.queries.balances import balances, balances_as_of
from projections.queries.earnings import creator_earnings
from projections.queries.revenue import revenue
from store.timecodes import to_us
from tests.integration.projections.support import balances_at, earnings_from_history, postings_of
from tests.support.plans import ExplainingDatabase

pytestmark = pytest.mark.postgres

ROOM_EVENTS = 401  # a room and 200 tickets reserved and paid


def explained(db: Any, read: Any) -> tuple[Any, ExplainingDatabase]:
    explaining = ExplainingDatabase(db)
    return read(explaining), explaining


def accounts(db: Any) -> int:
    return int(db.query("SELECT COUNT(*) AS n FROM ledger_balances")[0]["n"])


def test_the_trial_balance_and_as_of_read_rows_per_account_however_long_the_history(make_services,  # noqa: ANN001
                                                                                    postgres_url) -> None:
    # Arrange: 3 creators, 6 rooms; then the same creators with four times the history.
    services = make_services(postgres_url)
    seeder = Seeder(services, 6 * ROOM_EVENTS, creators=3)
    read: dict[str, list[int]] = {"trial": [], "as_of": [], "accounts": []}

    for size in (6 * ROOM_EVENTS, 24 * ROOM_EVENTS):
        seeder.grow(size)
        services.projector.catch_up()
        db = services.db
        with db.transaction() as tx:
            tx.execute("ANALYZE")  # as autovacuum would: the planner sees the tables' sizes
        middle = (to_us(START) + to_us(seeder.last_moment)) // 2
        moment = (middle // HOUR_US) * HOUR_US + HOUR_US // 3  # mid-history, inside an hour

        # Act: the trial balance and the balances as of a moment, each explained.
        _, trial = explained(db, balances)
        as_of_rows, as_of = explained(db, lambda d: balances_as_of(d, moment))  # noqa: B023

        # Assert: one row per account; as of a moment, per account and its partial hour only, and exact.
        read["accounts"].append(accounts(db))
        read["trial"].append(trial.rows_read)
        closed_hours, partial_hour = as_of.plans
        assert closed_hours["rows_read"] <= 2 * accounts(db), closed_hours
        in_partial_hour = int(db.query("SELECT COUNT(*) AS n FROM ledger_postings WHERE occurred_us >= %s"
                                       " AND occurred_us <= %s", ((moment // HOUR_US) * HOUR_US, moment))[0]["n"])
        assert partial_hour["rows_read"] <= 2 * in_partial_hour, partial_hour
        read["as_of"].append(closed_hours["rows_read"])
        expected = balances_at(postings_of(db), moment)
        assert {(r["account"], r["currency"]): (r["balance"], r["debits"], r["credits"], r["postings"])
                for r in as_of_rows} == expected

    assert read["accounts"][0] == read["accounts"][1], "the same creators: the same accounts"
    assert read["trial"] == read["accounts"], read
    assert read["as_of"][1] <= read["as_of"][0], read


def test_an_account_prefix_reads_its_own_rows_by_index_among_thousands_of_accounts(make_services,  # noqa: ANN001
                                                                                   postgres_url) -> None:
    # Arrange: one creator's sales, and 5,000 other accounts in the kept balances.
    services = make_services(postgres_url)
    seeder = Seeder(services, ROOM_EVENTS, creators=1)
    seeder.grow(ROOM_EVENTS)
    services.projector.catch_up()
    with services.db.transaction() as tx:
        tx.execute("INSERT INTO ledger_balances (account, currency, balance, debits, credits, postings, position,"
                   " last_hour) SELECT 'creator:other-' || n || ':pending', 'USD', 0, 0, 0, 0, 0, 0"
                   " FROM generate_series(1, 5000) AS n")
        tx.execute("ANALYZE ledger_balances")

    # Act
    rows, explaining = explained(services.db, lambda d: balances(d, prefix="creator:creator-0:"))

    # Assert: the creator's own accounts, read through the key's range, not the 5,000 others.
    assert rows and all(r["account"].startswith("creator:creator-0:") for r in rows), rows
    (plan,) = explaining.plans
    assert [s["index"] for s in plan["scans"] if s["index"]] == ["ledger_balances_pkey"], plan
    assert plan["rows_read"] <= 2 * len(rows), plan


def test_a_creators_earnings_read_their_own_rows_however_long_their_history(make_services,  # noqa: ANN001
                                                                           postgres_url) -> None:
    # Arrange: 3 creators, 6 rooms, and 5,000 other creators' rows; then the same creators with four
    # times the history.
    services = make_services(postgres_url)
    seeder = Seeder(services, 6 * ROOM_EVENTS, creators=3)
    with services.db.transaction() as tx:
        tx.execute("INSERT INTO ledger_balances (account, currency, balance, debits, credits, postings, position,"
                   " last_hour) SELECT 'creator:other-' || n || ':pending', 'USD', 0, 0, 0, 0, 0, 0"
                   " FROM generate_series(1, 5000) AS n")
        tx.execute("INSERT INTO creator_totals SELECT 'other-' || n, 'USD', 0, 0, 0, 0, 0, 0, 0, 0, 0"
                   " FROM generate_series(1, 5000) AS n")
        tx.execute("INSERT INTO revenue_rooms SELECT 'room-' || n, 'USD', 'other-' || n, 0, 0, 0, 0, 0, 0"
                   " FROM generate_series(1, 5000) AS n")
    own_accounts, rooms_read = [], []

    for size in (6 * ROOM_EVENTS, 24 * ROOM_EVENTS):
        seeder.grow(size)
        services.projector.catch_up()
        db = services.db
        with db.transaction() as tx:
            tx.execute("ANALYZE")

        # Act: the earnings figures, and the endpoint's list of the creator's rooms, each explained.
        earnings, figures = explained(db, lambda d: creator_earnings(d, "creator-1"))
        rooms, listing = explained(db, lambda d: revenue(d, by="room", from_us=None, to_us=None,
                                                         creator_id="creator-1"))

        # Assert: the creator's two accounts and their totals row, by key; the rooms, one row each; exact.
        own = int(db.query("SELECT COUNT(*) AS n FROM ledger_balances WHERE account LIKE 'creator:creator-1:%%'")[0]["n"])
        assert figures.rows_read <= 2 * (own + 1), figures.plans  # a bitmap scan counts its rows twice
        assert {s["index"] for p in figures.plans for s in p["scans"] if s["index"]} == {
            "ledger_balances_pkey", "creator_totals_pkey"}, figures.plans
        assert len(rooms) == seeder.rooms // 3 and listing.rows_read <= 2 * len(rooms), listing.plans
        assert [s["index"] for p in listing.plans for s in p["scans"] if s["index"]] == ["revenue_rooms_by_creator"]
        assert earnings == earnings_from_history(db, "creator-1")
        assert earnings[0]["lifetime"] == sum(r["creator_share"] for r in rooms) > 0
        own_accounts.append(own)
        rooms_read.append(listing.rows_read)

    # The same bound at both sizes: the creator's accounts did not change, the history grew fourfold.
    # (Not the same count: the planner picks a plain or a bitmap index scan, which counts its rows twice.)
    assert own_accounts[1] == own_accounts[0], own_accounts
    assert rooms_read[1] <= 4 * rooms_read[0], "the rooms listed: at most one row per room, not per room-day"
