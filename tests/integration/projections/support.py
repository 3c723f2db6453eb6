"""Helpers shared by the projection tests: arranging through the application, reading the log and the tables.

The arrange steps call the BoxOffice application directly (the commands are
what is under test here, not HTTP); the assertions read the event log and the
read tables the projector built from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.money import Money
from migrations.runner import upgrade
from projections.ledger import PAYOUT_KINDS_SQL
from projections.queries.earnings import creator_earnings
from store.db import Database

ELIGIBLE_FOLLOWERS = 1_000
SALES = ("Ticket.Paid", "Ticket.Sold")  # a sale: paid after its reservation, or sold at once (domain/sales/sold.py)
MONEY_EVENTS = ("Ticket.Paid", "Ticket.Sold", "Ticket.RefundRequested", "Ticket.RefundSettled", "Ticket.DisputeOpened",
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
    assert services.projector.wait(services.app.uow.position(), timeout=10), "projector did not catch up"


# --- the kept books, recomputed from the postings (the tests' oracle) ------------------------------------

HOUR_US, DAY_US = 3_600_000_000, 86_400_000_000


def postings_of(db: Any) -> list[dict[str, Any]]:
    return [{**r, "amount": int(r["amount"]), "occurred_us": int(r["occurred_us"]), "position": int(r["position"])}
            for r in db.query("SELECT p.account, p.currency, p.amount, p.occurred_us, p.position, e.kind"
                              " FROM ledger_postings p JOIN ledger_entries e ON e.entry_id = p.entry_id")]


def balances_at(postings: list[dict[str, Any]], at_us: int | None = None) -> dict[tuple[str, str], tuple[int, ...]]:
    """(account, currency) -> (balance, debits, credits, postings) over the postings dated at or before `at_us`."""
    found: dict[tuple[str, str], list[int]] = {}
    for p in postings:
        if at_us is not None and p["occurred_us"] > at_us:
            continue
        row = found.setdefault((p["account"], p["currency"]), [0, 0, 0, 0])
        row[0] += p["amount"]
        row[1] += max(p["amount"], 0)
        row[2] += max(-p["amount"], 0)
        row[3] += 1
    return {k: tuple(v) for k, v in found.items()}


def expected_movement(kind: str, account: str, amount: int) -> str:
    if kind in ("sale", "sale_settlement"):  # a sale settled in another currency: its cash comes via FX
        fee_line = account == "platform:processor_fees" or (account == "platform:cash" and amount < 0)
        return "fees" if fee_line else "sales" if kind == "sale" else "fx"
    table = {"refund": "refunds", "refund_paid": "refunds", "dispute_opened": "disputes", "dispute_won": "disputes",
             "dispute_lost": "disputes", "earnings_released": "releases", "payout_scheduled": "payouts",
             "payout_paid": "payouts", "payout_cancelled": "payouts", "payout_failed": "reversals",
             "payout_reversed": "reversals"}
    return table.get(kind, "fx" if "fx" in kind else "other")


def kept_books_mismatches(db: Any) -> list[str]:
    """What the kept balances, their hourly history, the movement days, the revenue days and rooms and
    each creator's earnings say differently from a recomputation over every posting and fact; empty when
    they agree."""
    postings = postings_of(db)
    wrong: list[str] = []
    kept = {(r["account"], r["currency"]): (int(r["balance"]), int(r["debits"]), int(r["credits"]), int(r["postings"]))
            for r in db.query("SELECT * FROM ledger_balances")}
    if kept != balances_at(postings):
        wrong.append(f"ledger_balances: {sorted(set(kept.items()) ^ set(balances_at(postings).items()))[:6]}")
    last = {}
    for p in postings:
        key = (p["account"], p["currency"])
        last[key] = max(last.get(key, 0), p["position"])
    kept_last = {(r["account"], r["currency"]): int(r["position"]) for r in db.query("SELECT * FROM ledger_balances")}
    if kept_last != last:
        wrong.append("ledger_balances.position is not each account's last posting")
    hours: dict[tuple[str, str, int], tuple[int, ...]] = {}
    by_account: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in postings:
        by_account.setdefault((p["account"], p["currency"]), []).append(p)
    for account, currency, hour in sorted({(p["account"], p["currency"], p["occurred_us"] // HOUR_US) for p in postings}):
        key = (account, currency)
        mine = by_account[key]
        hours[(*key, hour)] = balances_at(mine, (hour + 1) * HOUR_US - 1)[key]
    kept_hours = {(r["account"], r["currency"], int(r["hour"])): (int(r["balance"]), int(r["debits"]),
                                                                   int(r["credits"]), int(r["postings"]))
                  for r in db.query("SELECT * FROM ledger_balance_hours")}
    if kept_hours != hours:
        wrong.append(f"ledger_balance_hours: {sorted(set(kept_hours.items()) ^ set(hours.items()))[:6]}")
    moves: dict[tuple[str, str, int, str], list[int]] = {}
    for p in postings:
        key = (p["account"], p["currency"], p["occurred_us"] // DAY_US, expected_movement(p["kind"], p["account"],
                                                                                        p["amount"]))
        row = moves.setdefault(key, [0, 0])
        row[0] += p["amount"]
        row[1] += 1
    kept_moves = {(r["account"], r["currency"], int(r["day"]), r["movement"]): [int(r["amount"]), int(r["postings"])]
                  for r in db.query("SELECT * FROM ledger_movement_days")}
    if kept_moves != moves:
        wrong.append("ledger_movement_days differ from the postings")
    columns = ("tickets", "gross", "refunds", "fees", "commission", "creator_share")
    facts: dict[tuple[str, str, int], list[Any]] = {}
    for f in db.query("SELECT * FROM revenue_facts"):
        row = facts.setdefault((f["room_id"], f["currency"], int(f["occurred_us"]) // DAY_US),
                               [f["creator_id"], *([0] * len(columns))])
        for i, c in enumerate(columns, 1):
            row[i] += int(f[c])
    kept_days = {(r["room_id"], r["currency"], int(r["day"])): [r["creator_id"], *(int(r[c]) for c in columns)]
                 for r in db.query("SELECT * FROM revenue_days")}
    if kept_days != facts:
        wrong.append("revenue_days differ from the revenue facts")
    rooms: dict[tuple[str, str], list[Any]] = {}
    for (room_id, currency, _), (creator_id, *amounts) in facts.items():
        row = rooms.setdefault((room_id, currency), [creator_id, *([0] * len(columns))])
        row[1:] = [a + b for a, b in zip(row[1:], amounts, strict=True)]
    kept_rooms = {(r["room_id"], r["currency"]): [r["creator_id"], *(int(r[c]) for c in columns)]
                  for r in db.query("SELECT * FROM revenue_rooms")}
    if kept_rooms != rooms:
        wrong.append("revenue_rooms differ from the revenue facts")
    creators = {c["creator_id"] for c in db.query("SELECT DISTINCT creator_id FROM ledger_entries"
                                                  " WHERE creator_id IS NOT NULL")}
    for creator in sorted(creators):
        kept, recomputed = creator_earnings(db, creator), earnings_from_history(db, creator)
        if kept != recomputed:
            wrong.append(f"earnings of {creator}: kept {kept}, from the history {recomputed}")
    return wrong


def earnings_from_history(db: Any, creator_id: str) -> list[dict[str, Any]]:
    """A creator's earnings per currency recomputed from their postings, revenue facts and payout entries."""
    by_currency: dict[str, dict[str, Any]] = {}

    def slot(currency: str) -> dict[str, Any]:
        return by_currency.setdefault(currency, {"currency": currency, "pending": 0, "available": 0, "paid": 0,
                                                 "in_transit": 0, "lifetime": 0})

    for p in db.query("SELECT account, currency, SUM(amount) AS b FROM ledger_postings WHERE account IN (%s, %s)"
                      " GROUP BY account, currency", (f"creator:{creator_id}:pending", f"creator:{creator_id}:available")):
        slot(p["currency"])["pending" if p["account"].endswith(":pending") else "available"] = -int(p["b"])
    for f in db.query("SELECT currency, SUM(creator_share) AS share, SUM(gross) AS gross FROM revenue_facts"
                      " WHERE creator_id = %s GROUP BY currency", (creator_id,)):
        if int(f["gross"]) or int(f["share"]):  # not a currency only fees were settled in
            slot(f["currency"])["lifetime"] = int(f["share"])
    for p in db.query("SELECT e.kind, p.account, p.currency, p.amount FROM ledger_entries e JOIN ledger_postings p"
                      " ON p.entry_id = e.entry_id WHERE e.creator_id = %s AND e.kind IN "
                      f"{PAYOUT_KINDS_SQL}"
                      " AND p.account IN ('platform:payouts_in_transit', 'platform:cash')", (creator_id,)):
        entry, amount = slot(p["currency"]), int(p["amount"])
        if p["account"] == "platform:payouts_in_transit":
            entry["in_transit"] -= amount
            entry["paid"] += amount if p["kind"] == "payout_paid" else 0
        elif p["kind"] in ("payout_failed", "payout_reversed"):
            entry["paid"] -= amount
    return sorted(by_currency.values(), key=lambda x: x["currency"])


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database of the engine under test (import it into a test module to use it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'engine.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("postgres_url")
    db = Database(url)
    yield db
    db.close()
