"""Account balances, now or as of any moment, from the kept balances and their hourly history.

Now: one row per account and currency from `ledger_balances`. As of a moment:
each account's latest end-of-hour row before that moment's hour, plus the
postings of that partial hour. Both cost O(accounts), never O(history)
(projections/ledger_balances.py says what is kept and why).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from store.db import Database
from projections.ledger_balances import FIGURES, HOUR_US

DEBIT = "CASE WHEN amount > 0 THEN amount ELSE 0 END"
CREDIT = "CASE WHEN amount < 0 THEN -amount ELSE 0 END"


def _filters(currency: str | None, prefix: str | None, alias: str = "") -> tuple[list[str], list[Any]]:
    where, params = [], []
    if currency:
        where.append(f"{alias}currency = %s")
        params.append(currency)
    if prefix:
        # An index range on account: [prefix, the prefix with its last character's successor), in code point
        # order, which is how PostgreSQL's C / C.UTF-8 collation (ours) and SQLite compare text. So a
        # creator's two rows cost two rows, not a scan of every account (LIKE cannot use the index under
        # C.UTF-8 on PostgreSQL 15). substr() keeps the match exact.
        where.append(f"{alias}account >= %s AND substr({alias}account, 1, %s) = %s")
        params += [prefix, len(prefix), prefix]
        last = ord(prefix[-1]) + 1
        if last <= 0x10FFFF and not 0xD800 <= last <= 0xDFFF:  # no successor: the lower bound alone
            where.append(f"{alias}account < %s")
            params.append(prefix[:-1] + chr(last))
    return where, params


def _rows(found: dict[tuple[str, str], list[int]]) -> list[dict[str, Any]]:
    return [{"account": a, "currency": c, **dict(zip(FIGURES, figures, strict=True))}
            for (a, c), figures in sorted(found.items())]


def balances(db: Database, as_of_us: int | None = None, currency: str | None = None,
             prefix: str | None = None) -> list[dict[str, Any]]:
    """Balance, debits, credits and postings count per account and currency (as of a moment, inclusive)."""
    if as_of_us is not None:
        return balances_as_of(db, as_of_us, currency, prefix)
    where, params = _filters(currency, prefix)
    rows = db.query(f"SELECT account, currency, {', '.join(FIGURES)} FROM ledger_balances"
                    + (" WHERE " + " AND ".join(where) if where else ""), params)
    return _rows({(r["account"], r["currency"]): [int(r[f]) for f in FIGURES] for r in rows})


def balances_as_of(db: Database, as_of_us: int, currency: str | None = None,
                   prefix: str | None = None) -> list[dict[str, Any]]:
    """Every account's figures counting the postings dated at or before `as_of_us`."""
    hour = as_of_us // HOUR_US
    where, params = _filters(currency, prefix, "b.")
    if db.dialect == "postgresql":  # one backward probe of the hours' key per account, whatever the history
        closed = db.query(
            f"SELECT b.account, b.currency, {', '.join('h.' + f for f in FIGURES)} FROM ledger_balances b"
            f" CROSS JOIN LATERAL (SELECT {', '.join(FIGURES)} FROM ledger_balance_hours x"
            "  WHERE x.account = b.account AND x.currency = b.currency AND x.hour < %s ORDER BY x.hour DESC LIMIT 1) h"
            + (" WHERE " + " AND ".join(where) if where else ""),
            [hour, *params],
        )
    else:  # no LATERAL in SQLite; its planner answers the correlated MAX from the same key
        closed = db.query(
            f"SELECT h.account, h.currency, {', '.join('h.' + f for f in FIGURES)} FROM ledger_balances b"
            " JOIN ledger_balance_hours h ON h.account = b.account AND h.currency = b.currency"
            " AND h.hour = (SELECT MAX(x.hour) FROM ledger_balance_hours x"
            "               WHERE x.account = b.account AND x.currency = b.currency AND x.hour < %s)"
            + "".join(" AND " + w for w in where),
            [hour, *params],
        )
    found = {(r["account"], r["currency"]): [int(r[f]) for f in FIGURES] for r in closed}
    where, params = _filters(currency, prefix)
    for r in db.query(
        f"SELECT account, currency, SUM(amount) AS balance, SUM({DEBIT}) AS debits, SUM({CREDIT}) AS credits,"
        " COUNT(*) AS postings FROM ledger_postings WHERE occurred_us >= %s AND occurred_us <= %s"
        + "".join(" AND " + w for w in where) + " GROUP BY account, currency",
        [hour * HOUR_US, as_of_us, *params],
    ):
        figures = found.setdefault((r["account"], r["currency"]), [0, 0, 0, 0])
        for i, f in enumerate(FIGURES):
            figures[i] += int(r[f])
    return _rows(found)


def trial_balance(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The sum of every account's balance per currency: zero when the books balance."""
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["currency"]] += r["balance"]
    return dict(totals)


def account_balances(db: Database, accounts: list[str]) -> list[dict[str, Any]]:
    """The kept balances of a few named accounts (a creator's own), every currency."""
    if not accounts:
        return []
    marks = ", ".join(["%s"] * len(accounts))
    rows = db.query(f"SELECT account, currency, {', '.join(FIGURES)} FROM ledger_balances WHERE account IN ({marks})",
                    accounts)
    return _rows({(r["account"], r["currency"]): [int(r[f]) for f in FIGURES] for r in rows})
