"""Fast seeding for the benchmarks: rooms of paid tickets written straight into the event store with COPY.

Appending through the application (domain aggregates, the library's mapper,
`INSERT ... unnest`) ran at 1,800-3,000 events/s on a loaded machine: 10M
events would take an hour. Here the stored events are made from templates and
written with binary COPY into the event store's table (PostgreSQL), in the
format the library reads: the same topics, the same JSON state.

The templates are exact by construction: one room with one ticket, reserved
and paid, is made through the real domain and the application's own mapper;
its stored states are parsed into dicts, and each seeded event is that dict
with its varying fields (ids, names, times, the split for the creator's
lifetime so far) set to the values the domain would have given them, then
encoded again. tests/integration/test_bench_seed.py decodes a seeded log and
compares it, event by event, with the same history made through the domain.

Used by bench/projection_catchup.py and bench/finance_reads.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg

from domain.money import Money
from domain.policies import CommissionPolicy
from domain.rooms.model import Room
from domain.sales.model import Ticket

PRICE, CURRENCY, FEE = 999, "USD", 59
EVENTS_TABLE = "boxoffice_events"


def _when(at: datetime) -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": at.isoformat()}


def _uuid(value: uuid.UUID) -> dict[str, str]:
    return {"_type_": "uuid_hex", "_data_": value.hex}


class EventLog:
    """Rooms of `PRICE` USD tickets, each reserved and paid, as stored events; `append` COPYs them in."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.policy = CommissionPolicy()
        room, ticket = self._example(datetime(2025, 1, 1, tzinfo=UTC))
        stored = [app.mapper.to_stored_event(e) for e in (*room.collect_events(), *ticket.collect_events())]
        (opened, reserved, paid) = stored
        self.topics = (opened.topic, reserved.topic, paid.topic)
        self.templates = tuple(orjson.loads(s.state) for s in stored)

    def _example(self, at: datetime) -> tuple[Room, Ticket]:
        """One room and one ticket through the domain: what the templates are made of."""
        room = Room.open(id=uuid.uuid4(), host_id="h", title="bench", scheduled_start=at, price_amount=PRICE,
                         price_currency=CURRENCY, capacity=1, sales_end=None, opened_at=at, default_tier=True)
        ticket = Ticket.reserve(id=uuid.uuid4(), room_id=room.id, host_id="h", holder_id="l", price_amount=PRICE,
                                price_currency=CURRENCY, reserved_at=at, hold_expires_at=at, idempotency_key=None,
                                tier_id=room.id, list_amount=PRICE, discount_amount=0, code=None)
        ticket.pay(split=self.policy.split(room.price, 0), fee=Money(FEE, CURRENCY), provider="sandbox",
                   payment_id="p", charge_id="c", balance_transaction_id="t", lifetime_before=0, at=at, seat_held=True)
        return room, ticket

    def room(self, host: str, opened: datetime, step: timedelta, tickets: int, lifetime_before: int,
             holder_prefix: str, new_id: Callable[[], uuid.UUID] = uuid.uuid4,
             ) -> tuple[list[tuple[uuid.UUID, int, str, bytes]], int]:
        """A room opened at `opened` by `host` and `tickets` tickets sold `step` apart, each reserved and
        paid at once (holders `<holder_prefix>-<i>`), the host's lifetime revenue starting at
        `lifetime_before`: (stored rows in log order, the host's lifetime after)."""
        opened_t, reserved_t, paid_t = self.templates
        topic_opened, topic_reserved, topic_paid = self.topics
        room_id = new_id()
        at = _when(opened)
        rows = [(room_id, 1, topic_opened, orjson.dumps({
            **opened_t, "timestamp": at, "host_id": host, "scheduled_start": at, "opened_at": at,
            "capacity": tickets}))]
        room_ref = _uuid(room_id)
        price = Money(PRICE, CURRENCY)
        lifetime = lifetime_before
        for i in range(tickets):
            ticket_id = new_id()
            when = _when(opened + i * step)
            holder = f"{holder_prefix}-{i}"
            rows.append((ticket_id, 1, topic_reserved, orjson.dumps({
                **reserved_t, "timestamp": when, "room_id": room_ref, "host_id": host, "holder_id": holder,
                "reserved_at": when, "hold_expires_at": when, "tier_id": room_ref})))
            split = self.policy.split(price, lifetime)
            hex_id = ticket_id.hex
            rows.append((ticket_id, 2, topic_paid, orjson.dumps({
                **paid_t, "timestamp": when, "room_id": room_ref, "creator_id": host, "holder_id": holder,
                "payment_id": f"pi_{hex_id}", "charge_id": f"ch_{hex_id}", "balance_transaction_id": f"txn_{hex_id}",
                "gross": split.gross, "creator_share": split.creator_share, "commission": split.commission,
                "fee": FEE, "fee_currency": CURRENCY, "net": split.gross - FEE, "currency": split.currency,
                "policy_version": split.policy_version, "lifetime_before": lifetime, "paid_at": when})))
            lifetime += PRICE
        return rows, lifetime

    def append(self, url: str, rows: Iterable[tuple[uuid.UUID, int, str, bytes]]) -> int:
        """COPY the rows into the event store, in order (their notification ids follow it); the log's head.

        The table's two indexes (the key and the notification ids) are dropped first and built
        again after, in one sort each, as a bulk load does: maintained row by row, the random
        ids' key cost the server most of the time. Nothing else may write the log meanwhile.
        """
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '256MB'")
            cur.execute(f"ALTER TABLE {EVENTS_TABLE} DROP CONSTRAINT {EVENTS_TABLE}_pkey")
            cur.execute(f"DROP INDEX {EVENTS_TABLE}_notification_id_idx")
            with cur.copy(f"COPY {EVENTS_TABLE} (originator_id, originator_version, topic, state)"
                          " FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["uuid", "int8", "text", "bytea"])
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"ALTER TABLE {EVENTS_TABLE} ADD CONSTRAINT {EVENTS_TABLE}_pkey"
                        " PRIMARY KEY (originator_id, originator_version)")
            cur.execute(f"CREATE UNIQUE INDEX {EVENTS_TABLE}_notification_id_idx ON {EVENTS_TABLE}"
                        " (notification_id ASC)")
            cur.execute(f"ANALYZE {EVENTS_TABLE}")
            head = cur.execute(f"SELECT MAX(notification_id) FROM {EVENTS_TABLE}").fetchone()
        return int(head[0] or 0) if head else 0
