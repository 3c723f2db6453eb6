"""The webhook dispatcher: the event log -> signed deliveries to integrators' endpoints.

Enqueue half (exactly once): for each log event the registry maps to a webhook
event (integrations/webhook_events.py), one `webhook_messages` row (the payload,
fixed at enqueue so every retry sends the same bytes) and one `webhook_deliveries`
row per endpoint subscribed at that point of the log, written with the reactor's
position in one transaction. The dispatcher never reads past the projector's
`webhook_endpoints` position, so it never misses an endpoint registered earlier.

Send half (at least once): due deliveries, oldest first, none while an earlier
delivery with the same ordering key (the room) to the same endpoint is still
pending, so a receiver that keeps up sees a room's events in order. Each try is
logged in `webhook_attempts`. A non-2xx answer or a timeout is retried after the
next delay of BOXOFFICE_WEBHOOK_RETRY_SCHEDULE, then the delivery is `failed`.
410 Gone disables the endpoint at once; an endpoint failing without a single
success for BOXOFFICE_WEBHOOK_DISABLE_AFTER_DAYS is disabled (an event, so
finance sees it on the endpoint).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.clock import Clock
from integrations import webhook_sender
from integrations.reactor import LogReactor
from integrations.ssrf import UnsafeURLError, check_url
from integrations.webhook_events import matching, sources
from store.db import Database, Tx
from store.timecodes import from_us, to_us

log = logging.getLogger(__name__)

LEASE_MARGIN = timedelta(seconds=30)


def message_id_for(position: int) -> str:
    return "msg_" + uuid5(NAMESPACE_URL, f"boxoffice:webhook:{position}").hex


def _moment(event: Any) -> datetime:
    for name in ("at", "opened_at", "paid_at"):
        value = getattr(event, name, None)
        if isinstance(value, datetime):
            return value
    return event.timestamp


class WebhookDispatcher(LogReactor):
    name = "webhooks"
    handles = sources()

    def __init__(self, app: Any, db: Database, clock: Clock, *, schedule: Sequence[float], timeout: float,
                 disable_after: timedelta, environment: str, batch_size: int = 500, send_batch: int = 20,
                 observe: Callable[[str], None] | None = None) -> None:
        super().__init__(app.recorder, app.mapper, db, batch_size=batch_size)
        self.observe = observe  # told each attempt's outcome (the metrics counter); never raises into delivery
        self.app = app
        self.clock = clock
        self.schedule = list(schedule)
        self.timeout = timeout
        self.disable_after = disable_after
        self.environment = environment
        self.send_batch = send_batch

    # --- enqueue ------------------------------------------------------------------

    def upper_bound(self, tx: Tx) -> int | None:
        row = tx.one("SELECT position FROM projection_positions WHERE name = 'webhook_endpoints'")
        return int(row["position"]) if row else 0

    def interested(self, tx: Tx) -> bool:
        """Only enabled endpoints receive anything: with none, events are not even decoded."""
        return tx.one("SELECT 1 AS one FROM webhook_endpoints WHERE enabled LIMIT 1") is not None

    def react(self, tx: Tx, events: Sequence[tuple[int, Any]]) -> None:
        endpoints = [(r["id"], set(json.loads(r["events"])), bool(r["enabled"]), int(r["created_position"]),
                      r["deleted_position"]) for r in tx.all(
            "SELECT id, events, enabled, created_position, deleted_position FROM webhook_endpoints")]
        if not endpoints:
            return
        now = to_us(self.clock.now())
        for position, event in events:
            entry = matching(event)
            if entry is None:
                continue
            targets = [eid for eid, types, enabled, created, deleted in endpoints
                       if enabled and entry.name in types and created < position and (deleted is None or deleted > position)]
            if not targets:
                continue
            aggregate = self.app.uow.load(Aggregate, event.originator_id, "aggregate", version=event.originator_version)
            message_id = message_id_for(position)
            created = _moment(event)
            payload = json.dumps({"id": message_id, "type": entry.name, "created_at": created.isoformat(),
                                  "data": entry.data(aggregate)}, separators=(",", ":"))
            order_key = entry.order_key(event)
            tx.execute("INSERT INTO webhook_messages (id, position, type, order_key, created_us, payload)"
                       " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                       (message_id, position, entry.name, order_key, to_us(created), payload))
            tx.executemany("INSERT INTO webhook_deliveries (id, endpoint_id, message_id, position, order_key, status,"
                           " attempts, next_at_us, created_us) VALUES (%s, %s, %s, %s, %s, 'pending', 0, %s, %s)"
                           " ON CONFLICT (endpoint_id, message_id) DO NOTHING",
                           [(str(uuid5(NAMESPACE_URL, f"{message_id}:{eid}")), eid, message_id, position, order_key,
                             now, now) for eid in targets])

    # --- send ---------------------------------------------------------------------

    def _claim(self, now: datetime) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            lock = " FOR UPDATE OF d SKIP LOCKED" if tx.dialect == "postgresql" else ""
            rows = tx.all(
                "SELECT d.id, d.endpoint_id, d.message_id, d.attempts, m.payload, e.url, e.secret, e.previous_secret,"
                " e.previous_valid_until_us FROM webhook_deliveries d"
                " JOIN webhook_messages m ON m.id = d.message_id JOIN webhook_endpoints e ON e.id = d.endpoint_id"
                " WHERE d.status = 'pending' AND d.next_at_us <= %s AND e.enabled AND NOT EXISTS ("
                "  SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key"
                "  AND p.status = 'pending' AND p.position < d.position)"
                " ORDER BY d.position LIMIT %s" + lock, (to_us(now), self.send_batch))
            lease = to_us(now + timedelta(seconds=self.timeout) + LEASE_MARGIN)
            for row in rows:
                tx.execute("UPDATE webhook_deliveries SET next_at_us = %s WHERE id = %s", (lease, row["id"]))
        return rows

    def send_due(self) -> int:
        now = self.clock.now()
        rows = self._claim(now)
        if not rows:
            return 0
        disabled: set[str] = set()
        with webhook_sender.new_client(self.timeout) as client:
            for row in rows:
                if row["endpoint_id"] in disabled:  # disabled a moment ago: the rest waits, due again if re-enabled
                    with self.db.transaction() as tx:
                        tx.execute("UPDATE webhook_deliveries SET next_at_us = %s WHERE id = %s", (to_us(now), row["id"]))
                    continue
                attempt = self._attempt(client, row, now)
                self._observe(attempt)
                if self._record(row, attempt, self.clock.now()):
                    disabled.add(row["endpoint_id"])
        return len(rows)

    def _attempt(self, client: Any, row: dict[str, Any], now: datetime) -> webhook_sender.Attempt:
        try:
            check_url(row["url"], self.environment)
        except UnsafeURLError as exc:
            return webhook_sender.Attempt(None, 0, f"refused: {exc}")
        secrets = [row["secret"]]
        if row["previous_secret"] and (row["previous_valid_until_us"] or 0) > to_us(now):
            secrets.append(row["previous_secret"])
        headers = webhook_sender.signature_headers(row["message_id"], now, row["payload"], secrets)
        return webhook_sender.send(client, row["url"], row["payload"], headers)

    def _observe(self, attempt: webhook_sender.Attempt) -> None:
        if self.observe is None:
            return
        if attempt.ok:
            outcome = "delivered"
        elif attempt.status_code is None:
            outcome = "timeout_or_network"
        elif attempt.status_code == 410:
            outcome = "gone"
        else:
            outcome = f"http_{attempt.status_code // 100}xx"
        try:
            self.observe(outcome)
        except Exception:  # a metrics failure never stops a delivery
            log.exception("webhook metrics observer failed")

    def _record(self, row: dict[str, Any], attempt: webhook_sender.Attempt, now: datetime) -> bool:
        """Log the attempt and move the delivery on; True if the endpoint was disabled."""
        n = int(row["attempts"]) + 1
        disable: str | None = None
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO webhook_attempts (delivery_id, n, at_us, status_code, latency_ms, error)"
                       " VALUES (%s, %s, %s, %s, %s, %s)",
                       (row["id"], n, to_us(now), attempt.status_code, attempt.latency_ms, attempt.error))
            if attempt.ok:
                tx.execute("UPDATE webhook_deliveries SET status = 'delivered', attempts = %s, last_status = %s,"
                           " last_error = NULL, delivered_us = %s, next_at_us = NULL WHERE id = %s",
                           (n, attempt.status_code, to_us(now), row["id"]))
                self._health(tx, row["endpoint_id"], now, ok=True)
                return False
            self.last_error = f"{row['url']}: {attempt.error}"
            retry = n <= len(self.schedule) and attempt.status_code != 410
            next_at = to_us(now + timedelta(seconds=self.schedule[n - 1])) if retry else None
            tx.execute("UPDATE webhook_deliveries SET status = %s, attempts = %s, last_status = %s, last_error = %s,"
                       " next_at_us = %s WHERE id = %s",
                       ("pending" if retry else "failed", n, attempt.status_code, attempt.error, next_at, row["id"]))
            failing_since = self._health(tx, row["endpoint_id"], now, ok=False)
            if attempt.status_code == 410:
                disable = "the endpoint answered 410 Gone"
            elif now - failing_since >= self.disable_after:
                disable = f"failing since {failing_since.isoformat()} without a successful delivery"
        if disable is None:
            return False
        self.app.disable_webhook_endpoint(UUID(row["endpoint_id"]), disable)
        log.warning("webhook endpoint %s disabled: %s", row["endpoint_id"], disable)
        return True

    @staticmethod
    def _health(tx: Tx, endpoint_id: str, now: datetime, *, ok: bool) -> datetime:
        """Track when the endpoint started failing; returns that moment (now if it just did)."""
        tx.execute("INSERT INTO webhook_endpoint_health (endpoint_id) VALUES (%s) ON CONFLICT (endpoint_id) DO NOTHING",
                   (endpoint_id,))
        if ok:
            tx.execute("UPDATE webhook_endpoint_health SET failing_since_us = NULL, last_success_us = %s"
                       " WHERE endpoint_id = %s", (to_us(now), endpoint_id))
            return now
        tx.execute("UPDATE webhook_endpoint_health SET failing_since_us = COALESCE(failing_since_us, %s)"
                   " WHERE endpoint_id = %s", (to_us(now), endpoint_id))
        row = tx.one("SELECT failing_since_us FROM webhook_endpoint_health WHERE endpoint_id = %s", (endpoint_id,))
        return from_us(row["failing_since_us"]) if row else now  # type: ignore[return-value,index]

    def status(self) -> dict[str, Any]:
        counts = {r["status"]: int(r["n"]) for r in self.db.query(
            "SELECT status, COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'delivered' GROUP BY status")}
        retrying = self.db.query_one(
            "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending' AND attempts > 0")
        disabled = self.db.query_one("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE deleted_position IS NULL"
                                     " AND NOT enabled")
        return {**super().status(), "pending": counts.get("pending", 0), "retrying": int(retrying["n"]),
                "failed": counts.get("failed", 0), "disabled_endpoints": int(disabled["n"])}
