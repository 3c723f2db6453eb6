"""What reconciliation reads of the ledger and the payouts table, and the record of past runs.

May import: store/ (the database helpers).
"""

from __future__ import annotations

from typing import Any

from store.db import Database

CASH_KINDS_SQL = ("('sale', 'sale_settlement', 'refund_paid', 'dispute_opened', 'dispute_won', 'payout_paid',"
                  " 'payout_failed', 'payout_reversed')")  # the entry kinds that can move the processor's cash


def cash_postings(db: Database, from_us: int, to_us: int) -> list[dict[str, Any]]:
    """Postings of the entries that move cash at the processor, occurred in [from_us, to_us), in
    log order: entry_id, kind, reference, currency, occurred_us, account, amount."""
    return db.query(
        "SELECT e.entry_id, e.kind, e.reference, e.currency, e.occurred_us, p.account, p.amount"
        " FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.entry_id"
        f" WHERE e.occurred_us >= %s AND e.occurred_us < %s AND e.kind IN {CASH_KINDS_SQL}"
        " ORDER BY e.position, p.line",
        (from_us, to_us),
    )


def transfers_in_flight(db: Database, from_us: int, to_us: int) -> list[dict[str, Any]]:
    """Payouts with a transfer, submitted or failed, last changed in [from_us, to_us)."""
    return db.query(
        "SELECT payout_id, status, transfer_id, currency, amount, updated_us FROM payouts_view"
        " WHERE transfer_id IS NOT NULL AND status IN ('submitted', 'failed') AND updated_us >= %s AND updated_us < %s",
        (from_us, to_us),
    )


def entry_reference(db: Database, entry_id: str) -> str | None:
    """A ledger entry's processor reference, or None (no such entry, or none recorded)."""
    row = db.query_one("SELECT reference FROM ledger_entries WHERE entry_id = %s", (entry_id,))
    return row["reference"] if row else None


def runs(db: Database, limit: int) -> list[dict[str, Any]]:
    """Recorded reconciliation runs, newest first (reconciliation_runs rows)."""
    return db.query("SELECT * FROM reconciliation_runs ORDER BY recorded_us DESC LIMIT %s", (limit,))
