"""Integrators' webhook endpoints as a read table, kept by the projector.

The API lists endpoints from here, and the webhook dispatcher decides who gets
an event from here: it never reads past this projection's position, and an
endpoint receives the events after the one that registered it and before the
one that deleted it (`created_position`, `deleted_position`). Deleted endpoints
stay as rows (hidden from the API) so that rule holds for events still queued.
"""

from __future__ import annotations

import json
from typing import Any

from store.db import Tx
from store.timecodes import to_us

TABLE = "webhook_endpoints"


class WebhookEndpointsProjection:
    name = "webhook_endpoints"
    handles = frozenset({"WebhookEndpoint.Registered", "WebhookEndpoint.Changed", "WebhookEndpoint.SecretRotated",
                         "WebhookEndpoint.Disabled", "WebhookEndpoint.Deleted"})

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        t = TABLE + suffix
        return [(t, f"CREATE TABLE {t} (id VARCHAR(36) PRIMARY KEY, url TEXT NOT NULL, description TEXT NOT NULL,"
                    " events TEXT NOT NULL, enabled BOOLEAN NOT NULL, disabled_reason TEXT, secret TEXT NOT NULL,"
                    " previous_secret TEXT, previous_valid_until_us BIGINT, created_by TEXT NOT NULL,"
                    " created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL, created_position BIGINT NOT NULL,"
                    " deleted_position BIGINT)", [])]

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        kind = type(event).__qualname__
        if kind not in self.handles:  # a batch carries every projection's events
            return
        t = TABLE + suffix
        eid = str(event.originator_id)
        at = to_us(event.at)
        if kind == "WebhookEndpoint.Registered":
            tx.execute(f"INSERT INTO {t} (id, url, description, events, enabled, secret, created_by, created_us,"
                       " updated_us, created_position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       (eid, event.url, event.description, json.dumps(list(event.events)), True, event.secret,
                        event.created_by, at, at, position))
        elif kind == "WebhookEndpoint.Changed":
            row = tx.one(f"SELECT url, description, events, enabled, disabled_reason FROM {t} WHERE id = %s", (eid,))
            if row is None:  # Safeguard, should never happen: Changed always follows Registered.
                return
            enabled = bool(row["enabled"]) if event.enabled is None else event.enabled
            reason = row["disabled_reason"] if event.enabled is None else (
                None if event.enabled else "disabled by an administrator")
            tx.execute(f"UPDATE {t} SET url = %s, description = %s, events = %s, enabled = %s, disabled_reason = %s,"
                       " updated_us = %s WHERE id = %s",
                       (event.url or row["url"], row["description"] if event.description is None else event.description,
                        row["events"] if event.events is None else json.dumps(list(event.events)), enabled, reason,
                        at, eid))
        elif kind == "WebhookEndpoint.SecretRotated":
            tx.execute(f"UPDATE {t} SET secret = %s, previous_secret = %s, previous_valid_until_us = %s, updated_us = %s"
                       " WHERE id = %s", (event.secret, event.previous_secret, to_us(event.previous_valid_until), at,
                                          eid))
        elif kind == "WebhookEndpoint.Disabled":
            tx.execute(f"UPDATE {t} SET enabled = %s, disabled_reason = %s, updated_us = %s WHERE id = %s",
                       (False, event.reason, at, eid))
        elif kind == "WebhookEndpoint.Deleted":
            tx.execute(f"UPDATE {t} SET enabled = %s, deleted_position = %s, updated_us = %s WHERE id = %s",
                       (False, position, at, eid))
