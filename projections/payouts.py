"""Payouts and reconciliation runs as read tables.

One handler per event kind, below, writing through a `PayoutsView`
(projections/payouts_view.py: PostgreSQL and SQLite). The events are
defined in payouts/model.py, a floor above this one, so they are named by
kind (`Payout.Scheduled`) rather than imported. Imports store/ and this
package only.
"""

from __future__ import annotations

import json
from typing import Any

from store.timecodes import to_us
from projections.payouts_view import PayoutsView, PostgresPayoutsView, SqlitePayoutsView
from projections.projection import Projection, handles

# The events that change a payout's existing row.
UPDATES = frozenset({"Payout.Submitted", "Payout.PartiallyReversed", "Payout.Paid", "Payout.Failed",
                     "Payout.Cancelled"})


class PayoutsProjection(Projection[PayoutsView]):
    name = "payouts"
    views = {"postgresql": PostgresPayoutsView, "sqlite": SqlitePayoutsView}

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

    def prepare(self, view: PayoutsView, events: list[tuple[int, Any]]) -> None:
        view.preload(str(e.originator_id) for _, e in events if type(e).__qualname__ in UPDATES)

    @handles("Payout.Scheduled")
    def scheduled(self, view: PayoutsView, e: Any, pos: int) -> None:
        view.add_payout({"payout_id": str(e.originator_id), "creator_id": e.creator_id, "currency": e.currency,
                         "amount": e.amount, "period": e.period, "run_id": str(e.run_id),
                         "destination": e.destination, "status": "scheduled",
                         "scheduled_us": to_us(e.at), "updated_us": to_us(e.at)})

    @handles("Payout.Submitted")
    def submitted(self, view: PayoutsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is not None:
            row["status"], row["transfer_id"] = "submitted", e.transfer_id

    @handles("Payout.PartiallyReversed")
    def partially_reversed(self, view: PayoutsView, e: Any, pos: int) -> None:
        _changed(view, e)

    @handles("Payout.Paid")
    def paid(self, view: PayoutsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is not None:
            row["status"], row["failure"] = "paid", None

    @handles("Payout.Failed")
    def failed(self, view: PayoutsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is not None:
            row["status"], row["failure"] = "failed", e.reason

    @handles("Payout.Cancelled")
    def cancelled(self, view: PayoutsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is not None:
            row["status"], row["failure"] = "cancelled", e.reason

    @handles("Reconciliation.Recorded")
    def reconciliation_recorded(self, view: PayoutsView, e: Any, pos: int) -> None:
        view.add_run((str(e.originator_id), to_us(e.at), to_us(e.range_from), to_us(e.range_to), e.requested_by,
                      e.clean, json.dumps(e.summary)))


def _changed(view: PayoutsView, e: Any) -> dict[str, Any] | None:
    """The payout's row, its update time moved to the event's."""
    row = view.payout(str(e.originator_id))
    if row is not None:  # Safeguard: a payout's row exists from its first event.
        row["updated_us"] = to_us(e.at)
    return row
