"""A creator's earnings, from the creator's own rows: their two accounts' kept balances, their
rooms' daily revenue rollups and their own payout entries (a partial index holds only those)."""

from __future__ import annotations

from typing import Any

from store.db import Database
from projections.ledger import CASH, IN_TRANSIT, PAYOUT_KINDS_SQL, available, pending
from projections.queries.balances import account_balances

CHUNK = 1_000  # payout entries per postings read


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
    # afterwards (a transfer reversed after the payout was paid). Two steps, each by its own index:
    # the creator's payout entries (the partial index holds only those: the kind list is its own),
    # then their postings by key. As one join the planner weighed every posting of platform:cash
    # (it grows with the ledger): at 3M events its estimate passed PostgreSQL's JIT threshold and
    # compiling the plan took 300 ms for a creator with no payouts at all.
    kinds = {r["entry_id"]: r["kind"] for r in db.query(
        f"SELECT entry_id, kind FROM ledger_entries WHERE creator_id = %s AND kind IN {PAYOUT_KINDS_SQL}",
        (creator_id,))}
    ids = list(kinds)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for r in db.query(f"SELECT entry_id, account, currency, amount FROM ledger_postings WHERE entry_id IN"
                          f" ({', '.join(['%s'] * len(chunk))}) AND account IN (%s, %s)", (*chunk, IN_TRANSIT, CASH)):
            entry = slot(r["currency"])
            amount, kind = int(r["amount"]), kinds[r["entry_id"]]
            if r["account"] == IN_TRANSIT:
                entry["in_transit"] -= amount
                if kind == "payout_paid":
                    entry["paid"] += amount
            elif kind in ("payout_failed", "payout_reversed"):
                entry["paid"] -= amount
    return sorted(by_currency.values(), key=lambda x: x["currency"])
