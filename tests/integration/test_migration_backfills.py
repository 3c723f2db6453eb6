"""Migrations that backfill an existing database leave it as a rebuild from zero would, on SQLite and PostgreSQL.

The story: a box office at head sells, refunds, loses and wins disputes, cancels
a room, releases earnings and pays creators, over several hours and days and in
two currencies, on rooms of one price (all there was before tiers). Its database
is then taken back to revision 0008 (the downgrades drop what 0009-0013 added and
put back the ledger's older account index), which is the database a deployment
of 0008 had: the event log and the read tables the projections kept then. Upgrading
to head runs the backfills:

- 0009 fills the kept balances, their hourly history, the movement days and the
  revenue days from the postings and revenue facts;
- 0010 gives every room its default tier (guard row and catalog row) and every
  hold that tier;
- 0012 creates the refund policies table, empty;
- 0014 creates the transfers table, empty, and 0015 gives every ticket its tier;
- 0018 fills the lifetime revenue per room and the creators' totals (revenue and
  what their payouts moved) from the revenue facts and the payout entries.

Each backfilled read table must equal what a rebuild of its projection from the
events gives, and each backfilled guard row what the application itself kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, pool

from api.bootstrap import Services, build_services
from api.main import create_app
from domain.clock import FrozenClock
from migrations.runner import alembic_config, current_revision, upgrade
from store.db import Database
from store.env import sqlalchemy_url
from tests.conftest import make_settings
from tests.integration.empty_databases import empty_database
from tests.integration.payouts.builders import Desk
from tests.integration.projections.support import rows

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

LEDGER_KEPT = ("ledger_balances", "ledger_balance_hours", "ledger_movement_days", "revenue_days",  # 0009
               "revenue_rooms", "creator_totals")  # 0018
CATALOG_BACKFILLED = ("room_tiers_view", "room_policies_view", "tickets_view", "ticket_transfers_view")  # 0010, 0012, 0014-15
GUARDS_BACKFILLED = ("tier_inventory", "seat_holds")  # 0010 (seat_holds.tier_id)


@contextmanager
def running(database_url: str, clock: FrozenClock) -> Iterator[tuple[Services, Desk]]:
    services = build_services(make_settings(database_url), clock=clock)
    try:
        with TestClient(create_app(services), raise_server_exceptions=False) as http:
            yield services, Desk(http, services, clock, None)
    finally:
        services.close()


def ten_days_of_business(desk: Desk, clock: FrozenClock) -> None:
    """Sales, refunds, disputes, a cancellation, released earnings and payouts, across hours and days."""
    box = desk.services.app
    maya, omar, lea = desk.a_creator(), desk.a_creator(), desk.a_creator()

    # Maya sells in USD; one ticket refunded in full, one in part; one disputed and lost the next day.
    jazz = desk.a_room(maya, price=2_500, currency="USD", capacity=20)
    sold = desk.sell(jazz, 6)
    clock.advance(hours=3)
    desk.refund(maya, sold[0]["id"])
    box.refund_ticket("admin", UUID(sold[1]["id"]), amount=700, reason="goodwill", key="partial-1", as_admin=True)
    clock.advance(minutes=50)
    box.open_dispute(UUID(sold[2]["id"]), "dp-lost", 2_500)
    clock.advance(days=1, hours=2)
    box.close_dispute(UUID(sold[2]["id"]), "dp-lost", False)
    desk.end(maya, jazz)

    # Omar sells in EUR over midnight; a dispute is won; the room is cancelled (every paid ticket refunded).
    talk = desk.a_room(omar, price=1_800, currency="EUR", capacity=10)
    sold = desk.sell(talk, 4)
    clock.advance(hours=7)
    desk.sell(talk, 2)
    box.open_dispute(UUID(sold[3]["id"]), "dp-won", 1_000)
    clock.advance(hours=20)
    box.close_dispute(UUID(sold[3]["id"]), "dp-won", True)
    desk.cancel(omar, talk)

    # Lea's room ends; a refund window later earnings are released and both creators are paid out.
    desk.an_ended_room(lea, tickets=5, price=3_000, currency="USD")
    clock.advance(days=desk.services.settings.refund_window_days, hours=1)
    desk.run_directly()
    clock.advance(hours=5)
    desk.sell(desk.a_room(lea, price=1_200, currency="USD", capacity=5), 2)  # a room still on sale, holds live
    desk.caught_up()


def tables(db: Database, names: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    return {name: rows(db, name) for name in names}


def at_revision_0008_with_its_read_tables(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "0008")
    assert current_revision(database_url) == "0008"
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        present = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    db = Database(database_url)
    try:
        # Arrangement check: the old read tables hold the books; what 0009-0012 backfill is gone.
        assert db.query_one("SELECT COUNT(*) AS n FROM ledger_postings")["n"] > 0
        assert db.query_one("SELECT COUNT(*) AS n FROM revenue_facts")["n"] > 0
        assert present.isdisjoint({*LEDGER_KEPT, "room_tiers_view", "room_policies_view", "ticket_transfers_view",
                                   "tier_inventory"}), present
    finally:
        db.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrading_a_populated_0008_database_backfills_what_a_rebuild_from_zero_gives(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    admin = request.getfixturevalue("postgres_admin_url") if engine == "postgresql" else None
    clock = FrozenClock(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    with empty_database(engine, tmp_path, admin) as url:
        # Arrange: the business, then the database as revision 0008 had it.
        upgrade(url)
        with running(url, clock) as (services, desk):
            ten_days_of_business(desk, clock)
            kept_live = tables(services.db, GUARDS_BACKFILLED)
        at_revision_0008_with_its_read_tables(url)

        # Act: upgrade to head (the backfills), then rebuild the projections from zero.
        upgrade(url)
        with running(url, clock) as (services, _):
            backfilled = tables(services.db, LEDGER_KEPT + CATALOG_BACKFILLED + GUARDS_BACKFILLED)
            services.projector.rebuild("ledger", "catalog")
            rebuilt = tables(services.db, LEDGER_KEPT + CATALOG_BACKFILLED)

    # Assert: every backfilled table is what the rebuild (or, for guards, the live application) says.
    assert all(backfilled[name] for name in LEDGER_KEPT + ("room_tiers_view",) + GUARDS_BACKFILLED), backfilled
    for name in LEDGER_KEPT + CATALOG_BACKFILLED:
        assert backfilled[name] == rebuilt[name], name
    for name in GUARDS_BACKFILLED:
        assert backfilled[name] == kept_live[name], name
