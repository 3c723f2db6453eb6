"""Reads of the webhook tables for the API, and the two ways to send again.

Endpoints come from the projector's `webhook_endpoints` table; deliveries and their
attempts from the dispatcher's tables. `retry` and `replay` only make deliveries
due again (status pending, due now): the dispatcher's send half does the sending,
with the same message id and payload, so a receiver that deduplicates on
`webhook-id` sees each message once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from store.db import Database
from store.timecodes import from_us, to_us


def _iso(us: int | None) -> str | None:
    return from_us(us).isoformat() if us is not None else None  # type: ignore[union-attr]


def endpoint_public(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    rotated = row["previous_valid_until_us"]
    return {"id": row["id"], "url": row["url"], "description": row["description"], "events": json.loads(row["events"]),
            "enabled": bool(row["enabled"]), "disabled_reason": row["disabled_reason"],
            "created_by": row["created_by"], "created_at": _iso(row["created_us"]), "updated_at": _iso(row["updated_us"]),
            "previous_secret_valid_until": _iso(rotated) if rotated and rotated > to_us(now) else None}


COLUMNS = ("id, url, description, events, enabled, disabled_reason, created_by, created_us, updated_us,"
           " previous_valid_until_us")


def endpoints(db: Database) -> list[dict[str, Any]]:
    return db.query(f"SELECT {COLUMNS} FROM webhook_endpoints WHERE deleted_position IS NULL ORDER BY created_position")


def endpoint(db: Database, endpoint_id: str) -> dict[str, Any] | None:
    return db.query_one(f"SELECT {COLUMNS} FROM webhook_endpoints WHERE id = %s AND deleted_position IS NULL",
                        (endpoint_id,))


def deliveries(db: Database, endpoint_id: str, *, limit: int, before: int | None, status: str | None
               ) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first; the cursor is the log position of the last one shown."""
    where, params = ["d.endpoint_id = %s"], [endpoint_id]
    if before is not None:
        where.append("d.position < %s")
        params.append(before)
    if status is not None:
        where.append("d.status = %s")
        params.append(status)
    rows = db.query("SELECT d.id, d.message_id, d.position, d.status, d.attempts, d.next_at_us, d.last_status,"
                    " d.last_error, d.created_us, d.delivered_us, m.type, m.created_us AS event_us"
                    " FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id"
                    f" WHERE {' AND '.join(where)} ORDER BY d.position DESC LIMIT %s", (*params, limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    tries: dict[str, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    if rows:
        marks = ", ".join(["%s"] * len(rows))
        for a in db.query(f"SELECT delivery_id, n, at_us, status_code, latency_ms, error FROM webhook_attempts"
                          f" WHERE delivery_id IN ({marks}) ORDER BY delivery_id, n", [r["id"] for r in rows]):
            tries[a["delivery_id"]].append({"n": a["n"], "at": _iso(a["at_us"]), "status_code": a["status_code"],
                                            "latency_ms": a["latency_ms"], "error": a["error"]})
    items = [delivery_public(r, tries[r["id"]]) for r in rows]
    return items, (rows[-1]["position"] if more else None)


def delivery_public(row: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": row["id"], "message_id": row["message_id"], "type": row["type"], "status": row["status"],
            "event_created_at": _iso(row["event_us"]), "created_at": _iso(row["created_us"]),
            "delivered_at": _iso(row["delivered_us"]), "last_status": row["last_status"],
            "last_error": row["last_error"], "attempt_count": row["attempts"], "attempts": attempts,
            "next_try_at": _iso(row["next_at_us"]) if row["status"] == "pending" else None}


def retry(db: Database, endpoint_id: str, delivery_id: str, now: datetime) -> bool:
    """Make one delivery due now (whatever its status); False if it is not this endpoint's."""
    with db.transaction() as tx:
        row = tx.one("UPDATE webhook_deliveries SET status = 'pending', next_at_us = %s WHERE id = %s AND endpoint_id = %s"
                     " RETURNING id", (to_us(now), delivery_id, endpoint_id))
    return row is not None


def replay(db: Database, endpoint_id: str, since: datetime, now: datetime) -> int:
    """Make every delivery of events at or after `since` due now; how many."""
    with db.transaction() as tx:
        rows = tx.all("UPDATE webhook_deliveries SET status = 'pending', next_at_us = %s WHERE endpoint_id = %s"
                      " AND message_id IN (SELECT id FROM webhook_messages WHERE created_us >= %s) RETURNING id",
                      (to_us(now), endpoint_id, to_us(since)))
    return len(rows)
