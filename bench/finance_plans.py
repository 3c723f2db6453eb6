"""The finance benchmark's reads as PostgreSQL plans: which index each statement uses and how many rows it reads.

Each read of `bench/finance_reads.py` calls the same query functions as its
endpoint, here through `tests.support.plans.ExplainingDatabase`, so every
statement is run under EXPLAIN (ANALYZE, BUFFERS). Rows read do not depend on
the machine's load: compared between sizes, they show what grows with history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.queries.balances import balances
from projections.queries.earnings import creator_earnings
from projections.queries.entries import entries
from projections.queries.period import period_report
from projections.queries.revenue import revenue
from store.db import Database
from tests.support.plans import ExplainingDatabase, describe


def reads(creator: str, as_of_us: int, month: tuple[int, int]) -> dict[str, Callable[[Any], Any]]:
    """What each timed endpoint runs, by the benchmark's names."""
    start, end = month

    def earnings(db: Any) -> Any:  # the endpoint lists the creator's rooms too
        return creator_earnings(db, creator), revenue(db, by="room", from_us=None, to_us=None, creator_id=creator)

    def first_page(account: str) -> Callable[[Any], Any]:
        return lambda db: entries(db, account=account, from_us=None, to_us=None, after=None, limit=100)

    return {
        "trial balance": lambda db: balances(db),
        "as_of": lambda db: balances(db, as_of_us),
        "prefix": lambda db: balances(db, prefix=f"creator:{creator}:"),
        "earnings": earnings,
        "revenue by room, a month": lambda db: revenue(db, by="room", from_us=start, to_us=end),
        "revenue by creator, a month": lambda db: revenue(db, by="creator", from_us=start, to_us=end),
        "entries of an account, first page": first_page("platform:cash"),
        "entries of a creator's account, first page": first_page(f"creator:{creator}:pending"),
        "period report, a month": lambda db: period_report(db, start, end),
    }


def explain(url: str, creator: str, as_of_us: int, month: tuple[int, int]) -> dict[str, dict[str, Any]]:
    """Per read: rows read in all, and one line per statement (scans, rows, buffers, time)."""
    db = Database(url)
    out = {}
    try:
        for name, read in reads(creator, as_of_us, month).items():
            explaining = ExplainingDatabase(db)
            read(explaining)
            out[name] = {"rows_read": explaining.rows_read, "plan": describe(explaining.plans)}
    finally:
        db.close()
    return out
