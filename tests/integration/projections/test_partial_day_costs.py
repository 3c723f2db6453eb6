"""Reports over ranges that cut through days read the daily rollups plus only the edge days' own rows.

Counted in rows PostgreSQL reads (EXPLAIN ANALYZE, tests/support/plans.py), never
in seconds. A revenue report over [from, to) reads the whole days inside it from
`revenue_days` and the facts of the partial first and last days from
`revenue_facts`; the period report reads whole days from `ledger_movement_days`
and the partial days' postings joined to their own entries. Each statement that
reads an edge must read at most that edge's rows (twice: a bitmap scan counts its
rows twice), never the facts, postings or entries of the rest of the history,
which is grown fourfold around the same window. The revenue figures equal a
recomputation from the facts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bench.finance_reads import START, Seeder
from projections.ledger_balances import DAY_US
from projections.queries.period import period_report
from projections.queries.revenue import REPORT_COLUMNS, revenue
from store.timecodes import to_us
from tests.support.plans import ExplainingDatabase

pytestmark = pytest.mark.postgres

ROOM_EVENTS = 401  # a room and 200 tickets reserved and paid
OTHER_DAYS = 20_000  # room-days of other rooms, years before: the rollup is read by its index, as at scale


def count(db: Any, sql: str, params: tuple[Any, ...]) -> int:
    return int(db.query(f"SELECT COUNT(*) AS n FROM {sql}", params)[0]["n"])


def statements_on(explaining: ExplainingDatabase, table: str) -> list[dict[str, Any]]:
    return [p for p in explaining.plans if any(s["table"] == table or (s["index"] or "").startswith(table)
                                               for s in p["scans"])]


def from_facts(db: Any, by: str, start: int, end: int, creator: str | None) -> dict[tuple[Any, ...], list[int]]:
    """The oracle: revenue over [start, end) summed from every fact."""
    key = {"room": ("room_id", "creator_id", "currency"), "creator": ("creator_id", "currency"),
           "day": ("day", "currency")}[by]
    found: dict[tuple[Any, ...], list[int]] = {}
    for f in db.query("SELECT *, occurred_us / %s AS day FROM revenue_facts WHERE occurred_us >= %s AND occurred_us < %s",
                      (DAY_US, start, end)):
        if creator is None or f["creator_id"] == creator:
            row = found.setdefault(tuple(f[k] for k in key), [0] * len(REPORT_COLUMNS))
            for i, c in enumerate(REPORT_COLUMNS):
                row[i] += int(f[c])
    return found


@pytest.mark.parametrize("creator", [None, "creator-1"])
def test_reports_over_a_range_cutting_through_days_read_the_rollups_and_the_edge_days_own_rows(
    make_services, postgres_url, creator  # noqa: ANN001
) -> None:
    # Arrange: 3 creators; a window of 9 days and 13 hours, from 09:17, inside the first 45 days of
    # history; the history then grows fourfold after it. Other rooms' days, years earlier, make the
    # rollup a table the planner reads by its index.
    services = make_services(postgres_url)
    seeder = Seeder(services, 4 * ROOM_EVENTS, creators=3)
    db = services.db
    with db.transaction() as tx:
        tx.execute("INSERT INTO revenue_days SELECT 'other-' || n, 'USD', 1000 + mod(n, 700), 'other', 1, 999, 0, 59,"
                   f" 30, 969 FROM generate_series(1, {OTHER_DAYS}) AS n")
    window_from = START + timedelta(days=10, hours=9, minutes=17)
    window_to = window_from + timedelta(days=9, hours=13)
    start, end = to_us(window_from), to_us(window_to)
    edges = [(start, -(-start // DAY_US) * DAY_US), ((end // DAY_US) * DAY_US, end)]

    for size in (4 * ROOM_EVENTS, 16 * ROOM_EVENTS):
        seeder.grow(size)
        services.projector.catch_up()
        with db.transaction() as tx:
            tx.execute("ANALYZE")
        assert window_to < seeder.last_moment, "the window lies inside the history"

        for by in ("room", "creator", "day"):
            # Act
            explaining = ExplainingDatabase(db)
            rows = revenue(explaining, by=by, from_us=start, to_us=end, creator_id=creator)

            # Assert: the whole days from the rollup, the partial days' facts only; exact.
            whole_days = count(db, "revenue_days WHERE day >= %s AND day < %s", (edges[0][1] // DAY_US,
                                                                                 edges[1][0] // DAY_US))
            (rollup,) = statements_on(explaining, "revenue_days")
            assert rollup["rows_read"] <= 2 * whole_days, rollup
            edge_reads = statements_on(explaining, "revenue_facts")
            assert len(edge_reads) == 2, explaining.plans
            for (edge_start, edge_end), plan in zip(edges, edge_reads, strict=True):
                own = count(db, "revenue_facts WHERE occurred_us >= %s AND occurred_us < %s", (edge_start, edge_end))
                assert own > 0 and plan["rows_read"] <= 2 * own, (own, plan)
            key = {"room": ("room_id", "creator_id", "currency"), "creator": ("creator_id", "currency"),
                   "day": ("day", "currency")}[by]
            got = {tuple(r[k] for k in key): [r[c] for c in REPORT_COLUMNS] for r in rows}
            expected = from_facts(db, by, start, end, creator)
            if by == "day":
                expected = {((date(1970, 1, 1) + timedelta(days=int(k[0]))).isoformat(), k[1]): v
                            for k, v in expected.items()}
            assert got == expected

        if creator is None:  # the period report: movement days, and each edge's postings joined to its entries
            explaining = ExplainingDatabase(db)
            report = period_report(explaining, start, end)
            edge_reads = [p for p in explaining.plans if "JOIN ledger_entries" in p["sql"]]
            assert len(edge_reads) == 2, explaining.plans
            for (edge_start, edge_end), plan in zip(edges, edge_reads, strict=True):
                own = sum(count(db, f"{t} WHERE occurred_us >= %s AND occurred_us < %s", (edge_start, edge_end))
                          for t in ("ledger_postings", "ledger_entries"))
                assert own > 0 and plan["rows_read"] <= 2 * own, (own, plan)
            movements = [k for k in report["accounts"][0] if k not in ("account", "currency", "opening", "closing")]
            assert all(r["opening"] + sum(r[m] for m in movements) == r["closing"] for r in report["accounts"])
