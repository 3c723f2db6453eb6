"""What a read costs in rows, not seconds: PostgreSQL's own count, from EXPLAIN (ANALYZE).

`ExplainingDatabase` wraps a `store.db.Database`: every `query` runs once under
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON), its plan is summarised (each scan:
node, table, index, rows it read), then runs for real and returns its rows. A
test asserts on `rows_read` (every row a scan touched, kept or filtered out,
times its loops), which does not depend on the machine's load; the finance
benchmark prints the same summaries at each size. PostgreSQL only.
May import: store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.db import Database


def _scans(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    if "Scan" in node["Node Type"]:
        loops = int(node.get("Actual Loops", 1))
        read = (int(node.get("Actual Rows", 0)) + int(node.get("Rows Removed by Filter", 0))
                + int(node.get("Rows Removed by Index Recheck", 0))) * loops
        found.append({"node": node["Node Type"], "table": node.get("Relation Name"),
                      "index": node.get("Index Name"), "rows_read": read, "loops": loops,
                      "filter": node.get("Filter")})
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


def summary(sql: str, explained: dict[str, Any]) -> dict[str, Any]:
    """The statement, its scans and the rows they read, the buffers it touched and its execution time."""
    top = explained["Plan"]
    scans = _scans(top)
    return {
        "sql": " ".join(sql.split())[:160],
        "scans": scans,
        "rows_read": sum(s["rows_read"] for s in scans),
        "buffers": int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0)),
        "ms": round(float(explained.get("Execution Time", 0.0)), 3),
    }


def describe(plans: list[dict[str, Any]]) -> str:
    """One line per statement: `Index Only Scan ledger_balances_pkey: 23 rows; ...`."""
    lines = []
    for p in plans:
        scans = "; ".join(f"{s['node']} {s['index'] or s['table']}: {s['rows_read']:,} rows"
                          + (f" ({s['loops']:,} loops)" if s["loops"] > 1 else "") for s in p["scans"])
        lines.append(f"{scans or 'no scan'} [{p['rows_read']:,} rows read, {p['buffers']:,} buffers, {p['ms']} ms]")
    return " | ".join(lines)


class ExplainingDatabase:
    """A `Database` whose queries are also EXPLAINed; `plans` holds their summaries in order."""

    def __init__(self, db: Database) -> None:
        assert db.dialect == "postgresql", "EXPLAIN (ANALYZE, FORMAT JSON) is PostgreSQL's"
        self.db = db
        self.dialect = db.dialect
        self.plans: list[dict[str, Any]] = []

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        (row,) = self.db.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        self.plans.append(summary(sql, row["QUERY PLAN"][0]))
        return self.db.query(sql, params)

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @property
    def rows_read(self) -> int:
        return sum(p["rows_read"] for p in self.plans)

    def __getattr__(self, name: str) -> Any:  # transaction, stream, ...: not explained
        return getattr(self.db, name)
