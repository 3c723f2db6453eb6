"""A creator's earnings, from the creator's own rows: their two accounts' kept balances and their
kept totals (revenue_rollups.creator_totals: lifetime share and what their payouts moved), one row
per account or currency, however long their history."""

from __future__ import annotations

from typing import Any

from store.db import Database
from projections.ledger import available, pending
from projections.queries.balances import account_balances


def creator_earnings(db: Database, creator_id: str) -> list[dict[str, Any]]:
    """Per currency: pending, available, paid out, in transit, lifetime (creator share net of reversals)."""
    by_currency: dict[str, dict[str, Any]] = {}

    def slot(currency: str) -> dict[str, Any]:
        return by_currency.setdefault(currency, {"currency": currency, "pending": 0, "available": 0, "paid": 0,
                                                 "in_transit": 0, "lifetime": 0})

    for r in account_balances(db, [pending(creator_id), available(creator_id)]):
        slot(r["currency"])["pending" if r["account"].endswith(":pending") else "available"] = -r["balance"]
    for r in db.query("SELECT currency, gross, creator_share, paid, in_transit, payout_postings FROM creator_totals"
                      " WHERE creator_id = %s", (creator_id,)):
        sold = int(r["gross"]) or int(r["creator_share"])  # not a currency only fees were settled in
        if sold:
            slot(r["currency"])["lifetime"] = int(r["creator_share"])
        if int(r["payout_postings"]):
            entry = slot(r["currency"])
            entry["paid"], entry["in_transit"] = int(r["paid"]), int(r["in_transit"])
    return sorted(by_currency.values(), key=lambda x: x["currency"])
