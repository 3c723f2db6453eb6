"""One event a projection cannot apply stops nobody else, is never skipped, and /readyz names it.

The story (SQLite and PostgreSQL): the ledger breaks a database constraint on
one sale (a stand-in for a value a column cannot hold or a handler bug). The
other projections go on to the head of the log; the ledger stays right before
that sale, retried with backoff on the injected clock, and is recorded in
`projection_faults`; after `BOXOFFICE_PROJECTION_STUCK_AFTER_FAILURES` failures
`/readyz` answers 503 with a problem naming it and `/metrics` says it is stuck.
Once the fault is gone it catches up, exactly once, /readyz is 200 again, and a
rebuild from zero gives the same tables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from api.main import create_app
from projections.faults import ProjectionStuckError, read_faults
from tests.api.builders import finance
from tests.integration.projections.support import (
    SALES,
    a_room,
    domain_events,
    kept_books_mismatches,
    kind,
    projection_tables,
    trial_balance,
    unbalanced_entries,
    unique,
)

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
ROOT = Path(__file__).resolve().parents[3]


class Poisoned:
    """A projection that breaks a database constraint when a batch holds the event at `position`
    (and behaves like the real one otherwise): the fault is in the database, as a real one would be."""

    def __init__(self, real: Any, position: int, how: str = "constraint") -> None:
        self.real, self.position, self.how, self.tries = real, position, how, 0

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.real, attribute)

    def apply_batch(self, tx: Any, events: list[tuple[int, Any]], suffix: str = "") -> None:
        self.real.apply_batch(tx, events, suffix)
        if any(p == self.position for p, _ in events):
            self.tries += 1
            if self.how == "bug":
                raise ValueError(f"a handler bug at {self.position}")
            # The position row exists already: a primary-key violation, raised by the database.
            tx.execute("INSERT INTO projection_positions (name, position) VALUES (%s, 0)", (self.real.name,))


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def services(make_services: Any, url: str) -> Any:
    # Small batches: the poisoned sale sits in the middle of a batch, with batches after it.
    services = make_services(url, projection_stuck_after_failures=3)
    services.projector.batch_size = 40
    return services


@pytest.fixture
def client(make_services: Any, url: str) -> Iterator[TestClient]:
    """An API beside the projector (its own services and connections on the same database, as an API
    process beside a `boxoffice project run` worker), with no projector of its own running: the test
    applies every batch itself, so every count is exact."""
    api = make_services(url, projection_stuck_after_failures=3)
    with TestClient(create_app(api, background=False), raise_server_exceptions=False) as http:
        yield http


def project_status(url: str) -> dict[str, Any]:
    """`boxoffice project status --json`, run as a process of its own."""
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": url, "BOXOFFICE_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "api.cli", "project", "status", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return {s["name"]: s for s in json.loads(done.stdout)}


def sell(box: Any, room_id: Any, tickets: int) -> None:
    for _ in range(tickets):
        box.buy_ticket(room_id, unique("listener"))


def a_sale_in_the_middle(box: Any, after: int) -> int:
    """The position of a sale logged after `after`, with more sales after it."""
    sales = [p for p, e in domain_events(box) if p > after and kind(e) in SALES]
    return sales[len(sales) // 2]


def run_batches(projector: Any, times: int = 20) -> None:
    for _ in range(times):
        projector.run_once()


def test_a_poison_event_stops_only_its_projection_which_stays_before_it_and_catches_up_once_fixed(
        services: Any, client: TestClient, clock: Any) -> None:
    box, projector = services.app, services.projector
    names = sorted(projector.projections)
    others = [name for name in names if name != "ledger"]
    room = a_room(box, unique("host"), capacity=1_000)
    sell(box, room.id, 30)
    projector.catch_up()
    before = box.uow.position()

    # A sale the ledger cannot post, between others; then the log goes on.
    sell(box, room.id, 60)
    poison = a_sale_in_the_middle(box, before)
    real = projector.projections["ledger"]
    projector.projections["ledger"] = poisoned = Poisoned(real, poison)
    sell(box, room.id, 30)
    head = box.uow.position()

    # The projector runs: every other projection reaches the head; the ledger stops right before the sale.
    run_batches(projector)
    positions = projector.positions()
    assert {name: positions[name] for name in others} == dict.fromkeys(others, head)
    assert positions["ledger"] == poison - 1
    fault = read_faults(services.db)["ledger"]
    assert (fault.position, fault.event_position, fault.attempts) == (poison - 1, poison, 1)
    assert fault.topic.endswith(("Ticket.Paid", "Ticket.Sold")), fault.topic
    assert fault.error_class in ("IntegrityError", "UniqueViolation"), fault.error_class
    assert projector.position() == poison - 1  # failing, not yet stuck: reads still wait for it

    # Backoff on the injected clock: no retry before it is due, one each time it is.
    tries = poisoned.tries
    run_batches(projector)
    assert (read_faults(services.db)["ledger"].attempts, poisoned.tries) == (1, tries)
    clock.advance(seconds=1)
    run_batches(projector)
    clock.advance(seconds=2)
    run_batches(projector)
    fault = read_faults(services.db)["ledger"]
    assert (fault.attempts, fault.position, fault.event_position) == (3, poison - 1, poison)
    assert fault.last_failed_us > fault.first_failed_us
    assert projector.positions()["ledger"] == poison - 1

    # Stuck: /readyz answers 503 naming it; /metrics says so; reads wait only for the others.
    ready = client.get("/readyz")
    assert ready.status_code == 503, ready.text
    assert ready.headers["content-type"].startswith("application/problem+json")
    problem = ready.json()
    assert (problem["type"], problem["status"]) == ("projection_stuck", 503)
    assert "ledger" in problem["detail"] and str(poison) in problem["detail"]
    assert [(s["projection"], s["position"], s["event_position"], s["attempts"]) for s in problem["stuck"]] == [
        ("ledger", poison - 1, poison, 3)]
    assert problem["stuck"][0]["error_class"] == fault.error_class
    assert problem["checks"]["projections"]["ledger"]["failing"]["stuck"] is True
    assert problem["checks"]["projections"]["catalog"] == {"position": head, "lag": 0}
    metrics = client.get("/metrics").text
    assert 'boxoffice_projection_stuck{projection="ledger"} 1.0' in metrics
    assert 'boxoffice_projection_stuck{projection="catalog"} 0.0' in metrics
    assert 'boxoffice_projection_failed_attempts{projection="ledger"} 3.0' in metrics
    assert client.get("/healthz").status_code == 200
    status = project_status(services.settings.database_url)
    assert (status["ledger"]["failing"]["event_position"], status["ledger"]["failing"]["stuck"]) == (poison, True)
    assert "failing" not in status["catalog"]
    assert projector.position() == head
    with pytest.raises(ProjectionStuckError, match="ledger"):
        projector.catch_up()
    refused = client.post("/v1/payout-runs", json={"dry_run": True}, headers=finance().headers)
    assert (refused.status_code, refused.json()["type"]) == (503, "projection_stuck"), refused.text
    assert refused.json()["stuck"][0]["projection"] == "ledger"

    # The fault is fixed (a release): the ledger applies the sale once and catches up.
    projector.projections["ledger"] = real
    clock.advance(seconds=4)
    projector.catch_up()
    assert projector.positions() == dict.fromkeys(names, head)
    assert read_faults(services.db) == {}
    assert client.get("/readyz").status_code == 200
    assert 'boxoffice_projection_stuck{projection="ledger"} 0.0' in client.get("/metrics").text

    # Exactly once: one sale entry per paid ticket, balanced books; a rebuild from zero gives the same.
    db = services.db
    paid = {str(e.originator_id) for _, e in domain_events(box) if kind(e) in SALES}
    sales = db.query("SELECT ticket_id, count(*) AS n FROM ledger_entries WHERE kind = 'sale' GROUP BY ticket_id")
    assert {r["ticket_id"] for r in sales} == paid
    assert {r["n"] for r in sales} == {1}
    assert unbalanced_entries(db) == []
    assert set(trial_balance(db).values()) == {0}
    assert kept_books_mismatches(db) == []
    incremental = projection_tables(projector, names)
    projector.rebuild(*names)
    assert projection_tables(projector, names) == incremental


def test_a_handler_bug_on_the_first_event_it_handles_keeps_the_projection_exactly_at_its_position(
        services: Any, client: TestClient, clock: Any) -> None:
    box, projector = services.app, services.projector
    room = a_room(box, unique("host"))
    projector.catch_up()
    start = projector.positions()["ledger"]
    sell(box, room.id, 5)
    first = next(p for p, e in domain_events(box) if p > start and kind(e) in SALES)
    projector.projections["ledger"] = Poisoned(projector.projections["ledger"], first, how="bug")

    for attempt in range(1, 4):
        run_batches(projector, 3)
        clock.advance(seconds=2 ** attempt)

    fault = read_faults(services.db)["ledger"]
    assert projector.positions()["ledger"] == first - 1
    assert (fault.position, fault.event_position, fault.error_class, fault.attempts) == (
        first - 1, first, "ValueError", 3)
    shown = client.get("/readyz").json()
    assert shown["stuck"][0]["error_class"] == "ValueError"
    assert f"a handler bug at {first}" not in json.dumps(shown)  # the text may quote stored values: not public
    assert fault.for_operators()["error"] == fault.detail.rsplit(": ", 1)[1] == f"a handler bug at {first}"


def test_readyz_answers_503_when_a_projection_lags_more_than_the_configured_bound(
        make_services: Any, url: str) -> None:
    services = make_services(url, readyz_max_projection_lag=3)
    box = services.app
    a_room(box, unique("host"))
    services.projector.catch_up()
    with TestClient(create_app(services, background=False), raise_server_exceptions=False) as http:
        assert http.get("/readyz").status_code == 200

        sell(box, a_room(box, unique("host")).id, 3)  # more than 3 events nobody has projected
        lagging = http.get("/readyz")
        services.projector.catch_up()
        caught_up = http.get("/readyz")

    assert lagging.status_code == 503
    assert lagging.json()["type"] == "projection_lagging"
    assert "stuck" not in lagging.json()
    assert "events behind the log (at most 3)" in lagging.json()["detail"]
    assert caught_up.status_code == 200


def test_an_event_that_cannot_be_decoded_stops_only_the_projections_that_handle_its_kind(
        services: Any, client: TestClient) -> None:
    box, projector = services.app, services.projector
    room = a_room(box, unique("host"))
    sell(box, room.id, 3)
    paid = next(n for n in box.recorder.select_notifications(start=1, limit=1_000) if n.topic.endswith(SALES))
    # A stored sale whose state is not a document (written by hand: no command would write it).
    box.recorder.insert_events([StoredEvent(originator_id=uuid4(), originator_version=1, topic=paid.topic,
                                            state=b"\x00 not a document")])
    bad = box.uow.position()
    sell(box, room.id, 3)
    head = box.uow.position()
    sale_kind = paid.topic.rsplit(":", 1)[-1]
    handling = sorted(name for name, p in projector.projections.items() if sale_kind in p.handles)

    run_batches(projector)

    positions, faults = projector.positions(), read_faults(services.db)
    assert "ledger" in handling and "catalog" in handling
    assert {name: positions[name] for name in handling} == dict.fromkeys(handling, bad - 1)
    assert {name: positions[name] for name in positions if name not in handling} == {
        name: head for name in positions if name not in handling}
    assert sorted(faults) == handling
    assert {(f.position, f.event_position, f.topic) for f in faults.values()} == {(bad - 1, bad, paid.topic)}
