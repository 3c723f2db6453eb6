"""Payouts and reconciliation runs as read tables."""

from __future__ import annotations

import json
from typing import Any

from api.store.db import Tx
from api.store.guards_sql import to_us


class PayoutsProjection:
    name = "payouts"

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        p, r = f"payouts_view{suffix}", f"reconciliation_runs{suffix}"
        return [
            (p, f"CREATE TABLE {p} (payout_id VARCHAR(36) PRIMARY KEY, creator_id TEXT NOT NULL, currency VARCHAR(3) NOT NULL,"
                " amount BIGINT NOT NULL, period VARCHAR(16) NOT NULL, run_id VARCHAR(36) NOT NULL, destination TEXT,"
                " status VARCHAR(16) NOT NULL, transfer_id TEXT, failure TEXT, scheduled_us BIGINT NOT NULL,"
                " updated_us BIGINT NOT NULL)",
             [f"CREATE INDEX {p}_by_creator ON {p} (creator_id, scheduled_us)", f"CREATE INDEX {p}_by_run ON {p} (run_id)"]),
            (r, f"CREATE TABLE {r} (run_id VARCHAR(36) PRIMARY KEY, recorded_us BIGINT NOT NULL, from_us BIGINT NOT NULL,"
                " to_us BIGINT NOT NULL, requested_by TEXT NOT NULL, clean BOOLEAN NOT NULL, summary TEXT NOT NULL)",
             [f"CREATE INDEX {r}_by_time ON {r} (recorded_us)"]),
        ]

    def apply(self, tx: Tx, e: Any, position: int, suffix: str = "") -> None:
        kind = type(e).__qualname__
        p = f"payouts_view{suffix}"
        oid = str(e.originator_id)
        if kind == "Payout.Scheduled":
            tx.execute(f"INSERT INTO {p} (payout_id, creator_id, currency, amount, period, run_id, destination, status,"
                       " scheduled_us, updated_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       (oid, e.creator_id, e.currency, e.amount, e.period, str(e.run_id), e.destination, "scheduled",
                        to_us(e.at), to_us(e.at)))
        elif kind == "Payout.Submitted":
            tx.execute(f"UPDATE {p} SET status = %s, transfer_id = %s, updated_us = %s WHERE payout_id = %s",
                       ("submitted", e.transfer_id, to_us(e.at), oid))
        elif kind == "Payout.PartiallyReversed":
            tx.execute(f"UPDATE {p} SET updated_us = %s WHERE payout_id = %s", (to_us(e.at), oid))
        elif kind in ("Payout.Paid", "Payout.Failed", "Payout.Cancelled"):
            status = {"Payout.Paid": "paid", "Payout.Failed": "failed", "Payout.Cancelled": "cancelled"}[kind]
            tx.execute(f"UPDATE {p} SET status = %s, failure = %s, updated_us = %s WHERE payout_id = %s",
                       (status, getattr(e, "reason", None), to_us(e.at), oid))
        elif kind == "Reconciliation.Recorded":
            r = f"reconciliation_runs{suffix}"
            tx.execute(f"INSERT INTO {r} (run_id, recorded_us, from_us, to_us, requested_by, clean, summary)"
                       " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                       (oid, to_us(e.at), to_us(e.range_from), to_us(e.range_to), e.requested_by, e.clean,
                        json.dumps(e.summary)))
