"""What moved each account, by kind of movement and UTC day, for period close.

Finance closes a period per account: opening balance, the movements by kind
(sales, fees, refunds, disputes, releases, payouts, reversals, FX), closing
balance. Re-reading a month's postings costs a month of postings; this keeps,
in the same batch transaction as the postings, one row per account, currency,
day and kind of movement with the net amount, so a period reads its whole
days here and only the postings of a partial first or last day
(projections/queries/period.py). Increments are added with an upsert, so the
rows do not depend on where batches begin (a rebuild gives the same rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.db import Tx
from projections.ledger_balances import DAY_US
from projections.rows import ROWS, Rows

MOVEMENTS = ("sales", "fees", "refunds", "disputes", "releases", "payouts", "reversals", "fx", "other")
KIND_MOVEMENTS = {
    "sale": "sales", "refund": "refunds", "refund_paid": "refunds",
    "dispute_opened": "disputes", "dispute_won": "disputes", "dispute_lost": "disputes",
    "earnings_released": "releases",
    "payout_scheduled": "payouts", "payout_paid": "payouts", "payout_cancelled": "payouts",
    "payout_failed": "reversals", "payout_reversed": "reversals",
}
FEES_ACCOUNT, CASH_ACCOUNT = "platform:processor_fees", "platform:cash"
MOVEMENT_COLUMNS = ("account", "currency", "day", "movement", "amount", "postings")


def movement_of(kind: str, account: str, amount: int) -> str:
    """The kind of movement a posting is. A sale's fee lines (the fee expense, and the cash the
    processor kept: the entry's only negative cash line) are fees, not sales. A sale settled in
    another currency (`sale_settlement`, in the settlement currency) brings cash in against
    `fx_clearing`: FX, besides its fee lines."""
    if kind in ("sale", "sale_settlement") and (account == FEES_ACCOUNT or (account == CASH_ACCOUNT and amount < 0)):
        return "fees"
    if kind == "sale_settlement":
        return "fx"
    found = KIND_MOVEMENTS.get(kind)
    if found is not None:
        return found
    return "fx" if "fx" in kind else "other"  # Assumption: a future foreign-exchange kind names it


def ddl(s: str) -> list[tuple[str, str, list[str]]]:
    m = f"ledger_movement_days{s}"
    return [(m, f"CREATE TABLE {m} (account TEXT NOT NULL, currency VARCHAR(3) NOT NULL, day INTEGER NOT NULL,"
                " movement VARCHAR(16) NOT NULL, amount BIGINT NOT NULL, postings BIGINT NOT NULL,"
                " PRIMARY KEY (account, currency, day, movement))",
             [f"CREATE INDEX {m}_by_day ON {m} (day)"])]


def add_movements(tx: Tx, s: str, kinds: dict[str, str], postings: Sequence[tuple[Any, ...]],
                  sql: Rows | None = None) -> None:
    """Add postings (entry_id, line, account, currency, amount, occurred_us, position) of entries of
    `kinds` (entry id -> kind) to their account-day-movement rows, in one statement (`sql`: the
    engine's `Rows`; by default, the transaction's)."""
    if not postings:
        return
    sums: dict[tuple[str, str, int, str], list[int]] = {}
    for entry_id, _, account, currency, amount, occurred, _ in postings:
        key = (account, currency, occurred // DAY_US, movement_of(kinds[entry_id], account, amount))
        row = sums.get(key)
        if row is None:
            row = sums[key] = [0, 0]
        row[0] += amount
        row[1] += 1
    (sql or ROWS[tx.dialect]).add(tx, f"ledger_movement_days{s}", MOVEMENT_COLUMNS, MOVEMENT_COLUMNS[:4],
                                  ("amount", "postings"), [(*key, *sums[key]) for key in sorted(sums)])
