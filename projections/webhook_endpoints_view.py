"""Where the webhook endpoints projection writes: the view interface, and its PostgreSQL and SQLite implementations.

One row per endpoint in `webhook_endpoints` (deleted ones stay, hidden from
the API: see projections/webhook_endpoints.py). The SQL views read the rows a
batch changes in one query and write each once; they share their SQL and
differ by their `Rows` dialect (projections/rows.py). Imports store/ and
this package only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from store.db import Tx
from projections.rows import POSTGRES_ROWS, SQLITE_ROWS, RowCache, Rows

TABLE = "webhook_endpoints"
ENDPOINT_COLUMNS = ("id", "url", "description", "events", "enabled", "disabled_reason", "secret", "previous_secret",
                    "previous_valid_until_us", "created_by", "created_us", "updated_us", "created_position",
                    "deleted_position")


class WebhookEndpointsView(ABC):
    @abstractmethod
    def preload(self, endpoints: Iterable[str]) -> None:
        """These endpoints' rows will be asked for: read them now, together (a hint)."""

    @abstractmethod
    def add_endpoint(self, row: dict[str, Any]) -> None: ...

    @abstractmethod
    def endpoint(self, endpoint_id: str) -> dict[str, Any] | None:
        """The endpoint's row, to change in place (None: unknown)."""

    @abstractmethod
    def flush(self) -> None:
        """Write what the batch changed."""


class SqlWebhookEndpointsView(WebhookEndpointsView):
    sql: Rows

    def __init__(self, tx: Tx, suffix: str = "") -> None:
        self.tx = tx
        self.endpoints = RowCache(self.sql, TABLE + suffix, ("id",), ENDPOINT_COLUMNS)

    def preload(self, endpoints: Iterable[str]) -> None:
        self.endpoints.load(self.tx, [(e,) for e in endpoints])

    def add_endpoint(self, row: dict[str, Any]) -> None:
        self.endpoints.insert(row)

    def endpoint(self, endpoint_id: str) -> dict[str, Any] | None:
        return self.endpoints.changing((endpoint_id,))

    def flush(self) -> None:
        self.endpoints.flush(self.tx)


class PostgresWebhookEndpointsView(SqlWebhookEndpointsView):
    sql = POSTGRES_ROWS


class SqliteWebhookEndpointsView(SqlWebhookEndpointsView):
    sql = SQLITE_ROWS
