"""Queries on the ledger's read tables. They return plain data, never aggregates."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from store.db import Database
from store.timecodes import from_us as us_to_datetime
from projections.ledger import CASH, IN_TRANSIT, available, pending


def balances(db: Database, as_of_us: int | None = None, currency: str | None = None,
             prefix: str | None = None) -> list[dict[str, Any]]:
    where, params = [], []
    if as_of_us is not None:
        where.append("occurred_us <= %s")
        params.append(as_of_us)
    if currency:
        where.append("currency = %s")
        params.append(currency)
    if prefix:  # exact prefix: LIKE would treat _ and % in account names as wildcards
        where.append("substr(account, 1, %s) = %s")
        params += [len(prefix), prefix]
    rows = db.query(
        "SELECT account, currency, SUM(amount) AS balance,"
        " SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS debits,"
        " SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS credits, COUNT(*) AS postings"
        " FROM ledger_postings" + (" WHERE " + " AND ".join(where) if where else "")
        + " GROUP BY account, currency ORDER BY account, currency",
        params,
    )
    return [{k: (int(v) if k in ("balance", "debits", "credits", "postings") else v) for k, v in r.items()} for r in rows]


def trial_balance(rows: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["currency"]] += r["balance"]
    return dict(totals)


def entries(db: Database, *, account: str | None, from_us: int | None, to_us: int | None,
            after: tuple[int, str] | None, limit: int, entry_ids: list[str] | None = None) -> list[dict[str, Any]]:
    where, params = [], []
    if entry_ids:
        where.append("e.entry_id IN (" + ", ".join(["%s"] * len(entry_ids)) + ")")
        params.extend(entry_ids)
    if account:
        where.append("e.entry_id IN (SELECT entry_id FROM ledger_postings WHERE account = %s)")
        params.append(account)
    if from_us is not None:
        where.append("e.occurred_us >= %s")
        params.append(from_us)
    if to_us is not None:
        where.append("e.occurred_us < %s")
        params.append(to_us)
    if after is not None:  # several entries can share a log position: page on (position, entry_id)
        where.append("(e.position > %s OR (e.position = %s AND e.entry_id > %s))")
        params += [after[0], after[0], after[1]]
    rows = db.query(
        "SELECT e.* FROM ledger_entries e" + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY e.position, e.entry_id LIMIT %s",
        (*params, limit),
    )
    if not rows:
        return []
    ids = [r["entry_id"] for r in rows]
    marks = ", ".join(["%s"] * len(ids))
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in db.query(f"SELECT entry_id, line, account, amount FROM ledger_postings WHERE entry_id IN ({marks})"
                      " ORDER BY entry_id, line", ids):
        lines[p["entry_id"]].append({"account": p["account"], "amount": int(p["amount"])})
    return [
        {
            "entry_id": r["entry_id"], "kind": r["kind"], "position": int(r["position"]),
            "occurred_at": us_to_datetime(r["occurred_us"]), "currency": r["currency"], "room_id": r["room_id"],
            "creator_id": r["creator_id"], "ticket_id": r["ticket_id"], "reference": r["reference"],
            "memo": r["memo"], "postings": lines[r["entry_id"]],
        }
        for r in rows
    ]


DAY_US = 86_400_000_000
REPORT_COLUMNS = ("tickets", "gross", "refunds", "fees", "commission", "creator_share")


def revenue(db: Database, *, by: str, from_us: int | None, to_us: int | None,
            creator_id: str | None = None) -> list[dict[str, Any]]:
    """Revenue per room, creator or UTC day, and currency, over [from, to).

    gross: paid sales; refunds: returned to buyers (refunds, lost disputes);
    fees: processor fees (the platform's); commission and creator_share: net of
    reversals; net = gross - refunds = commission + creator_share.
    """
    key = {"room": "room_id", "creator": "creator_id", "day": "day, currency"}[by]
    where, params = [], []
    if from_us is not None:
        where.append("occurred_us >= %s")
        params.append(from_us)
    if to_us is not None:
        where.append("occurred_us < %s")
        params.append(to_us)
    if creator_id is not None:
        where.append("creator_id = %s")
        params.append(creator_id)
    group = {"room": "room_id, creator_id, currency", "creator": "creator_id, currency", "day": "day, currency"}[by]
    sums = ", ".join(f"SUM({c}) AS {c}" for c in REPORT_COLUMNS)
    day = f"(occurred_us / {DAY_US}) AS day, " if by == "day" else ""  # integer division on both databases
    rows = db.query(
        f"SELECT {day}{group if by != 'day' else 'currency'}, {sums} FROM revenue_facts"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" GROUP BY {group} ORDER BY {key}" + (", currency" if by != "day" else ""),
        params,
    )
    out = []
    for r in rows:
        row = {k: r[k] for k in group.split(", ")}
        if by == "day":
            row["day"] = (us_to_datetime(int(r["day"]) * DAY_US)).date().isoformat()  # type: ignore[union-attr]
        row.update({c: int(r[c] or 0) for c in REPORT_COLUMNS})
        row["net"] = row["gross"] - row["refunds"]
        out.append(row)
    return out


def creator_earnings(db: Database, creator_id: str) -> list[dict[str, Any]]:
    """Per currency: pending, available, paid out, lifetime (creator share net of reversals)."""
    by_currency: dict[str, dict[str, Any]] = {}

    def slot(currency: str) -> dict[str, Any]:
        return by_currency.setdefault(currency, {"currency": currency, "pending": 0, "available": 0, "paid": 0,
                                                 "in_transit": 0, "lifetime": 0})

    for r in db.query("SELECT account, currency, SUM(amount) AS balance FROM ledger_postings WHERE account IN (%s, %s)"
                      " GROUP BY account, currency", (pending(creator_id), available(creator_id))):
        slot(r["currency"])["pending" if r["account"].endswith(":pending") else "available"] = -int(r["balance"])
    # A fee settled in another currency is a fact of its own; it earns the creator nothing.
    for r in db.query("SELECT currency, SUM(creator_share) AS lifetime FROM revenue_facts WHERE creator_id = %s"
                      " AND kind <> 'sale_fee' GROUP BY currency", (creator_id,)):
        slot(r["currency"])["lifetime"] = int(r["lifetime"] or 0)
    # Paid out: what reached payouts_paid (in transit -> cash), less what came back in cash
    # afterwards (a transfer reversed after the payout was paid).
    for r in db.query(
        "SELECT e.kind, p.account, p.currency, SUM(p.amount) AS amount FROM ledger_postings p JOIN ledger_entries e"
        " ON e.entry_id = p.entry_id WHERE e.creator_id = %s AND p.account IN (%s, %s)"
        " AND e.kind IN ('payout_scheduled', 'payout_paid', 'payout_failed', 'payout_reversed', 'payout_cancelled')"
        " GROUP BY e.kind, p.account, p.currency",
        (creator_id, IN_TRANSIT, CASH),
    ):
        entry = slot(r["currency"])
        amount = int(r["amount"])
        if r["account"] == IN_TRANSIT:
            entry["in_transit"] -= amount
            if r["kind"] == "payout_paid":
                entry["paid"] += amount
        elif r["kind"] in ("payout_failed", "payout_reversed"):
            entry["paid"] -= amount
    return sorted(by_currency.values(), key=lambda x: x["currency"])
