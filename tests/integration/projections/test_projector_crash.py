"""The projector, killed with SIGKILL mid-batch and restarted, still posts every money event exactly once.

ARCHITECTURE.md: each projection records its position in the same transaction
as its rows, so a crash anywhere rolls the whole batch back, and it can be
rebuilt from zero with an identical result. Here the projector runs as a real
worker process (`python -m api.cli project run`) on PostgreSQL over a backlog
of 15,000+ events, is SIGKILLed at random moments while a batch is open, and
restarted until it reaches the head of the log.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.projections.support import (
    MONEY_EVENTS,
    SALES,
    a_room,
    kept_books_mismatches,
    domain_events,
    kind,
    projection_tables,
    trial_balance,
    unbalanced_entries,
    unique,
)

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
BACKLOG_EVENTS = 15_000
KILLS = 5
BUYERS = 64  # concurrent purchases: the group committer packs them into few transactions


# --- the backlog -----------------------------------------------------------------------------------


def build_backlog(box: Any, at_least: int) -> None:
    """Sales in 8 rooms of 4 creators (USD and EUR), with full and partial refunds and disputes."""
    rooms = [a_room(box, f"creator-{c}", amount=1_000 + 100 * c, currency=currency, capacity=100_000).id
             for c in range(4) for currency in ("USD", "EUR")]
    refunds = 0
    with ThreadPoolExecutor(BUYERS) as pool:
        while box.uow.position() < at_least:
            tickets = list(pool.map(lambda i: box.buy_ticket(rooms[i % len(rooms)], unique("listener")).ticket,
                                    range(1_000)))
            # Every 20th ticket refunded in full by its host, every 25th partly by an admin.
            full = [t for t in tickets[::20]]
            part = [t for t in tickets[7::25]]
            list(pool.map(lambda t: box.refund_ticket(t.host_id, t.id, amount=None, reason="requested_by_customer",
                                                      key="full"), full))
            list(pool.map(lambda t: box.refund_ticket("admin", t.id, amount=250, reason="goodwill", key="goodwill",
                                                      as_admin=True), part))
            refunds += len(full) + len(part)
            # A few disputes: one won, one lost per round.
            for n, (ticket, won) in enumerate(((tickets[3], True), (tickets[11], False))):
                dispute = f"dp_{ticket.id.hex[:12]}_{n}"
                box.open_dispute(ticket.id, dispute, ticket.price_amount)
                box.close_dispute(ticket.id, dispute, won)
    assert refunds > 0


# --- watching the worker from outside --------------------------------------------------------------------


def positions(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT name, position FROM projection_positions").fetchall())


def caught_up_to(url: str, names: list[str]) -> int:
    found = positions(url)
    return min((found.get(n, 0) for n in names), default=0)


def open_write_transactions(url: str, within: float = 2.0) -> int:
    """Other sessions in this database holding a transaction that has written (a batch in flight),
    looked for on one connection for up to `within` seconds: a fast projector's batches are open
    for milliseconds, and a single look too often fell between two of them."""
    deadline = time.monotonic() + within
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            (count,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL").fetchone()
            if count or time.monotonic() > deadline:
                return int(count)
            time.sleep(0.001)


def start_worker(url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": url, "BOXOFFICE_LOG_LEVEL": "WARNING"}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "api.cli", "project", "run"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def wait_for(condition: Any, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"projector exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        assert time.monotonic() < deadline, f"projector made no progress in {timeout} s:\n{log.read_text()[-3000:]}"
        time.sleep(0.01)


# --- the test ----------------------------------------------------------------------------------------------------


def test_a_projector_killed_mid_batch_and_restarted_posts_every_money_event_exactly_once(
    make_services, postgres_url, tmp_path  # noqa: ANN001
) -> None:
    # Arrange: a backlog of 15,000+ events nobody has projected yet.
    services = make_services(postgres_url)
    box, projector = services.app, services.projector
    started = time.monotonic()
    build_backlog(box, BACKLOG_EVENTS)
    setup_seconds = time.monotonic() - started
    head = box.uow.position()
    names = sorted(projector.projections)
    log = tmp_path / "projector.log"
    rng = random.Random(head)  # reproducible for a given backlog

    # Act: start the worker, SIGKILL it while a batch is open, restart; then let it finish.
    kills_mid_batch = 0
    for _ in range(KILLS):
        before = caught_up_to(postgres_url, names)
        if before >= head:
            break
        proc = start_worker(postgres_url, log)
        try:
            wait_for(lambda: caught_up_to(postgres_url, names) > before, proc, log)
            time.sleep(rng.uniform(0.0, 0.2))
            in_flight = open_write_transactions(postgres_url)  # kill as soon as a batch is open
        finally:
            kill(proc)
        kills_mid_batch += in_flight > 0 and caught_up_to(postgres_url, names) < head
    proc = start_worker(postgres_url, log)
    try:
        wait_for(lambda: caught_up_to(postgres_url, names) >= head, proc, log, timeout=120)
    finally:
        kill(proc)

    # Assert: exactly once, balanced, and the same as a rebuild from zero.
    assert setup_seconds < 60, f"building the backlog took {setup_seconds:.0f} s"
    assert head >= BACKLOG_EVENTS
    assert kills_mid_batch >= 1, "no kill landed while a batch was open"
    assert positions(postgres_url) == dict.fromkeys(names, head)
    db = services.db
    events = [e for _, e in domain_events(box)]
    money = Counter(kind(e) for e in events if kind(e) in MONEY_EVENTS)
    sales = db.query("SELECT ticket_id, count(*) AS n FROM ledger_entries WHERE kind = 'sale' GROUP BY ticket_id")
    paid = {str(e.originator_id) for e in events if kind(e) in SALES}
    assert {r["ticket_id"] for r in sales} == paid
    assert {r["n"] for r in sales} == {1}
    assert db.query_one("SELECT count(*) AS n FROM ledger_entries")["n"] == sum(money.values())
    assert unbalanced_entries(db) == []
    assert set(trial_balance(db).values()) == {0}
    reserved = sum(1 for e in events if kind(e) in ("Ticket.Reserved", "Ticket.Sold"))
    assert db.query_one("SELECT count(*) AS n FROM tickets_view")["n"] == reserved
    paid_now = db.query_one("SELECT count(*) AS n FROM tickets_view WHERE status = 'paid'")["n"]
    assert db.query_one("SELECT SUM(paid_count) AS n FROM rooms_view")["n"] == paid_now

    assert kept_books_mismatches(db) == []  # balances, their history and rollups: each batch once

    incremental = projection_tables(projector, ["ledger", "catalog"])
    projector.rebuild("ledger")
    projector.rebuild("catalog")
    assert projection_tables(projector, ["ledger", "catalog"]) == incremental
    assert kept_books_mismatches(db) == []
