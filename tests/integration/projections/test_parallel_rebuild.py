"""Rebuilding several projections at once, each replaying the log in its own process (PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.projections.support import (
    MONEY_EVENTS,
    a_room,
    domain_events,
    kept_books_mismatches,
    kind,
    projection_tables,
    unique,
)

pytestmark = pytest.mark.postgres


def test_projections_replayed_in_their_own_processes_equal_the_incremental_ones(make_services, postgres_url) -> None:  # noqa: ANN001
    services = make_services(postgres_url)
    box, projector = services.app, services.projector
    room = a_room(box, unique("host"), capacity=500)
    tickets = [box.buy_ticket(room.id, unique("listener")).ticket for _ in range(40)]
    box.refund_ticket(room.host_id, tickets[0].id, amount=None, reason="requested_by_customer", key="full")
    projector.catch_up()
    incremental = projection_tables(projector, ["catalog", "ledger"])
    calls: list[Any] = []
    replay = projector.replayer
    assert replay is not None  # PostgreSQL gets the process replayer
    projector.replayer = lambda *args: calls.append(args) or replay(*args)
    projector.parallel_min_events = 0
    for _ in range(5):  # and some sales the rebuild's swap must pick up, applied once
        box.buy_ticket(room.id, unique("late"))

    position = projector.rebuild("catalog", "ledger")

    assert [c[0] for c in calls] == [("catalog", "ledger")]
    assert position == box.uow.position()
    assert projector.positions()["catalog"] == projector.positions()["ledger"] == box.uow.position()
    money = [e for _, e in domain_events(box) if kind(e) in MONEY_EVENTS]
    assert services.db.query_one("SELECT count(*) AS n FROM ledger_entries")["n"] == len(money)
    projector.catch_up()
    rebuilt = projection_tables(projector, ["catalog", "ledger"])
    projector.replayer = None
    projector.rebuild("catalog", "ledger")
    assert projection_tables(projector, ["catalog", "ledger"]) == rebuilt
    assert len(rebuilt["ledger_entries"]) > len(incremental["ledger_entries"])  # the late sales too
    assert kept_books_mismatches(services.db) == []  # kept balances and rollups, replayed in processes


def index_definitions(db: Any) -> dict[str, str]:
    return {r["indexname"]: r["indexdef"] for r in db.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")}


@pytest.mark.parametrize("in_processes", [False, True])
def test_a_rebuild_keeps_every_index_of_the_tables_it_replaces(make_services, postgres_url, in_processes) -> None:  # noqa: ANN001
    services = make_services(postgres_url)
    box, projector, db = services.app, services.projector, services.db
    room = a_room(box, unique("host"), capacity=50)
    for _ in range(3):
        box.buy_ticket(room.id, unique("listener"))
    projector.catch_up()
    before = index_definitions(db)
    if in_processes:
        projector.parallel_min_events = 0
    else:
        projector.replayer = None

    projector.rebuild(*projector.projections)

    assert index_definitions(db) == before
    assert any(name.endswith("_by_account") for name in before)  # secondary indexes, not just primary keys
