"""Integrators' webhook endpoints as a read table, kept by the projector.

The API lists endpoints from here, and the webhook dispatcher decides who gets
an event from here: it never reads past this projection's position, and an
endpoint receives the events after the one that registered it and before the
one that deleted it (`created_position`, `deleted_position`). Deleted endpoints
stay as rows (hidden from the API) so that rule holds for events still queued.

One handler per event kind, below, writing through a `WebhookEndpointsView`
(projections/webhook_endpoints_view.py: PostgreSQL and SQLite). Imports
domain/, store/ and this package only.
"""

from __future__ import annotations

import json
from typing import Any

from store.timecodes import to_us
from domain.webhooks.model import WebhookEndpoint
from projections.projection import Projection, handles
from projections.webhook_endpoints_view import (
    TABLE,
    PostgresWebhookEndpointsView,
    SqliteWebhookEndpointsView,
    WebhookEndpointsView,
)


class WebhookEndpointsProjection(Projection[WebhookEndpointsView]):
    name = "webhook_endpoints"
    views = {"postgresql": PostgresWebhookEndpointsView, "sqlite": SqliteWebhookEndpointsView}

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        t = TABLE + suffix
        return [(t, f"CREATE TABLE {t} (id VARCHAR(36) PRIMARY KEY, url TEXT NOT NULL, description TEXT NOT NULL,"
                    " events TEXT NOT NULL, enabled BOOLEAN NOT NULL, disabled_reason TEXT, secret TEXT NOT NULL,"
                    " previous_secret TEXT, previous_valid_until_us BIGINT, created_by TEXT NOT NULL,"
                    " created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL, created_position BIGINT NOT NULL,"
                    " deleted_position BIGINT)", [])]

    def prepare(self, view: WebhookEndpointsView, events: list[tuple[int, Any]]) -> None:
        view.preload(str(e.originator_id) for _, e in events if type(e).__qualname__ in _CHANGES)

    @handles(WebhookEndpoint.Registered)
    def registered(self, view: WebhookEndpointsView, e: Any, pos: int) -> None:
        at = to_us(e.at)
        view.add_endpoint({"id": str(e.originator_id), "url": e.url, "description": e.description,
                           "events": json.dumps(list(e.events)), "enabled": True, "secret": e.secret,
                           "created_by": e.created_by, "created_us": at, "updated_us": at, "created_position": pos})

    @handles(WebhookEndpoint.Changed)
    def changed(self, view: WebhookEndpointsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is None:  # Safeguard, should never happen: Changed always follows Registered.
            return
        if e.url:
            row["url"] = e.url
        if e.description is not None:
            row["description"] = e.description
        if e.events is not None:
            row["events"] = json.dumps(list(e.events))
        if e.enabled is not None:
            row["enabled"] = bool(e.enabled)
            row["disabled_reason"] = None if e.enabled else "disabled by an administrator"

    @handles(WebhookEndpoint.SecretRotated)
    def secret_rotated(self, view: WebhookEndpointsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is not None:
            row.update(secret=e.secret, previous_secret=e.previous_secret,
                       previous_valid_until_us=to_us(e.previous_valid_until))

    @handles(WebhookEndpoint.Disabled)
    def disabled(self, view: WebhookEndpointsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is not None:
            row.update(enabled=False, disabled_reason=e.reason)

    @handles(WebhookEndpoint.Deleted)
    def deleted(self, view: WebhookEndpointsView, e: Any, pos: int) -> None:
        if (row := _changed(view, e)) is not None:
            row.update(enabled=False, deleted_position=pos)


_CHANGES = frozenset(k.__qualname__ for k in (WebhookEndpoint.Changed, WebhookEndpoint.SecretRotated,
                                              WebhookEndpoint.Disabled, WebhookEndpoint.Deleted))


def _changed(view: WebhookEndpointsView, e: Any) -> dict[str, Any] | None:
    """The endpoint's row, its update time moved to the event's."""
    row = view.endpoint(str(e.originator_id))
    if row is not None:
        row["updated_us"] = to_us(e.at)
    return row
