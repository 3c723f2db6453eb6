"""The benchmarks' fast seeding writes the log the domain would have written (bench/seed.py).

The seeder makes stored events from templates and COPYs them into the event
store. The oracle is the domain itself: the same rooms and tickets (same ids,
times, holders, and each sale split by the creator's lifetime so far, across
the commission threshold) made through `Room.open`, `Ticket.reserve` and
`Ticket.pay` and saved by the application. Both logs, read back through the
application's mapper, hold the same events (but for `timestamp`, the moment an
event object was made), and the ledger projected from the seeded log balances.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.seed import EventLog
from domain.money import Money
from domain.policies import CommissionPolicy
from domain.rooms.model import Room
from domain.sales.model import Ticket
from migrations.runner import upgrade

pytestmark = pytest.mark.postgres

OPENED = datetime(2025, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
STEP = timedelta(minutes=7, microseconds=123)
# Lifetimes around the commission threshold, so a room's sales cross it.
LIFETIMES = {"creator-a": 0, "creator-b": 5_000_000 - 999 - 500}  # the threshold is 50,000.00


def through_the_domain(app: Any, ids: list[uuid.UUID], host: str, tickets: int, lifetime: int, holders: str) -> int:
    """The reference: the same room and sales through the aggregates, saved by the application."""
    policy, new_id = CommissionPolicy(), iter(ids).__next__
    room = Room.open(id=new_id(), host_id=host, title="bench", scheduled_start=OPENED, price_amount=999,
                     price_currency="USD", capacity=tickets, sales_end=None, opened_at=OPENED, default_tier=True)
    made: list[Any] = [room]
    for i in range(tickets):
        at = OPENED + i * STEP
        t = Ticket.reserve(id=new_id(), room_id=room.id, host_id=host, holder_id=f"{holders}-{i}", price_amount=999,
                           price_currency="USD", reserved_at=at, hold_expires_at=at, idempotency_key=None,
                           tier_id=room.id, list_amount=999, discount_amount=0, code=None)
        t.pay(split=policy.split(room.price, lifetime), fee=Money(59, "USD"), provider="sandbox",
              payment_id=f"pi_{t.id.hex}", charge_id=f"ch_{t.id.hex}", balance_transaction_id=f"txn_{t.id.hex}",
              lifetime_before=lifetime, at=at, seat_held=True)
        lifetime += 999
        made.append(t)
    app.uow.save(*made)
    return lifetime


def logged(app: Any) -> list[tuple[Any, ...]]:
    """(originator, version, topic, the event's fields but its timestamp), in log order."""
    out = []
    for n in app.recorder.select_notifications(start=1, limit=10_000):
        event = app.mapper.to_domain_event(n)
        fields = {k: v for k, v in vars(event).items() if k != "timestamp"}
        out.append((n.originator_id, n.originator_version, n.topic, fields))
    return out


def test_the_seeded_log_holds_the_events_the_domain_makes(make_services, postgres_url, tmp_path) -> None:  # noqa: ANN001
    # Arrange: two creators' rooms of 3 tickets, with fixed ids; a second, empty database for the reference.
    seeded = make_services(postgres_url)
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(reference_url)
    reference = make_services(reference_url)
    ids = {host: [uuid.uuid4() for _ in range(4)] for host in LIFETIMES}
    log = EventLog(seeded.app)

    # Act: the same history both ways.
    rows: list[Any] = []
    after: dict[str, tuple[int, int]] = {}
    for n, (host, lifetime) in enumerate(LIFETIMES.items()):
        room, seeded_after = log.room(host, OPENED, STEP, 3, lifetime, f"l-{n}", iter(ids[host]).__next__)
        rows += room
        after[host] = (seeded_after, through_the_domain(reference.app, ids[host], host, 3, lifetime, f"l-{n}"))
    head = log.append(postgres_url, rows)
    seeded.projector.catch_up()

    # Assert: the same events, in the same order; the lifetimes agree; the books balance.
    assert head == 2 * 7
    assert logged(seeded.app) == logged(reference.app)
    assert all(a == b for a, b in after.values()), after
    shares = {r["creator_share"] for r in seeded.db.query("SELECT creator_share FROM revenue_facts")}
    assert len(shares) == 3, "97%, the sale across the threshold, and 80%"
    assert seeded.db.query("SELECT SUM(amount) AS total FROM ledger_postings")[0]["total"] == 0
