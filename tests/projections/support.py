"""Helpers shared by the projection tests: arranging through the application, reading the log and the tables.

The arrange steps call the BoxOffice application directly (the commands are
what is under test here, not HTTP); the assertions read the event log and the
read tables the projector built from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from domain.money import Money

ELIGIBLE_FOLLOWERS = 1_000
MONEY_EVENTS = ("Ticket.Paid", "Ticket.RefundRequested", "Ticket.RefundSettled", "Ticket.DisputeOpened",
                "Ticket.DisputeClosed")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def a_creator(box: Any, user_id: str | None = None) -> str:
    """A registered creator with enough followers to host; returns the user id."""
    user_id = user_id or unique("creator")
    if box.find_creator(user_id) is None:
        box.register_creator(user_id, "Creator", ELIGIBLE_FOLLOWERS)
    return user_id


def a_room(box: Any, host_id: str, *, amount: int = 999, currency: str = "USD", capacity: int = 1_000) -> Any:
    """An open, scheduled room of this host; returns the Room aggregate."""
    a_creator(box, host_id)
    room, _ = box.open_room(host_id, title="Room", scheduled_start=None, price=Money(amount, currency),
                            capacity=capacity)
    return room


def a_paid_ticket(box: Any, room_id: Any, holder_id: str | None = None) -> Any:
    """A ticket bought on the sandbox gateway, paid at once; returns the Ticket aggregate."""
    purchase = box.buy_ticket(room_id, holder_id or unique("listener"))
    assert purchase.ticket.split is not None, purchase
    return purchase.ticket


def domain_events(box: Any) -> list[tuple[int, Any]]:
    """(position, event) for the whole log, in order."""
    out: list[tuple[int, Any]] = []
    position = 0
    while True:
        batch = box.recorder.select_notifications(start=position + 1, limit=5_000)
        if not batch:
            return out
        out.extend((n.id, box.mapper.to_domain_event(n)) for n in batch)
        position = batch[-1].id


def kind(event: Any) -> str:
    return type(event).__qualname__


def rows(db: Any, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table, as sorted tuples (column order by name), for comparing tables."""
    found = db.query(f"SELECT * FROM {table}")
    as_tuples = [tuple(_plain(row[k]) for k in sorted(row)) for row in found]
    return sorted(as_tuples, key=repr)


def _plain(value: Any) -> Any:
    if isinstance(value, bool):  # SQLite keeps booleans as 0/1
        return int(value)
    return value


def projection_tables(projector: Any, names: Iterable[str]) -> dict[str, list[tuple[Any, ...]]]:
    """A snapshot of every table of the named projections."""
    return {table: rows(projector.db, table)
            for name in names for table, _, _ in projector.projections[name].tables()}


def balance(db: Any, account: str, currency: str) -> int:
    row = db.query_one("SELECT COALESCE(SUM(amount), 0) AS b FROM ledger_postings WHERE account = %s AND currency = %s",
                       (account, currency))
    return int(row["b"]) if row else 0


def unbalanced_entries(db: Any) -> list[dict[str, Any]]:
    return db.query("SELECT entry_id, currency, SUM(amount) AS total FROM ledger_postings"
                    " GROUP BY entry_id, currency HAVING SUM(amount) <> 0")


def trial_balance(db: Any) -> dict[str, int]:
    return {r["currency"]: int(r["total"]) for r in
            db.query("SELECT currency, SUM(amount) AS total FROM ledger_postings GROUP BY currency")}


def projected(services: Any) -> None:
    """Read-your-writes for commands called directly: wait until every projection reached the log's head."""
    assert services.projector.wait(services.app.position(), timeout=10), "projector did not catch up"
