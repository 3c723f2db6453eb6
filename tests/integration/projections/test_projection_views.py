"""Every read model's view, on SQLite and on PostgreSQL, passes the same contract.

Each projection writes through a view interface with a PostgreSQL and a SQLite
implementation (projections/*_view.py). One story (a room sold, refunded,
disputed, its cast changed, listeners joining and leaving, a webhook endpoint's
life, a payout run and a reconciliation) is told once through the application;
its events are then applied by every projection to a fresh database of each
engine, and each case below runs on both. With CI=true an unreachable
PostgreSQL fails these tests (tests/conftest.py), never skips them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from migrations.runner import upgrade
from payouts.model import Payout, Reconciliation
from projections.projection import Projection
from store.db import Database
from tests.integration.projections.support import a_paid_ticket, a_room, domain_events, rows, unique
from tests.integration.projections.support import engine  # noqa: F401 - the fixture

SUFFIX = "__contract"
AT = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


# --- the story, told once through the application -----------------------------------------------------


@pytest.fixture
def story(services: Any) -> dict[str, Any]:
    """The events of one story, in log order, and the ids the cases look for."""
    box = services.app
    host = unique("host")
    room = a_room(box, host, amount=1_500, capacity=10)
    kept, refunded, disputed = (a_paid_ticket(box, room.id) for _ in range(3))
    box.refund_ticket(host, refunded.id, amount=None, reason="requested_by_customer", key="full")
    box.open_dispute(disputed.id, "dp_1", disputed.price_amount)
    box.close_dispute(disputed.id, "dp_1", False)
    box.set_cohost(host, room.id, "ada", True)
    box.set_speaker(host, room.id, "bob", True)
    box.set_speaker(host, room.id, "bob", False)
    box.start_room(host, room.id)
    box.record_media_events([
        {"type": "joined", "room_id": room.id, "user_id": kept.holder_id, "session_id": "s1", "at": AT,
         "role": "listener"},
        {"type": "left", "room_id": room.id, "user_id": kept.holder_id, "session_id": "s1",
         "at": AT + timedelta(minutes=30)},
        {"type": "joined", "room_id": room.id, "user_id": "ada", "session_id": "s2", "at": AT, "role": "cohost"},
    ])
    endpoint, _ = box.register_webhook_endpoint("https://example.com/hook", ["ticket.paid"], "ops", "whsec_1", host)
    box.change_webhook_endpoint(endpoint.id, description="finance", enabled=False)
    box.rotate_webhook_secret(endpoint.id, "whsec_2")
    gone, _ = box.register_webhook_endpoint("https://example.com/old", ["ticket.paid"], "old", "whsec_3", host)
    box.delete_webhook_endpoint(gone.id)
    events = domain_events(box)
    # Payouts are recorded by payout runs (payouts/runs.py); here the aggregates are driven directly.
    payout = Payout(room.host_id, "USD", 500, "2026-03", uuid.uuid4(), "acct_1", AT)
    payout.submit("tr_1", None, "sandbox", AT)
    payout.mark_paid(None, AT)
    cancelled = Payout(room.host_id, "USD", 700, "2026-03", uuid.uuid4(), "acct_1", AT)
    cancelled.cancel("account restricted", AT)
    check = Reconciliation(AT - timedelta(days=1), AT, "finance", True, {"mismatches": 0}, AT)
    later = [*payout.collect_events(), *cancelled.collect_events(), *check.collect_events()]
    head = events[-1][0]
    events += [(head + i, e) for i, e in enumerate(later, 1)]
    return {"events": events, "room": str(room.id), "host": host, "kept": str(kept.id), "refunded": str(refunded.id),
            "disputed": str(disputed.id), "endpoint": str(endpoint.id), "gone": str(gone.id),
            "payout": str(payout.id), "cancelled": str(cancelled.id), "projections": services.projector.projections}



def projected(db: Database, projections: dict[str, Projection], events: list[tuple[int, Any]],
              batch: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection's fresh `SUFFIX` tables after applying `events`, `batch` at a time (all at once: None)."""
    with db.transaction() as tx:
        for projection in projections.values():
            for table, create, _ in projection.tables(SUFFIX):
                tx.execute(f"DROP TABLE IF EXISTS {table}")
                tx.execute(create)
    size = batch or len(events)
    for start in range(0, len(events), size):
        chunk = events[start:start + size]
        with db.transaction() as tx:
            for projection in projections.values():
                mine = [(p, e) for p, e in chunk if type(e).__qualname__ in projection.handles]
                if mine:
                    projection.apply_batch(tx, mine, SUFFIX)
    return {table[: -len(SUFFIX)]: rows(db, table)
            for projection in projections.values() for table, _, _ in projection.tables(SUFFIX)}


def one(db: Database, sql: str, *params: Any) -> dict[str, Any]:
    found = db.query(sql.replace("{s}", SUFFIX), params)
    assert len(found) == 1, found
    return found[0]


# --- the contract ------------------------------------------------------------------------------------


def test_each_projection_writes_through_its_own_engines_view(engine: Database, story: dict[str, Any]) -> None:
    with engine.transaction() as tx:
        views = {name: type(p.view_for(tx, SUFFIX)).__name__ for name, p in story["projections"].items()}

    prefix = {"sqlite": "Sqlite", "postgresql": "Postgres"}[engine.dialect]
    assert all(view.startswith(prefix) for view in views.values()), views
    assert set(views) == {"catalog", "ledger", "attendance", "payouts", "webhook_endpoints", "waitlist"}


def test_the_catalog_shows_the_rooms_cast_tickets_and_paid_count(engine: Database, story: dict[str, Any]) -> None:
    projected(engine, story["projections"], story["events"])

    room = one(engine, "SELECT * FROM rooms_view{s} WHERE room_id = %s", story["room"])
    assert (room["state"], room["paid_count"], room["price_amount"]) == ("live", 1, 1_500)
    statuses = {r["ticket_id"]: r["status"] for r in engine.query(f"SELECT * FROM tickets_view{SUFFIX}")}
    assert statuses == {story["kept"]: "paid", story["refunded"]: "refunded", story["disputed"]: "revoked"}
    cast = {(r["user_id"], r["role"]) for r in engine.query(f"SELECT * FROM room_cast{SUFFIX}")}
    assert cast == {(story["host"], "host"), ("ada", "cohost")}
    tier = one(engine, "SELECT * FROM room_tiers_view{s} WHERE tier_id = %s", story["room"])
    assert (tier["capacity"], tier["price_amount"]) == (10, 1_500)


def test_the_ledger_balances_every_entry_and_keeps_the_balances(engine: Database, story: dict[str, Any]) -> None:
    projected(engine, story["projections"], story["events"])

    kinds = sorted(r["kind"] for r in engine.query(f"SELECT kind FROM ledger_entries{SUFFIX}"))
    assert kinds == ["dispute_lost", "dispute_opened", "payout_cancelled", "payout_paid", "payout_scheduled",
                     "payout_scheduled", "refund", "refund_paid", "sale", "sale", "sale"]  # the sandbox pays refunds at once
    unbalanced = engine.query(f"SELECT entry_id FROM ledger_postings{SUFFIX} GROUP BY entry_id, currency"
                              " HAVING SUM(amount) <> 0")
    assert unbalanced == []
    summed = {(r["account"], r["currency"]): int(r["total"]) for r in engine.query(
        f"SELECT account, currency, SUM(amount) AS total FROM ledger_postings{SUFFIX} GROUP BY account, currency")}
    kept = {(r["account"], r["currency"]): int(r["balance"])
            for r in engine.query(f"SELECT * FROM ledger_balances{SUFFIX}")}
    assert kept == summed
    assert sum(kept.values()) == 0
    pending = one(engine, "SELECT * FROM ledger_room_pending{s} WHERE room_id = %s", story["room"])
    assert int(pending["amount"]) == -kept[(f"creator:{story['host']}:pending", "USD")]
    revenue = one(engine, "SELECT SUM(tickets) AS tickets, SUM(gross) AS gross FROM revenue_days{s}")
    assert (int(revenue["tickets"]), int(revenue["gross"])) == (1, 4_500)


def test_attendance_keeps_one_row_per_session(engine: Database, story: dict[str, Any]) -> None:
    projected(engine, story["projections"], story["events"])

    sessions = {r["session_id"]: (r["role"], r["joined_us"] is not None, r["left_us"] is not None)
                for r in engine.query(f"SELECT * FROM attendance_sessions{SUFFIX}")}
    assert sessions == {"s1": ("listener", True, True), "s2": ("cohost", True, False)}


def test_payouts_and_reconciliation_runs_show_their_last_state(engine: Database, story: dict[str, Any]) -> None:
    projected(engine, story["projections"], story["events"])

    payouts = {r["payout_id"]: (r["status"], r["transfer_id"], r["failure"])
               for r in engine.query(f"SELECT * FROM payouts_view{SUFFIX}")}
    assert payouts == {story["payout"]: ("paid", "tr_1", None),
                       story["cancelled"]: ("cancelled", None, "account restricted")}
    run = one(engine, "SELECT * FROM reconciliation_runs{s}")
    assert (run["requested_by"], bool(run["clean"])) == ("finance", True)


def test_webhook_endpoints_keep_their_changes_and_their_deleted_rows(engine: Database, story: dict[str, Any]) -> None:
    projected(engine, story["projections"], story["events"])

    endpoint = one(engine, "SELECT * FROM webhook_endpoints{s} WHERE id = %s", story["endpoint"])
    assert (endpoint["description"], bool(endpoint["enabled"]), endpoint["disabled_reason"]) == (
        "finance", False, "disabled by an administrator")
    assert (endpoint["secret"], endpoint["previous_secret"]) == ("whsec_2", "whsec_1")
    gone = one(engine, "SELECT * FROM webhook_endpoints{s} WHERE id = %s", story["gone"])
    assert gone["deleted_position"] is not None and not gone["enabled"]


def test_every_projection_builds_the_same_rows_whatever_the_batches(engine: Database, story: dict[str, Any]) -> None:
    whole = projected(engine, story["projections"], story["events"])

    assert projected(engine, story["projections"], story["events"], batch=1) == whole
    assert projected(engine, story["projections"], story["events"], batch=4) == whole
    assert all(whole[table] for table in ("rooms_view", "ledger_postings", "attendance_sessions", "payouts_view",
                                          "webhook_endpoints"))


@pytest.mark.postgres
def test_sqlite_and_postgresql_views_build_identical_rows(story: dict[str, Any], postgres_url: str,
                                                          tmp_path: Path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'side.db'}"
    upgrade(sqlite_url)
    sqlite, postgres = Database(sqlite_url), Database(postgres_url)
    try:
        on_sqlite = projected(sqlite, story["projections"], story["events"])
        on_postgres = projected(postgres, story["projections"], story["events"])
    finally:
        sqlite.close()
        postgres.close()

    assert on_postgres == on_sqlite
