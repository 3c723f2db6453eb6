"""Prometheus metrics (library `prometheus-client`), added up across API worker processes.

Several workers (`boxoffice serve --workers N`) each count their own requests; the
client's multiprocess mode keeps each process's values in memory-mapped files under
PROMETHEUS_MULTIPROC_DIR (set by `boxoffice serve` before the workers start), and a
scrape adds them up. Without that variable (one process, tests) the default registry
is used.

Label sets are bounded: outcomes and reasons are fixed codes, routes are templates
(`/v1/rooms/{room_id}`), never raw paths, and seats sold are reported for the top N
rooms only (BOXOFFICE_METRICS_TOP_ROOMS), read from the catalog at scrape time.

Values that live in the database (projection lag, stuck projections, seats sold, reactor positions) are
read when scraped by a collector, once, not counted by every process.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

PURCHASES = Counter("boxoffice_purchases", "Ticket purchases answered, by outcome", ["outcome"])
REFUNDS = Counter("boxoffice_refunds", "Refund requests answered, by outcome", ["outcome"])
ADMISSIONS = Counter("boxoffice_admission_checks", "Admission checks, by decision and reason", ["decision", "reason"])
TOKENS = Counter("boxoffice_admission_tokens_issued", "Admission tokens issued, by role", ["role"])
PAYOUTS = Counter("boxoffice_payouts", "Payouts handled by payout runs, by outcome", ["outcome"])
WEBHOOK_DELIVERIES = Counter("boxoffice_webhook_deliveries", "Outbound webhook delivery attempts, by outcome",
                             ["outcome"])
LATENCY = Histogram("boxoffice_http_request_duration_seconds", "Request latency by route template",
                    ["method", "route", "status_class"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))

_OUTCOME_BY_STATUS = {201: "accepted", 200: "accepted", 402: "declined", 409: "refused", 401: "unauthenticated",
                      403: "forbidden", 404: "not_found", 422: "invalid", 429: "throttled", 503: "unavailable"}


def purchase_outcome(status: int, problem_type: str | None = None) -> str:
    """A fixed code for a purchase answer: the problem type when it is one we know (sold_out, ...)."""
    if problem_type in ("sold_out", "not_on_sale", "already_has_ticket", "payment_declined", "idempotency_conflict",
                        "tier_sold_out", "code_exhausted", "code_invalid"):
        return problem_type
    return _OUTCOME_BY_STATUS.get(status, "error" if status >= 500 else "rejected")


_CHILDREN: dict[tuple[Any, ...], Any] = {}  # (metric, key) -> its labelled child, for the hot paths


def _child(metric: Any, key: Any, *labels: str) -> Any:
    """`metric.labels(*labels)`, looked up once per `key` (labels() validates and hashes every call).
    Keys come from fixed sets (reasons, outcomes, route templates); a bound all the same."""
    child = _CHILDREN.get((metric, key))
    if child is None:
        child = metric.labels(*labels)
        if len(_CHILDREN) < 2048:
            _CHILDREN[(metric, key)] = child
    return child


def count_admission(answer: bytes) -> None:
    """Count one admission answer from its JSON bytes (the hot path keeps answers as bytes):
    two C-level searches and a dict lookup, no parsing."""
    start = answer.find(b'"reason":"')
    if start < 0:
        return
    start += 10
    key = answer[start:answer.find(b'"', start)]
    admit = answer.startswith(b'{"admit":true')
    _child(ADMISSIONS, (admit, key), "admit" if admit else "deny", key.decode("ascii", "replace")[:32]).inc()


# Business outcomes read off the answers of these routes (method, template) -> what to count.
PURCHASE_ROUTE = ("POST", "/v1/rooms/{room_id}/tickets")
REFUND_ROUTE = ("POST", "/v1/tickets/{ticket_id}/refund")
TOKEN_ROUTES = {("POST", "/v1/rooms/{room_id}/admission-token"), ("POST", "/v1/rooms/{room_id}/join")}
PAYOUT_RUN_ROUTE = ("POST", "/v1/payout-runs")
_WATCHED = {PURCHASE_ROUTE, REFUND_ROUTE, PAYOUT_RUN_ROUTE, *TOKEN_ROUTES}


def count_outcome(method: str, template: str, status: int, body: bytes) -> None:
    """Count a business outcome from a watched route's answer (its status and small JSON body)."""
    key = (method, template)
    data: Any = None
    if body and (status >= 400 or key != PURCHASE_ROUTE):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
    problem_type = data.get("type") if isinstance(data, dict) and status >= 400 else None
    if key == PURCHASE_ROUTE:
        outcome = purchase_outcome(status, problem_type)
        _child(PURCHASES, outcome, outcome).inc()
    elif key == REFUND_ROUTE:
        REFUNDS.labels("refunded" if status < 300 else purchase_outcome(status, problem_type)).inc()
    elif key in TOKEN_ROUTES:
        if status < 300 and isinstance(data, dict):
            TOKENS.labels(str(data.get("role") or "unknown")[:16]).inc()
    elif key == PAYOUT_RUN_ROUTE and status == 201 and isinstance(data, dict):
        payouts = data.get("payouts")
        if isinstance(payouts, list):
            for payout in payouts:
                status_of = payout.get("status", "scheduled") if isinstance(payout, dict) else "scheduled"
                PAYOUTS.labels(str(status_of)[:16]).inc()
        elif isinstance(payouts, int) and payouts > 0:
            PAYOUTS.labels("scheduled").inc(payouts)
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            PAYOUTS.labels("error").inc(len(errors))
        elif isinstance(errors, int) and errors > 0:
            PAYOUTS.labels("error").inc(errors)


# Plain Starlette routes (the purchase) leave no `route` in the scope under FastAPI's router: their
# endpoint names their template instead.
_PLAIN_TEMPLATES: dict[object, str] = {}


def register_plain_route(endpoint: object, template: str) -> None:
    _PLAIN_TEMPLATES[endpoint] = template


def _template(scope: Scope) -> str | None:
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        template = _PLAIN_TEMPLATES.get(scope.get("endpoint"))
    return template


def observe_request(method: str, template: str, status: int, seconds: float) -> None:
    """One request's latency, by method, route template and status class."""
    _child(LATENCY, (method, template, status // 100), method, template, f"{status // 100}xx").observe(seconds)


class RequestMetrics:
    """Plain ASGI: times every request and labels it with its route template (known after routing);
    counts business outcomes of a few watched routes from their answers."""

    BODY_LIMIT = 65_536  # watched answers are small; never buffer more than this

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]
        body = bytearray()
        watched = [False]

        async def record(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                watched[0] = (scope["method"], _template(scope)) in _WATCHED  # routing is done by now
            elif watched[0] and message["type"] == "http.response.body" and len(body) < self.BODY_LIMIT:
                body.extend(message.get("body", b"")[: self.BODY_LIMIT - len(body)])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            template = _template(scope) or "unmatched"
            method = scope["method"]
            observe_request(method, template, status[0], time.perf_counter() - started)
            if watched[0] or (method, template) in _WATCHED:
                count_outcome(method, template, status[0], bytes(body))


class StoreCollector(Collector):
    """Read at scrape time from the shared database: one answer whatever the number of workers."""

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self._read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            facts = self._read()
        except Exception:  # a scrape must not fail because the store is down: /readyz says so
            up = GaugeMetricFamily("boxoffice_store_up", "1 when the store answered the scrape")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("boxoffice_store_up", "1 when the store answered the scrape")
        up.add_metric([], 1)
        yield up
        lag = GaugeMetricFamily("boxoffice_projection_lag_events", "Events behind the log head", labels=["projection"])
        position = GaugeMetricFamily("boxoffice_projection_position", "Last applied log position",
                                     labels=["projection"])
        for name, (pos, behind) in facts.get("projections", {}).items():
            lag.add_metric([name], behind)
            position.add_metric([name], pos)
        yield lag
        yield position
        stuck = GaugeMetricFamily("boxoffice_projection_stuck", "1 when the projection cannot apply the event after"
                                  " its position (it stays there; /readyz names it)", labels=["projection"])
        failures = GaugeMetricFamily("boxoffice_projection_failed_attempts", "Failures in a row at the projection's"
                                     " position (0: it is not failing)", labels=["projection"])
        for name, (is_stuck, attempts) in facts.get("faults", {}).items():
            stuck.add_metric([name], is_stuck)
            failures.add_metric([name], attempts)
        yield stuck
        yield failures
        head = GaugeMetricFamily("boxoffice_log_head", "The event log's last position")
        head.add_metric([], facts.get("head", 0))
        yield head
        sold = GaugeMetricFamily("boxoffice_room_seats_sold", "Paid seats of the best-selling open rooms (top N)",
                                 labels=["room_id"])
        for room_id, count in facts.get("top_rooms", []):
            sold.add_metric([room_id], count)
        yield sold
        reactors = GaugeMetricFamily("boxoffice_reactor_lag_events", "Events a reactor is behind the log head",
                                     labels=["reactor"])
        for name, behind in facts.get("reactors", {}).items():
            reactors.add_metric([name], behind)
        yield reactors


def render(store_facts: Callable[[], dict[str, Any]]) -> tuple[bytes, str]:
    """The exposition text: this process's (or every worker's) counters plus the store's gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        for collector in list(REGISTRY._collector_to_names):  # noqa: SLF001 - the default registry's own metrics
            registry.register(collector)
    registry.register(StoreCollector(store_facts))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def allowed(request: Request, token: str | None, environment: str) -> bool:
    """With BOXOFFICE_METRICS_TOKEN: that bearer token only. Without it: loopback callers outside production."""
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if environment == "production":
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("testclient", "localhost")


def metrics_response(request: Request, store_facts: Callable[[], dict[str, Any]]) -> Response:
    settings = request.app.state.services.settings
    if not allowed(request, settings.metrics_token, settings.environment):
        return Response(b'{"type":"not_found","title":"Not found","status":404,"detail":"no such page"}',
                        status_code=404, media_type="application/problem+json")
    body, content_type = render(store_facts)
    return Response(body, media_type=content_type)
