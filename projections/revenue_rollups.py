"""Revenue per room, currency and UTC day, kept beside the revenue facts.

A report over a month read every fact of the month (one per sale); the
rollup holds one row per room, currency and day with sales, whatever the
number of tickets. Reports read the whole days inside their range from here
and only the facts of a partial first or last day (projections/queries/revenue.py).

Written by the ledger projection in the same batch transaction as the facts:
a batch adds its net change to each room-day once, with an upsert that adds
(order-free, so a rebuild from zero gives the same rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.db import Tx
from projections.ledger_balances import DAY_US

AMOUNTS = ("tickets", "gross", "refunds", "fees", "commission", "creator_share")
ROLLUP_COLUMNS = ("room_id", "currency", "day", "creator_id", *AMOUNTS)


def ddl(s: str) -> list[tuple[str, str, list[str]]]:
    r = f"revenue_days{s}"
    return [
        (r, f"CREATE TABLE {r} (room_id VARCHAR(36) NOT NULL, currency VARCHAR(3) NOT NULL, day INTEGER NOT NULL,"
            " creator_id TEXT NOT NULL, tickets BIGINT NOT NULL, gross BIGINT NOT NULL, refunds BIGINT NOT NULL,"
            " fees BIGINT NOT NULL, commission BIGINT NOT NULL, creator_share BIGINT NOT NULL,"
            " PRIMARY KEY (room_id, currency, day))",
         [f"CREATE INDEX {r}_by_day ON {r} (day)", f"CREATE INDEX {r}_by_creator ON {r} (creator_id, day)"]),
    ]


def roll_up(tx: Tx, s: str, facts: Sequence[tuple[Any, ...]]) -> None:
    """Add facts (fact_id, kind, occurred_us, room_id, creator_id, currency, tickets, gross, fees,
    commission, creator_share, refunds) to their room-days."""
    if not facts:
        return
    days: dict[tuple[str, str, int], list[Any]] = {}
    for _, _, occurred, room_id, creator_id, currency, tickets, gross, fees, commission, share, refunds in facts:
        key = (room_id, currency, occurred // DAY_US)
        row = days.get(key)
        if row is None:
            row = days[key] = [creator_id, 0, 0, 0, 0, 0, 0]
        row[1] += tickets
        row[2] += gross
        row[3] += refunds
        row[4] += fees
        row[5] += commission
        row[6] += share
    t = f"revenue_days{s}"
    adds = ", ".join(f"{c} = {t}.{c} + excluded.{c}" for c in AMOUNTS)
    tx.executemany(
        f"INSERT INTO {t} ({', '.join(ROLLUP_COLUMNS)}) VALUES ({', '.join(['%s'] * len(ROLLUP_COLUMNS))})"
        f" ON CONFLICT (room_id, currency, day) DO UPDATE SET {adds}",
        [(*key, *days[key]) for key in sorted(days)],
    )
