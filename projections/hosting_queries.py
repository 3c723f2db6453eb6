"""How many rooms a host took live lately: the `rooms_hosted_30d` eligibility rule reads it
from the catalog (the domain never queries tables; the API passes the number in)."""

from __future__ import annotations

from datetime import datetime, timedelta

from store.db import Database
from store.timecodes import to_us

WINDOW = timedelta(days=30)


def rooms_hosted_since(db: Database, host_id: str, now: datetime, window: timedelta = WINDOW) -> int:
    row = db.query_one("SELECT COUNT(*) AS n FROM rooms_view WHERE host_id = %s AND started_us >= %s",
                       (host_id, to_us(now - window)))
    return int(row["n"]) if row else 0
