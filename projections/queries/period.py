"""Period close: per account, the opening balance, the movements by kind and the closing balance.

Opening is the balance of everything dated before `from`, closing of
everything before `to` (queries/balances.py, from the kept hourly history);
movements are the whole days of [from, to) from `ledger_movement_days` plus
the postings of a partial first or last day. Opening + movements = closing
for every account because all three count the same postings; the closing
balances of a currency sum to zero (the trial balance).

The platform's result is what it earned net of what it bore: commission
(net of reversals) - processor fees - dispute losses. The cash it should see
at the processor is `platform:cash`'s closing balance.
"""

from __future__ import annotations

from typing import Any

from store.db import Database
from projections.ledger import CASH, COMMISSION, DISPUTE_LOSSES, FEES
from projections.ledger_balances import DAY_US
from projections.ledger_movements import MOVEMENTS, movement_of
from projections.queries.balances import balances_as_of


def _whole_days(from_us: int, to_us: int) -> tuple[int, int, list[tuple[int, int]]]:
    first, last = -(-from_us // DAY_US), to_us // DAY_US
    if first >= last:
        return first, first, [(from_us, to_us)]
    edges = [(from_us, first * DAY_US)] if first * DAY_US > from_us else []
    if last * DAY_US < to_us:
        edges.append((last * DAY_US, to_us))
    return first, last, edges


def movements(db: Database, from_us: int, to_us: int, currency: str | None) -> dict[tuple[str, str], dict[str, int]]:
    """(account, currency) -> movement -> net amount over [from, to)."""
    found: dict[tuple[str, str], dict[str, int]] = {}

    def add(account: str, cur: str, movement: str, amount: int) -> None:
        row = found.setdefault((account, cur), dict.fromkeys(MOVEMENTS, 0))
        row[movement] += amount

    first, last, edges = _whole_days(from_us, to_us)
    only = " AND currency = %s" if currency else ""
    if first < last:
        for r in db.query("SELECT account, currency, movement, SUM(amount) AS amount FROM ledger_movement_days"
                          f" WHERE day >= %s AND day < %s{only} GROUP BY account, currency, movement",
                          [first, last, *([currency] if currency else [])]):
            add(r["account"], r["currency"], r["movement"], int(r["amount"]))
    for start, end in edges:
        for r in db.query(
            "SELECT p.account, p.currency, e.kind, p.amount < 0 AS negative, SUM(p.amount) AS amount"
            " FROM ledger_postings p JOIN ledger_entries e ON e.entry_id = p.entry_id"
            # An entry and its postings carry the same time: bounding both sides keeps the join to the
            # edge's own rows (with statistics the planner otherwise hashed every entry of history).
            " AND e.occurred_us >= %s AND e.occurred_us < %s"
            f" WHERE p.occurred_us >= %s AND p.occurred_us < %s{only.replace('currency', 'p.currency')}"
            " GROUP BY p.account, p.currency, e.kind, p.amount < 0",
            [start, end, start, end, *([currency] if currency else [])],
        ):
            amount = int(r["amount"])
            add(r["account"], r["currency"], movement_of(r["kind"], r["account"], -1 if r["negative"] else 1), amount)
    return found


def period_report(db: Database, from_us: int, to_us: int, currency: str | None = None) -> dict[str, Any]:
    """The close of [from, to): accounts, totals and the platform's result per currency."""
    opening = {(r["account"], r["currency"]): r["balance"] for r in balances_as_of(db, from_us - 1, currency)}
    closing = {(r["account"], r["currency"]): r["balance"] for r in balances_as_of(db, to_us - 1, currency)}
    moved = movements(db, from_us, to_us, currency)
    accounts = []
    totals: dict[str, dict[str, int]] = {}
    for key in sorted(set(opening) | set(closing) | set(moved)):
        m = moved.get(key, dict.fromkeys(MOVEMENTS, 0))
        row = {"account": key[0], "currency": key[1], "opening": opening.get(key, 0), **m,
               "closing": closing.get(key, 0)}
        accounts.append(row)
        total = totals.setdefault(key[1], dict.fromkeys(("opening", *MOVEMENTS, "closing"), 0))
        for column in total:
            total[column] += row[column]
    platform = {}
    for cur in sorted(totals):
        def moved_on(account: str, cur: str = cur) -> int:
            return sum(moved.get((account, cur), {}).values())
        commission, fees, losses = -moved_on(COMMISSION), moved_on(FEES), moved_on(DISPUTE_LOSSES)
        platform[cur] = {"commission": commission, "processor_fees": fees, "dispute_losses": losses,
                         "result": commission - fees - losses,
                         "cash_opening": opening.get((CASH, cur), 0), "cash_closing": closing.get((CASH, cur), 0)}
    return {"accounts": accounts, "totals": totals, "platform": platform}
