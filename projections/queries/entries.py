"""Journal entries: pages by keyset for JSON, and whole periods streamed row by row for exports.

Pages are keyed on (position, entry_id): several entries share a log position.
An account's pages walk the postings index on (account, position, entry_id),
so the first page of the platform's cash account costs a page, not its
history. A stream is one query read through a server-side cursor (PostgreSQL)
or a dedicated connection (SQLite), a batch of rows at a time: a month of a
million postings goes out in constant memory, in the same order as the pages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from store.db import Database
from store.timecodes import from_us as us_to_datetime

ENTRY_COLUMNS = ("entry_id", "kind", "position", "occurred_us", "currency", "room_id", "creator_id", "ticket_id",
                 "reference", "memo")


def _after(after: tuple[int, str] | None, alias: str) -> tuple[list[str], list[Any]]:
    if after is None:
        return [], []
    return ([f"({alias}position > %s OR ({alias}position = %s AND {alias}entry_id > %s))"],
            [after[0], after[0], after[1]])


def _window(from_us: int | None, to_us: int | None, alias: str) -> tuple[list[str], list[Any]]:
    where, params = [], []
    if from_us is not None:
        where.append(f"{alias}occurred_us >= %s")
        params.append(from_us)
    if to_us is not None:
        where.append(f"{alias}occurred_us < %s")
        params.append(to_us)
    return where, params


def entries(db: Database, *, account: str | None, from_us: int | None, to_us: int | None,
            after: tuple[int, str] | None, limit: int, entry_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """One page of entries in log order, each with its postings; `from` inclusive, `to` exclusive."""
    where, params = _window(from_us, to_us, "")
    keyset, more = _after(after, "")
    where += keyset
    params += more
    if account is not None:  # the account's own postings, in index order
        ids = [r["entry_id"] for r in db.query(
            "SELECT DISTINCT position, entry_id FROM ledger_postings WHERE account = %s"
            + "".join(" AND " + w for w in where) + " ORDER BY position, entry_id LIMIT %s",
            [account, *params, limit])]
        if not ids:
            return []
        where, params = [f"entry_id IN ({', '.join(['%s'] * len(ids))})"], list(ids)
    elif entry_ids:
        where.append(f"entry_id IN ({', '.join(['%s'] * len(entry_ids))})")
        params.extend(entry_ids)
    rows = db.query(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM ledger_entries"
                    + (" WHERE " + " AND ".join(where) if where else "")
                    + " ORDER BY position, entry_id LIMIT %s", [*params, limit])
    if not rows:
        return []
    ids = [r["entry_id"] for r in rows]
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in db.query(f"SELECT entry_id, line, account, amount FROM ledger_postings WHERE entry_id IN"
                      f" ({', '.join(['%s'] * len(ids))}) ORDER BY entry_id, line", ids):
        lines[p["entry_id"]].append({"account": p["account"], "amount": int(p["amount"])})
    return [entry_dict(r, lines[r["entry_id"]]) for r in rows]


def entry_dict(r: dict[str, Any], postings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "entry_id": r["entry_id"], "kind": r["kind"], "position": int(r["position"]),
        "occurred_at": us_to_datetime(r["occurred_us"]), "currency": r["currency"], "room_id": r["room_id"],
        "creator_id": r["creator_id"], "ticket_id": r["ticket_id"], "reference": r["reference"],
        "memo": r["memo"], "postings": postings,
    }


def stream_postings(db: Database, *, account: str | None, from_us: int | None, to_us: int | None,
                    currency: str | None = None) -> Iterator[dict[str, Any]]:
    """Every posting of the entries in [from, to) (of one account's entries, if named), with its entry's
    columns, in the pages' order: (position, entry_id), then line. Constant memory, no page limit."""
    where, params = _window(from_us, to_us, "e.")
    if currency is not None:
        where.append("e.currency = %s")
        params.append(currency)
    source = "ledger_entries e"
    if account is not None:  # the account's entries from its postings index, each once
        inner, inner_params = _window(from_us, to_us, "")
        source = ("(SELECT DISTINCT entry_id FROM ledger_postings WHERE account = %s"
                  + "".join(" AND " + w for w in inner) + ") a JOIN ledger_entries e ON e.entry_id = a.entry_id")
        params = [account, *inner_params, *params]
    columns = ", ".join(f"e.{c}" for c in ENTRY_COLUMNS)
    yield from db.stream(
        f"SELECT {columns}, p.line, p.account, p.amount FROM {source}"
        " JOIN ledger_postings p ON p.entry_id = e.entry_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY e.position, e.entry_id, p.line", params)


def stream_entries(db: Database, **filters: Any) -> Iterator[dict[str, Any]]:
    """Whole entries (as in a page) from `stream_postings`, one at a time."""
    current: dict[str, Any] | None = None
    postings: list[dict[str, Any]] = []
    for row in stream_postings(db, **filters):
        if current is None or row["entry_id"] != current["entry_id"]:
            if current is not None:
                yield entry_dict(current, postings)
            current, postings = row, []
        postings.append({"account": row["account"], "amount": int(row["amount"])})
    if current is not None:
        yield entry_dict(current, postings)
