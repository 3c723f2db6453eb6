"""Where the payouts projection writes: the view interface, and its PostgreSQL and SQLite implementations.

`PayoutsView` names the operations the handlers of projections/payouts.py
need. A payout's row is written once per batch: a run's thousands of
Scheduled and Submitted events cost a COPY and one UPDATE per payout, not a
statement per event. The SQL views share their SQL and differ by their
`Rows` dialect (projections/rows.py). Imports store/ and this package only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from store.db import Tx
from projections.rows import POSTGRES_ROWS, SQLITE_ROWS, RowCache, Rows

PAYOUT_COLUMNS = ("payout_id", "creator_id", "currency", "amount", "period", "run_id", "destination", "status",
                  "transfer_id", "failure", "scheduled_us", "updated_us")
RUN_COLUMNS = ("run_id", "recorded_us", "from_us", "to_us", "requested_by", "clean", "summary")


class PayoutsView(ABC):
    @abstractmethod
    def preload(self, payouts: Iterable[str]) -> None:
        """These payouts' rows will be asked for: read them now, together (a hint)."""

    @abstractmethod
    def add_payout(self, row: dict[str, Any]) -> None: ...

    @abstractmethod
    def payout(self, payout_id: str) -> dict[str, Any] | None:
        """The payout's row, to change in place (None: unknown)."""

    @abstractmethod
    def add_run(self, row: tuple[Any, ...]) -> None:
        """A reconciliation run (RUN_COLUMNS)."""

    @abstractmethod
    def flush(self) -> None:
        """Write what the batch changed."""


class SqlPayoutsView(PayoutsView):
    """Payouts in `payouts_view`, reconciliation runs in `reconciliation_runs`."""

    sql: Rows

    def __init__(self, tx: Tx, suffix: str = "") -> None:
        self.tx, self.s = tx, suffix
        self.payouts = RowCache(self.sql, f"payouts_view{suffix}", ("payout_id",), PAYOUT_COLUMNS)
        self.runs: list[tuple[Any, ...]] = []

    def preload(self, payouts: Iterable[str]) -> None:
        self.payouts.load(self.tx, [(p,) for p in payouts])

    def add_payout(self, row: dict[str, Any]) -> None:
        self.payouts.insert(row)

    def payout(self, payout_id: str) -> dict[str, Any] | None:
        return self.payouts.changing((payout_id,))

    def add_run(self, row: tuple[Any, ...]) -> None:
        self.runs.append(row)

    def flush(self) -> None:
        self.payouts.flush(self.tx)
        self.sql.insert(self.tx, f"reconciliation_runs{self.s}", RUN_COLUMNS, self.runs)


class PostgresPayoutsView(SqlPayoutsView):
    sql = POSTGRES_ROWS


class SqlitePayoutsView(SqlPayoutsView):
    sql = SQLITE_ROWS
