"""Revenue per room, currency and UTC day, per room, and per creator, kept beside the revenue facts.

A report over a month read every fact of the month (one per sale); the
rollup holds one row per room, currency and day with sales, whatever the
number of tickets. Reports read the whole days inside their range from here
and only the facts of a partial first or last day (projections/queries/revenue.py).

Two lifetime rollups beside it, so a creator's earnings never read their history:
- `revenue_rooms`: per room and currency, since the room opened (a report
  with no range, by room: one row per room, not one per room-day);
- `creator_totals`: per creator and currency, the same amounts plus what their
  payouts moved (paid out, in transit, and how many payout postings), which
  queries/earnings.py read with the creator's two account balances: O(the
  creator's accounts), however long the history.

Written by the ledger projection in the same batch transaction as the facts:
a batch adds its net change to each row once, with an upsert that adds
(order-free, so a rebuild from zero gives the same rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.db import Tx
from projections.ledger_balances import DAY_US
from projections.rows import ROWS, Rows

AMOUNTS = ("tickets", "gross", "refunds", "fees", "commission", "creator_share")
ROLLUP_COLUMNS = ("room_id", "currency", "day", "creator_id", *AMOUNTS)
ROOM_COLUMNS = ("room_id", "currency", "creator_id", *AMOUNTS)
PAYOUT_FIGURES = ("paid", "in_transit", "payout_postings")
CREATOR_COLUMNS = ("creator_id", "currency", *AMOUNTS, *PAYOUT_FIGURES)


def ddl(s: str) -> list[tuple[str, str, list[str]]]:
    r = f"revenue_days{s}"
    return [
        (r, f"CREATE TABLE {r} (room_id VARCHAR(36) NOT NULL, currency VARCHAR(3) NOT NULL, day INTEGER NOT NULL,"
            " creator_id TEXT NOT NULL, tickets BIGINT NOT NULL, gross BIGINT NOT NULL, refunds BIGINT NOT NULL,"
            " fees BIGINT NOT NULL, commission BIGINT NOT NULL, creator_share BIGINT NOT NULL,"
            " PRIMARY KEY (room_id, currency, day))",
         [f"CREATE INDEX {r}_by_day ON {r} (day)", f"CREATE INDEX {r}_by_creator ON {r} (creator_id, day)"]),
        (f"revenue_rooms{s}", f"CREATE TABLE revenue_rooms{s} (room_id VARCHAR(36) NOT NULL, currency VARCHAR(3) NOT NULL,"
         " creator_id TEXT NOT NULL, tickets BIGINT NOT NULL, gross BIGINT NOT NULL, refunds BIGINT NOT NULL,"
         " fees BIGINT NOT NULL, commission BIGINT NOT NULL, creator_share BIGINT NOT NULL,"
         " PRIMARY KEY (room_id, currency))", [f"CREATE INDEX revenue_rooms{s}_by_creator ON revenue_rooms{s} (creator_id)"]),
        (f"creator_totals{s}", f"CREATE TABLE creator_totals{s} (creator_id TEXT NOT NULL, currency VARCHAR(3) NOT NULL,"
         " tickets BIGINT NOT NULL, gross BIGINT NOT NULL, refunds BIGINT NOT NULL, fees BIGINT NOT NULL,"
         " commission BIGINT NOT NULL, creator_share BIGINT NOT NULL, paid BIGINT NOT NULL, in_transit BIGINT NOT NULL,"
         " payout_postings BIGINT NOT NULL, PRIMARY KEY (creator_id, currency))", []),
    ]


def roll_up(tx: Tx, s: str, facts: Sequence[tuple[Any, ...]],
            payouts: dict[tuple[str, str], list[int]] | None = None, sql: Rows | None = None) -> None:
    """Add facts (fact_id, kind, occurred_us, room_id, creator_id, currency, tickets, gross, fees,
    commission, creator_share, refunds) to their room-days, rooms and creators, and `payouts`
    ((creator_id, currency) -> [paid, in_transit, payout postings]) to their creators, one
    statement per table (`sql`: the engine's `Rows`; by default, the transaction's)."""
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
    rooms: dict[tuple[str, str], list[Any]] = {}
    creators: dict[tuple[str, str], list[int]] = {}
    for (room_id, currency, _), (creator_id, *amounts) in days.items():
        room = rooms.setdefault((room_id, currency), [creator_id, 0, 0, 0, 0, 0, 0])
        creator = creators.setdefault((creator_id, currency), [0] * 9)
        for i, amount in enumerate(amounts):
            room[i + 1] += amount
            creator[i] += amount
    for key, (paid, in_transit, count) in (payouts or {}).items():
        creator = creators.setdefault(key, [0] * 9)
        creator[6] += paid
        creator[7] += in_transit
        creator[8] += count
    sql = sql or ROWS[tx.dialect]
    sql.add(tx, f"revenue_days{s}", ROLLUP_COLUMNS, ("room_id", "currency", "day"), AMOUNTS,
            [(*key, *days[key]) for key in sorted(days)])
    sql.add(tx, f"revenue_rooms{s}", ROOM_COLUMNS, ("room_id", "currency"), AMOUNTS,
            [(*key, *rooms[key]) for key in sorted(rooms)])
    sql.add(tx, f"creator_totals{s}", CREATOR_COLUMNS, ("creator_id", "currency"), (*AMOUNTS, *PAYOUT_FIGURES),
            [(*key, *creators[key]) for key in sorted(creators)])
