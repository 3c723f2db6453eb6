"""A local HTTP server that answers the real `stripe` SDK the way Stripe does.

Why: tests never reach Stripe (ARCHITECTURE.md, "Stripe"), yet the gateway
must be exercised through the real SDK, over HTTP, with Stripe's retries,
idempotency keys, Connect scoping and error shapes. `localstripe` covers
neither Connect nor idempotency, so this stand-in does, for the calls our
gateway makes (see ROUTES).

What it guarantees, as Stripe does:
- `Authorization: Bearer sk_test_...` is required (401 otherwise; live keys
  are refused: the stand-in is test mode).
- POSTs with an `Idempotency-Key` are executed once per (Stripe-Account, key):
  the same key and parameters replay the saved status and body with
  `Idempotent-Replayed: true`; the same key with other parameters or another
  endpoint answers 400 `idempotency_error`. Validation errors are not saved.
- `Stripe-Account: acct_...` scopes reads and writes to a connected account;
  objects of other scopes answer 404 `resource_missing`.
- Every answer carries `Request-Id`.

Fault injection models failures *around* Stripe's idempotency layer:
`fail_next` answers a 5xx before executing (a load balancer or a crash
before the write, never saved, so the SDK's retry executes it);
`timeout_next` executes and saves, then answers late (the work was done but
the response lost), so the retry must get the replay and not a duplicate.

Unexpected exceptions in the stand-in are answered as 500 `api_error` AND
recorded in `internal_errors`; `stop()` (or leaving the context manager)
then fails the test, so a bug in the stand-in is never mistaken for a
retryable outage.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import logging
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from tests.stripe_standin.connect import Connect
from tests.stripe_standin.objects import (
    ANY_ACCOUNT,
    API_VERSION,
    Context,
    Store,
    new_id,
)
from tests.stripe_standin.payments import Payments
from tests.stripe_standin.rate_limit import RateLimiter, rate_limited
from tests.stripe_standin.settlement import SettlementCurrency
from tests.stripe_standin.wire import (
    Params,
    StripeError,
    api_error,
    decode_form,
    invalid,
)

log = logging.getLogger(__name__)

Handler = Callable[[Context, Params, dict[str, str]], dict[str, Any]]


class Headers(Protocol):
    """Request headers, looked up case-insensitively (http.server's Message)."""

    def get(self, name: str, /) -> str | None: ...


MAX_IDEMPOTENCY_KEY_LENGTH = 255


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stand-in saw it, for tests to count and inspect."""

    method: str
    path: str
    params: Params
    idempotency_key: str | None
    stripe_account: str | None
    status: int
    request_id: str
    replayed: bool = False
    stripe_version: str | None = None  # the request's Stripe-Version header
    at: float = 0.0  # time.monotonic() when it arrived


@dataclass
class _Fault:
    method: str
    path_prefix: str
    remaining: int
    status: int = 500
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and method == self.method and path.startswith(self.path_prefix)


@dataclass(frozen=True)
class _Saved:
    method: str
    path: str
    params: Params
    status: int
    body: bytes
    request_id: str


@dataclass
class _Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _routes(payments: Payments, connect: Connect, store: Store) -> list[tuple[str, re.Pattern[str], Handler]]:
    """Every endpoint the stand-in models; anything else is Stripe's 404 `Unrecognized request URL`."""

    def retrieve(kind: str) -> Handler:
        return lambda ctx, params, path: store.retrieve(ctx, kind, path["id"], params)

    by_field = lambda name: lambda obj, wanted: obj.get(name) == wanted  # noqa: E731
    table: list[tuple[str, str, Handler]] = [
        ("POST", "/v1/payment_intents", lambda ctx, params, _: payments.create_payment_intent(ctx, params)),
        ("GET", "/v1/payment_intents/{id}", retrieve("payment_intent")),
        (
            "POST",
            "/v1/payment_intents/{id}/confirm",
            lambda ctx, params, p: payments.confirm_payment_intent(ctx, p["id"], params),
        ),
        (
            "POST",
            "/v1/payment_intents/{id}/cancel",
            lambda ctx, params, p: payments.cancel_payment_intent(ctx, p["id"], params),
        ),
        ("GET", "/v1/charges/{id}", retrieve("charge")),
        ("POST", "/v1/refunds", lambda ctx, params, _: payments.create_refund(ctx, params)),
        ("GET", "/v1/refunds/{id}", retrieve("refund")),
        ("GET", "/v1/disputes/{id}", retrieve("dispute")),
        (
            "GET",
            "/v1/balance_transactions",
            lambda ctx, params, _: connect.check_payout_filter(ctx, params)
            or store.list_page(
                ctx,
                "balance_transaction",
                "/v1/balance_transactions",
                params,
                {"type": by_field("type"), "source": by_field("source"), "currency": by_field("currency"),
                 "payout": lambda obj, wanted: connect.carried.get(obj["id"]) == wanted},
            ),
        ),
        ("GET", "/v1/balance_transactions/{id}", retrieve("balance_transaction")),
        ("POST", "/v1/accounts", lambda ctx, params, _: connect.create_account(ctx, params)),
        ("GET", "/v1/accounts/{id}", retrieve("account")),
        ("POST", "/v1/account_links", lambda ctx, params, _: connect.create_account_link(ctx, params)),
        ("POST", "/v1/transfers", lambda ctx, params, _: connect.create_transfer(ctx, params)),
        (
            "GET",
            "/v1/transfers",
            lambda ctx, params, _: store.list_page(
                ctx,
                "transfer",
                "/v1/transfers",
                params,
                {"destination": by_field("destination"), "transfer_group": by_field("transfer_group")},
            ),
        ),
        ("GET", "/v1/transfers/{id}", retrieve("transfer")),
        ("POST", "/v1/transfers/{id}/reversals", lambda ctx, params, p: connect.create_reversal(ctx, p["id"], params)),
        ("POST", "/v1/payouts", lambda ctx, params, _: connect.create_payout(ctx, params)),
        (
            "GET",
            "/v1/payouts",
            lambda ctx, params, _: store.list_page(
                ctx, "payout", "/v1/payouts", params, {"status": by_field("status")}
            ),
        ),
        ("GET", "/v1/payouts/{id}", retrieve("payout")),
        ("GET", "/v1/events/{id}", retrieve("event")),
    ]
    return [
        (method, re.compile("^" + template.replace("{id}", "(?P<id>[^/]+)") + "$"), handler)
        for method, template, handler in table
    ]


class StripeStandIn:
    """Stripe's API on 127.0.0.1, for the real SDK: a context manager, or start()/stop().

    `clock` gives unix seconds (default: the wall clock); `settlement_currency`
    with `exchange_rates` (e.g. "usd", {"eur": "1.0850"}) converts charges in
    other currencies as Stripe does (settlement.py); `enforce_balance`
    makes transfers and payouts fail with `balance_insufficient` when the
    scope's balance is short, as in Stripe (off by default: in Stripe's test
    mode card funds are pending for days, which few tests care about).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], int] | None = None,
        api_version: str = API_VERSION,
        enforce_balance: bool = False,
        settlement_currency: str | None = None,
        exchange_rates: Mapping[str, str] | None = None,
        rate_limit: float | None = None,
    ) -> None:
        self.store = Store(
            clock=clock or (lambda: int(time.time())), api_version=api_version, enforce_balance=enforce_balance,
            settlement=SettlementCurrency(settlement_currency, dict(exchange_rates or {})),
        )
        self.payments = Payments(self.store)
        self.connect = Connect(self.store, link_base=lambda: self.url)
        self._api_version = api_version
        self._routes = _routes(self.payments, self.connect, self.store)
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._saved: dict[tuple[str | None, str], _Saved] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.internal_errors: list[str] = []
        # Stripe's limiter: `rate_limit` operations/s (live 100, test mode 25); None: unlimited (rate_limit.py).
        self.rate_limiter = RateLimiter(rate_limit) if rate_limit else None

    # ----------------------------------------------------------- lifecycle --

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> StripeStandIn:
        if self._server is not None:
            raise RuntimeError("the stand-in is already started")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _RequestHandler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="stripe-standin"
        )
        self._thread.start()
        return self

    def stop(self, *, check: bool = True) -> None:
        """Stop serving, cut open keep-alive connections and wake delayed answers.

        With `check`, raise if the stand-in failed internally meanwhile: its
        500s looked like a Stripe outage to the SDK, so the test proved nothing.
        """
        server, self._server = self._server, None
        if server is not None:
            self._stopping.set()
            server.shutdown()
            server.close_connections()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
        if check and self.internal_errors:
            raise AssertionError("the Stripe stand-in failed internally:\n" + "\n".join(self.internal_errors))

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(check=exc_type is None)

    # ----------------------------------------------------- inspection API --

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.store.lock:
            return list(self._requests)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Copies of every event recorded so far, oldest first."""
        with self.store.lock:
            return copy.deepcopy(self.store.events)

    def events_since(self, seen: int) -> list[dict[str, Any]]:
        """Copies of the events after the first `seen` (for followers that poll)."""
        with self.store.lock:
            return copy.deepcopy(self.store.events[seen:])

    def events_of(self, type: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == type]

    def objects(self, kind: str, *, account: str | None = ANY_ACCOUNT) -> list[dict[str, Any]]:
        """Copies of every object whose `object` is `kind` ("payment_intent", "transfer", ...).

        `account=None` restricts to the platform, `account="acct_..."` to one
        connected account; by default every scope.
        """
        with self.store.lock:
            return self.store.snapshot(kind, account)

    def get(self, obj_id: str, kind: str) -> dict[str, Any]:
        with self.store.lock:
            obj, _ = self.store.find(obj_id, kind)
            return copy.deepcopy(obj)

    @property
    def rate_limited(self) -> int:
        """How many requests were answered 429 by the rate limiter."""
        return self.rate_limiter.limited if self.rate_limiter is not None else 0

    def balance(self, currency: str = "usd", *, account: str | None = None) -> int:
        """Net sum of the scope's balance transactions, in minor units."""
        with self.store.lock:
            return self.store.balance(account, currency)

    # -------------------------------------------------------- test controls --

    def fail_next(self, method: str, path_prefix: str, status: int = 500, times: int = 1) -> None:
        """The next `times` matching requests answer a Stripe `api_error` without executing."""
        if status < 500:
            raise ValueError("fail_next simulates outages (5xx); use real parameters for 4xx")
        with self.store.lock:
            self._faults.append(_Fault(method.upper(), path_prefix, times, status=status))

    def timeout_next(self, method: str, path_prefix: str, seconds: float, times: int = 1) -> None:
        """The next `times` matching requests execute, then answer `seconds` late."""
        with self.store.lock:
            self._faults.append(_Fault(method.upper(), path_prefix, times, delay=seconds))

    def succeed_payment(self, pi_id: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
        """The customer confirmed on the client and the card was charged."""
        with self.store.lock:
            return self.payments.succeed_payment(pi_id, payment_method)

    def fail_payment(
        self, pi_id: str, code: str = "card_declined", decline_code: str = "generic_decline"
    ) -> dict[str, Any]:
        """The customer confirmed on the client and the card was declined."""
        with self.store.lock:
            return self.payments.fail_payment(pi_id, code, decline_code)

    def next_refund(self, status: str, failure_reason: str | None = None) -> None:
        """The next refund is created `pending`, or `failed` (created, then failed at once)."""
        with self.store.lock:
            self.payments.next_refund(status, failure_reason)

    def fail_refund(self, refund_id: str, failure_reason: str = "expired_or_canceled_card") -> dict[str, Any]:
        with self.store.lock:
            return self.payments.fail_refund(refund_id, failure_reason)

    def succeed_refund(self, refund_id: str) -> dict[str, Any]:
        with self.store.lock:
            return self.payments.succeed_refund(refund_id)

    def dispute(self, charge_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        with self.store.lock:
            return self.payments.dispute(charge_id, reason)

    def close_dispute(self, dispute_id: str, won: bool) -> dict[str, Any]:
        with self.store.lock:
            return self.payments.close_dispute(dispute_id, won)

    def set_account_status(
        self,
        account_id: str,
        *,
        charges_enabled: bool,
        payouts_enabled: bool,
        currently_due: Iterable[str] = (),
        details_submitted: bool = True,
        transfers_active: bool | None = None,
    ) -> dict[str, Any]:
        """Onboarding progressed (emits `account.updated` for the connected account)."""
        with self.store.lock:
            return self.connect.set_account_status(
                account_id,
                charges_enabled=charges_enabled,
                payouts_enabled=payouts_enabled,
                currently_due=currently_due,
                details_submitted=details_submitted,
                transfers_active=transfers_active,
            )

    def pay_out(self, account_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            return self.connect.pay_out(account_id)

    def fail_payout(self, payout_id: str, failure_code: str = "account_closed") -> dict[str, Any]:
        with self.store.lock:
            return self.connect.fail_payout(payout_id, failure_code)

    def add_unknown_transfer(
        self,
        destination: str,
        amount: int,
        currency: str = "usd",
        *,
        metadata: Mapping[str, str] | None = None,
        transfer_group: str | None = None,
        created: int | None = None,
    ) -> dict[str, Any]:
        """A transfer made outside our code (the Dashboard, another system)."""
        with self.store.lock:
            return self.connect.add_unknown_transfer(
                destination, amount, currency, metadata_=metadata, transfer_group=transfer_group, created=created
            )

    def add_balance_transaction(
        self,
        *,
        type: str,
        amount: int,
        currency: str = "usd",
        fee: int = 0,
        source: str | None = None,
        account: str | None = None,
        created: int | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Plant a movement Stripe made on its own (adjustment, fee, ...) for reconciliation tests."""
        with self.store.lock:
            txn = self.store.add_balance_transaction(
                account,
                type=type,
                amount=amount,
                currency_code=currency,
                source=source,
                fee=fee,
                created=created,
                description=description,
            )
            return copy.deepcopy(txn)

    # ------------------------------------------------------------- serving --

    def handle(self, method: str, raw_path: str, headers: Headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request (status, headers, JSON body); called by the server thread."""
        request_id = new_id("req", 14)
        arrived = time.monotonic()
        split = urlsplit(raw_path)
        path = split.path
        try:
            answer, params, replayed, delay = self._answer(method, path, split.query, headers, body, request_id)
            payload = json.dumps(answer.body, indent=2).encode()
        except Exception:  # the stand-in's own bug: answer like Stripe, but make the test fail (see stop)
            self.internal_errors.append(traceback.format_exc())
            log.exception("stripe stand-in failed on %s %s", method, path)
            answer, params, replayed, delay = _Answer(500, api_error().body()), {}, False, 0.0
            payload = json.dumps(answer.body, indent=2).encode()
        answer.headers.setdefault("Request-Id", request_id)
        answer.headers.setdefault("Stripe-Version", headers.get("Stripe-Version") or self._api_version)
        key = headers.get("Idempotency-Key")
        if key is not None and method == "POST":
            answer.headers["Idempotency-Key"] = key
        with self.store.lock:
            self._requests.append(
                RecordedRequest(
                    method, path, params, key, headers.get("Stripe-Account"), answer.status, request_id, replayed,
                    headers.get("Stripe-Version"), arrived,
                )
            )
        if delay > 0:
            self._stopping.wait(delay)
        return answer.status, answer.headers, payload

    def _answer(
        self, method: str, path: str, query: str, headers: Headers, body: bytes, request_id: str
    ) -> tuple[_Answer, Params, bool, float]:
        params: Params = {}
        try:
            _authenticate(headers.get("Authorization"))
            if self.rate_limiter is not None and not self.rate_limiter.admit():
                error = rate_limited()
                return _Answer(429, error.body(), {"Stripe-Rate-Limited-Reason": "global-rate"}), params, False, 0.0
            handler, path_args = self._route(method, path)
            params = decode_form(_text(body) if method == "POST" else query)
            delay = self._take_fault(method, path)
            answer, replayed = self._execute(method, path, params, headers, request_id, handler, path_args)
            return answer, params, replayed, delay
        except StripeError as error:
            return _Answer(error.status, error.body()), params, False, 0.0

    def _take_fault(self, method: str, path: str) -> float:
        with self.store.lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.delay:
                        return fault.delay
                    raise api_error(fault.status)
        return 0.0

    def _route(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, {name: unquote(value) for name, value in match.groupdict().items()}
        raise StripeError(
            404,
            "invalid_request_error",
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at "
            "https://support.stripe.com/.",
        )

    def _execute(
        self,
        method: str,
        path: str,
        params: Params,
        headers: Headers,
        request_id: str,
        handler: Handler,
        path_args: dict[str, str],
    ) -> tuple[_Answer, bool]:
        account = headers.get("Stripe-Account") or None
        key = headers.get("Idempotency-Key") if method == "POST" else None
        with self.store.lock:
            if account is not None:
                self._check_account(account)
            if key is not None:
                replay = self._replay(account, key, method, path, params)
                if replay is not None:
                    return replay, True
            ctx = Context(account=account, request_id=request_id, idempotency_key=key)
            try:
                answer = _Answer(200, handler(ctx, params, path_args))
                saved = True
            except StripeError as error:
                answer, saved = _Answer(error.status, error.body()), error.saved
            if key is not None and saved:
                body = json.dumps(answer.body).encode()
                self._saved[(account, key)] = _Saved(method, path, params, answer.status, body, request_id)
            return answer, False

    def _check_account(self, account: str) -> None:
        if not any(a["id"] == account for a in self.store.live("account", None)):
            raise StripeError(
                403,
                "invalid_request_error",
                f"The provided key does not have access to account '{account}' (or that account does not exist). "
                "Application access may have been revoked.",
                code="account_invalid",
            )

    def _replay(self, account: str | None, key: str, method: str, path: str, params: Params) -> _Answer | None:
        if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            raise invalid(f"Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters.")
        saved = self._saved.get((account, key))
        if saved is None:
            return None
        if (saved.method, saved.path) != (method, path):
            raise StripeError(
                400,
                "idempotency_error",
                f"Keys for idempotent requests can only be used for the same endpoint they were first used for "
                f"('{saved.method} {saved.path}' vs '{method} {path}'). Try using a key other than '{key}' if you "
                "meant to execute a different request.",
                saved=False,
            )
        if saved.params != params:
            raise StripeError(
                400,
                "idempotency_error",
                f"Keys for idempotent requests can only be used with the same parameters they were first used with. "
                f"Try using a key other than '{key}' if you meant to execute a different request.",
                saved=False,
            )
        return _Answer(
            saved.status,
            json.loads(saved.body),
            {"Idempotent-Replayed": "true", "Original-Request": saved.request_id},
        )


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("The request body is not valid UTF-8.") from None


def _authenticate(authorization: str | None) -> None:
    if not authorization:
        raise StripeError(
            401,
            "invalid_request_error",
            "You did not provide an API key. You need to provide your API key in the Authorization header, using "
            "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    scheme, _, credential = authorization.partition(" ")
    if scheme == "Basic":
        try:
            credential = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            credential = ""
    elif scheme != "Bearer":
        credential = ""
    if not credential.startswith(("sk_test_", "rk_test_")):
        shown = credential[:8] + "*" * max(len(credential) - 12, 0) + credential[-4:] if len(credential) > 12 else "***"
        raise StripeError(401, "invalid_request_error", f"Invalid API Key provided: {shown}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], standin: StripeStandIn) -> None:
        super().__init__(address, handler)
        self.standin = standin
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects
    disable_nagle_algorithm = True  # headers and body are two writes: without this, 40 ms per answer
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):  # the client went away (e.g. it timed out first)
            super().finish()

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.standin.handle(method, self.path, self.headers, body)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting: that was the point
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("stripe stand-in: " + format, *args)
