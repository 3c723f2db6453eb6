"""Revenue per room or creator and currency over any range, from the daily rollups.

The whole UTC days inside [from, to) come from `revenue_days` (one row per
room, currency and day); a range that starts or ends inside a day adds the
facts of that partial day from `revenue_facts`. A month costs its room-days,
whatever the number of tickets sold. Per room with no range (a creator's rooms
beside their earnings) reads `revenue_rooms`, one row per room and currency.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from store.db import Database
from projections.ledger_balances import DAY_US

REPORT_COLUMNS = ("tickets", "gross", "refunds", "fees", "commission", "creator_share")


def _day_span(from_us: int | None, to_us: int | None) -> tuple[int | None, int | None, list[tuple[int | None, int | None]]]:
    """Whole days [first, last) covered by [from, to), and the partial edges (time ranges) left over."""
    first = None if from_us is None else -(-from_us // DAY_US)  # the first day starting at or after `from`
    last = None if to_us is None else to_us // DAY_US  # days before the one `to` falls in
    if first is not None and last is not None and first >= last:
        return None, None, [(from_us, to_us)]  # inside one day (or two partial halves): facts only
    edges: list[tuple[int | None, int | None]] = []
    if from_us is not None and first is not None and first * DAY_US > from_us:
        edges.append((from_us, first * DAY_US))
    if to_us is not None and last is not None and last * DAY_US < to_us:
        edges.append((last * DAY_US, to_us))
    return first, last, edges


def revenue(db: Database, *, by: str, from_us: int | None, to_us: int | None,
            creator_id: str | None = None) -> list[dict[str, Any]]:
    """Revenue per room, creator or UTC day, and currency, over [from, to).

    gross: paid sales; refunds: returned to buyers (refunds, lost disputes);
    fees: processor fees (the platform's); commission and creator_share: net of
    reversals; net = gross - refunds = commission + creator_share.
    """
    group = {"room": ("room_id", "creator_id", "currency"), "creator": ("creator_id", "currency"),
             "day": ("day", "currency")}[by]
    sums = ", ".join(f"SUM({c}) AS {c}" for c in REPORT_COLUMNS)
    first, last, edges = _day_span(from_us, to_us)
    parts: list[tuple[str, list[Any]]] = []
    if by == "room" and from_us is None and to_us is None:  # since the start: one row per room, not per room-day
        parts.append((_select("revenue_rooms", group, sums, [], creator_id), []))
    elif first is not None or last is not None or from_us is None or to_us is None:  # some whole days
        where, params = [], []
        if first is not None:
            where.append("day >= %s")
            params.append(first)
        if last is not None:
            where.append("day < %s")
            params.append(last)
        parts.append((_select("revenue_days", group, sums, where, creator_id), params))
    for start, end in edges:
        where, params = [], []
        if start is not None:
            where.append("occurred_us >= %s")
            params.append(start)
        if end is not None:
            where.append("occurred_us < %s")
            params.append(end)
        parts.append((_select("revenue_facts", group, sums, where, creator_id), params))
    if by == "day":  # the facts' day is computed; integer division on both databases
        parts = [(sql.replace("SELECT day,", f"SELECT occurred_us / {DAY_US} AS day,")
                  .replace("GROUP BY day,", f"GROUP BY occurred_us / {DAY_US},"), params)
                 if "FROM revenue_facts" in sql else (sql, params) for sql, params in parts]
    totals: dict[tuple[str, ...], dict[str, Any]] = {}
    for sql, params in parts:
        for r in db.query(sql, params + ([creator_id] if creator_id is not None else [])):
            key = tuple(int(r[k]) if k == "day" else r[k] for k in group)
            row = totals.setdefault(key, {**dict(zip(group, key, strict=True)), **dict.fromkeys(REPORT_COLUMNS, 0)})
            for c in REPORT_COLUMNS:
                row[c] += int(r[c] or 0)
    out = []
    for key in sorted(totals, key=lambda k: (k[0], k[-1])):  # by room or creator, then currency
        row = totals[key]
        row["net"] = row["gross"] - row["refunds"]
        if by == "day":
            row["day"] = (date(1970, 1, 1) + timedelta(days=int(row["day"]))).isoformat()
        out.append(row)
    return out


def _select(table: str, group: tuple[str, ...], sums: str, where: list[str], creator_id: str | None) -> str:
    if creator_id is not None:
        where = [*where, "creator_id = %s"]
    return (f"SELECT {', '.join(group)}, {sums} FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")
            + f" GROUP BY {', '.join(group)}")
