"""The FastAPI application: routers, problem handlers, correlation ids, background work."""

from __future__ import annotations

import functools
import itertools
import logging
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api import console, openapi, problems, recent_errors
from api.metrics import (PURCHASE_ROUTE, RequestMetrics, count_admission, count_outcome, metrics_response,
                         observe_request, register_plain_route)
from api.auth import TokenVerifier, prepare_scope
from api.bootstrap import Services, build_services
from api.problems import Problem
from api.scope import header
from api.limits import RequestLimits, read_body, replay
from api.process_tuning import tune_gc
from api.logs import configure_logging, correlation_id
from api.routers import (admission, codes, creators, finance, livekit, payouts, period_close, purchase,
                         reconciliation, rooms, system, tickets, tiers, waitlist, webhook_endpoints, webhooks)
from api.settings import Settings
from projections.queries import operations

log = logging.getLogger("boxoffice.api")


class Sweeper:
    """Releases expired holds now and then (and retries what is due)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._services.settings.sweep_interval_seconds):
            try:
                released = self._services.app.expire_holds()
                if released:
                    log.info("released %d expired holds", released)
                expired = self._services.app.expire_offers()  # each seat goes to the next in line
                if expired:
                    log.info("expired %d waitlist offers", expired)
            except Exception:
                log.exception("hold sweep failed; will try again")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


_ID_PREFIX = os.urandom(8).hex()  # this process's
_ID_COUNTER = itertools.count(1)


def _next_id() -> str:
    """A correlation id unique across processes: a random per-process prefix and a counter
    (32 hex characters like a UUID; a uuid4 per request cost a getrandom call each)."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def request_id(scope: Scope) -> str:
    """The caller's X-Request-ID, or a new correlation id."""
    given = header(scope, b"x-request-id")
    return given.decode("latin-1") if given else _next_id()


SANDBOX_MARKER = (b"x-boxoffice-sandbox", b"true; payments are simulated, no money moves")


def marker_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """Headers every response carries: on the sandbox gateway, a marker saying no money moves."""
    state = scope["app"].state
    return getattr(state, "marker_headers", [])


class CorrelationIdMiddleware:
    """Every request gets a correlation id (X-Request-ID, echoed back) for logs and problems.

    Plain ASGI: Starlette's BaseHTTPMiddleware costs an extra task and stream per request.
    """

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = request_id(scope)
        scope.setdefault("state", {})["correlation_id"] = cid
        token = correlation_id.set(cid)

        marks = marker_headers(scope)

        async def send_with_id(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", cid.encode("latin-1")))
                headers.extend(marks)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)


class HotPaths:
    """Answers the two highest-rate requests before the rest of the middleware stack:
    admission checks (media servers) and `/healthz` (load balancers); passes everything
    else on.

    The general machinery a request crosses (exception middleware, exit stacks, route
    matching over every route) costs more than either answer. Added as the outermost
    user middleware, inside FastAPI's error and body-limit layers, so an unexpected
    error is still a logged 500 problem. What a client sees is what the router would
    give: the decision, problem responses for 401/403, the X-Request-ID echo. Serving
    `/healthz` at the same layer keeps the admission benchmark's baseline like for like.
    """

    ADMISSION = re.compile(r"/v1/rooms/([^/]+)/admissions/([^/]+)")
    PURCHASE = re.compile(r"/v1/rooms/([^/]+)/tickets")
    HEALTHY = b'{"status":"ok"}'

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            if scope["type"] == "http" and scope["method"] == "POST" and (
                    match := self.PURCHASE.fullmatch(scope["path"])) is not None:
                scope["path_params"], scope["endpoint"] = {"room_id": match[1]}, purchase.serve_purchase
                await serve_purchase_scope(scope, receive, send)  # not by the router
                return
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        match = None if path == "/healthz" else self.ADMISSION.fullmatch(path)
        if match is None and path != "/healthz":
            await self.app(scope, receive, send)
            return
        cid = request_id(scope)
        body = self.HEALTHY
        if match is not None:
            state = scope["app"].state  # set by the lifespan; looked up once per request, not per use
            try:
                if state.token_verifier.fetches:  # a JWKS fetch never blocks the event loop
                    await prepare_scope(scope, state.token_verifier)
                body = admission.decide(scope, match[1], match[2], verifier=state.token_verifier,
                                        index=state.admission_index)
                count_admission(body)
            except Problem as exc:
                scope.setdefault("state", {})["correlation_id"] = cid
                response = problems.problem_response(Request(scope), exc.code, exc.detail, exc.status, exc.headers,
                                                     **exc.extra)
                response.headers["x-request-id"] = cid
                response.raw_headers.extend(marker_headers(scope))
                await response(scope, receive, send)
                return
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
            (b"x-request-id", cid.encode("latin-1")), *marker_headers(scope)]})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})


async def serve_purchase_scope(scope: Scope, receive: Receive, send: Send) -> None:
    """`POST /v1/rooms/{room_id}/tickets` (HotPaths), answered as the router would answer it.

    What the three middlewares do for every other request (a correlation id, echoed back with
    the sandbox marker; the body's size and nesting limits; the latency histogram and the
    purchase outcome counter) is done here in one frame, and the exception middleware, exit
    stack, route matching and request wrapper are skipped: around a flash sale's purchase they
    cost about as much as the route itself. The app's exception handlers turn a refusal into
    the same problem document; an error they do not name (a 500) goes up to FastAPI's
    server-error layer, as from the router, and is counted as one."""
    started = time.perf_counter()
    cid = request_id(scope)
    scope.setdefault("state", {})["correlation_id"] = cid
    token = correlation_id.set(cid)
    status, answer = 500, b""
    try:
        body, refusal = await read_body(scope, receive, scope["app"].state.services.settings.max_body_bytes)
        if refusal is not None:
            response = refusal
        elif body is None:  # the client went away mid-body: nothing to answer
            status = 499
            return
        else:
            request = Request(scope, replay(body, receive))
            try:
                response = await purchase.serve_purchase(request)
            except Exception as exc:
                handler = next((h for cls in type(exc).__mro__ if cls is not Exception
                                and (h := scope["app"].exception_handlers.get(cls)) is not None), None)
                if handler is None:
                    raise
                response = await handler(request, exc)
        status = response.status_code
        if status >= 400:
            answer = getattr(response, "body", b"")
        response.raw_headers.append((b"x-request-id", cid.encode("latin-1")))
        response.raw_headers.extend(marker_headers(scope))
        await response(scope, receive, send)
    finally:
        correlation_id.reset(token)
        observe_request("POST", PURCHASE_ROUTE[1], status, time.perf_counter() - started)
        if status != 499:
            count_outcome(*PURCHASE_ROUTE, status, answer)


def create_app(services: Services | None = None, settings: Settings | None = None, *, background: bool = True,
               served: bool = False) -> FastAPI:
    """`served`: the process serves this app until it exits (api/asgi.py): its start-up objects are
    frozen for the garbage collector (api/process_tuning.py)."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal services
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = 128
        owned = services is None
        if services is None:
            services = build_services(settings or Settings())
        configure_logging(services.settings.log_level)
        services.keys.seal_at_rest()  # a keyring stored in plain text by an older version
        app.state.services = services
        app.state.token_verifier = TokenVerifier(services.settings)
        app.state.marker_headers = [SANDBOX_MARKER] if services.gateway.name == "sandbox" else []
        app.state.admission_index = services.admission_index
        projector, tail = services.projector, services.admission_tail
        console.start(app, app.state.token_verifier)
        recent_errors.install()
        sweeper = Sweeper(services)
        tail.load_snapshot()
        tail.catch_up()
        if served:
            tune_gc()
        if background:
            tail.start()
            if services.settings.projector == "inline":
                projector.start()
            else:  # `boxoffice project run` projects; this process only follows its position
                projector.follow()
            sweeper.start()
            if services.pacer is not None:  # creates the PaymentIntents of seats queued for Stripe's rate
                services.pacer.start()
            if services.settings.reactors == "inline":  # else `boxoffice reactors run` does
                services.reactors.start()
        log.info("boxoffice ready", extra={"payment_gateway": services.gateway.name,
                                           "database": services.settings.database_url.split("@")[-1]})
        try:
            yield
        finally:
            if background and services.pacer is not None:
                services.pacer.stop()
            if background:
                sweeper.stop()
                services.reactors.stop()
                projector.stop()
                tail.stop()
            if owned:
                services.close()

    app = FastAPI(
        # No OpenTelemetry here: without this FastAPI asks the OTel providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        title="boxoffice",
        version="0.1.0",
        description="Event-sourced ticketing and monetization for live audio rooms.",
        lifespan=lifespan,
    )
    problems.install(app)
    openapi.install(app)  # refusals documented as problems

    app.add_middleware(RequestLimits)  # body size and JSON nesting, before any parser
    app.add_middleware(RequestMetrics)
    app.add_middleware(CorrelationIdMiddleware)
    app.add_middleware(HotPaths)  # added last: outermost of ours

    # The purchase first, as a plain route: the FastAPI route below documents it. GET /healthz and
    # admission checks never reach the router (HotPaths above; the FastAPI routes document them).
    app.router.routes.insert(0, Route("/v1/rooms/{room_id}/tickets", purchase.serve_purchase, methods=["POST"],
                                      include_in_schema=False))
    register_plain_route(purchase.serve_purchase, "/v1/rooms/{room_id}/tickets")
    for module in (system, creators, rooms, tiers, codes, tickets, finance, period_close, payouts, reconciliation,
                   admission, webhooks, livekit, webhook_endpoints, waitlist):
        app.include_router(module.router)
    app.add_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)
    console.install(app)
    return app


def _store_facts(services: Services) -> dict[str, object]:
    """What /metrics reads from the shared store at scrape time (not counted per process)."""
    statuses = services.projector.status()
    head = max((s.head for s in statuses), default=0)
    return {"head": head, "projections": {s.name: (s.position, s.lag) for s in statuses},
            "faults": {s.name: (int(s.stuck), s.fault.attempts if s.fault else 0) for s in statuses},
            "top_rooms": operations.top_rooms(services.db, services.settings.metrics_top_rooms),
            "reactors": {r.name: r.lag() for r in services.reactors.all}}


async def _metrics(request: Request) -> Response:
    """Prometheus exposition (api/metrics.py): BOXOFFICE_METRICS_TOKEN, or loopback outside production."""
    services: Services = request.app.state.services
    return await run_in_threadpool(metrics_response, request, functools.partial(_store_facts, services))
