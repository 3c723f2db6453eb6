"""A creator's earnings, from the creator's own rows: their two accounts' kept balances, their
rooms' daily revenue rollups and their own payout entries (a partial index holds only those)."""

from __future__ import annotations

from typing import Any

from store.db import Database
from projections.ledger import CASH, IN_TRANSIT, PAYOUT_KINDS_SQL, available, pending
from projections.queries.balances import account_balances


def creator_earnings(db: Database, creator_id: str) -> list[dict[str, Any]]:
    """Per currency: pending, available, paid out, in transit, lifetime (creator share net of reversals)."""
    by_currency: dict[str, dict[str, Any]] = {}

    def slot(currency: str) -> dict[str, Any]:
        return by_currency.setdefault(currency, {"currency": currency, "pending": 0, "available": 0, "paid": 0,
                                                 "in_transit": 0, "lifetime": 0})

    for r in account_balances(db, [pending(creator_id), available(creator_id)]):
        slot(r["currency"])["pending" if r["account"].endswith(":pending") else "available"] = -r["balance"]
    for r in db.query("SELECT currency, SUM(creator_share) AS lifetime, SUM(gross) AS gross FROM revenue_days"
                      " WHERE creator_id = %s GROUP BY currency", (creator_id,)):
        if int(r["gross"] or 0) or int(r["lifetime"] or 0):  # not a currency only fees were settled in
            slot(r["currency"])["lifetime"] = int(r["lifetime"] or 0)
    # Paid out: what reached payouts_paid (in transit -> cash), less what came back in cash
    # afterwards (a transfer reversed after the payout was paid). The kind list is the partial
    # index's own, so the planner reads that index: this creator's payout entries only.
    for r in db.query(
        "SELECT e.kind, p.account, p.currency, SUM(p.amount) AS amount FROM ledger_entries e JOIN ledger_postings p"
        f" ON p.entry_id = e.entry_id WHERE e.creator_id = %s AND e.kind IN {PAYOUT_KINDS_SQL}"
        " AND p.account IN (%s, %s) GROUP BY e.kind, p.account, p.currency",
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
