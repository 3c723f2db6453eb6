"""Payouts and reconciliation runs as read tables."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from store.db import Tx
from store.timecodes import to_us
from projections.rows import RowCache, insert_many


class PayoutsProjection:
    name = "payouts"
    handles: ClassVar[frozenset[str]]  # set below, from the kinds apply_batch dispatches on

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

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        self.apply_batch(tx, [(position, event)], suffix)

    def apply_batch(self, tx: Tx, events: list[tuple[int, Any]], suffix: str = "") -> None:
        """A payout's row, written once per batch: a run's thousands of Scheduled and Submitted
        events cost a COPY and one UPDATE per payout, not a statement per event."""
        payouts = RowCache(f"payouts_view{suffix}", ("payout_id",), PAYOUT_COLUMNS)
        payouts.load(tx, [(str(e.originator_id),) for _, e in events if type(e).__qualname__ in _UPDATES])
        runs: list[tuple[Any, ...]] = []
        for _, e in events:
            kind = type(e).__qualname__
            key = (str(e.originator_id),)
            if kind == "Payout.Scheduled":
                payouts.insert({"payout_id": key[0], "creator_id": e.creator_id, "currency": e.currency,
                                "amount": e.amount, "period": e.period, "run_id": str(e.run_id),
                                "destination": e.destination, "status": "scheduled",
                                "scheduled_us": to_us(e.at), "updated_us": to_us(e.at)})
            elif kind == "Reconciliation.Recorded":
                runs.append((key[0], to_us(e.at), to_us(e.range_from), to_us(e.range_to), e.requested_by, e.clean,
                             json.dumps(e.summary)))
            elif (row := payouts.get(key)) is not None:  # Safeguard: a payout's row exists from its first event.
                row["updated_us"] = to_us(e.at)
                if kind == "Payout.Submitted":
                    row["status"], row["transfer_id"] = "submitted", e.transfer_id
                elif kind in _FINAL:
                    row["status"], row["failure"] = _FINAL[kind], getattr(e, "reason", None)
                payouts.touch(key)
        payouts.flush(tx)
        insert_many(tx, f"reconciliation_runs{suffix}", RUN_COLUMNS, runs)


PAYOUT_COLUMNS = ("payout_id", "creator_id", "currency", "amount", "period", "run_id", "destination", "status",
                  "transfer_id", "failure", "scheduled_us", "updated_us")
RUN_COLUMNS = ("run_id", "recorded_us", "from_us", "to_us", "requested_by", "clean", "summary")
_FINAL = {"Payout.Paid": "paid", "Payout.Failed": "failed", "Payout.Cancelled": "cancelled"}
_UPDATES = {"Payout.Submitted", "Payout.PartiallyReversed", *_FINAL}
PayoutsProjection.handles = frozenset({"Payout.Scheduled", "Reconciliation.Recorded", *_UPDATES})
