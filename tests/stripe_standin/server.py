"""A local HTTP server that answers the real `stripe` SDK the way Stripe does.

Why: tests never reach Stripe (ARCHITECTURE.md, "Stripe"), yet the gateway
must be exercised through the real SDK, over HTTP, with Stripe's retries,
idempotency keys, Connect scoping and error shapes. `localstripe` covers
neither Connect nor idempotency, so this stand-in does, for the calls our
gateway makes (see routes.py).

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

Here: StripeStandIn's state, lifecycle and request handling (authentication, routing, idempotency,
faults). Beside it: routes.py (the endpoints), controls.py (the inspection API and test controls),
transport.py (the HTTP server); the resources live in their own modules (payment_intents, refunds,
disputes, accounts, transfers, payouts, webhooks).

May import: the stdlib and the stand-in's own modules.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from tests.stripe_standin.connect import Connect
from tests.stripe_standin.controls import Controls, RecordedRequest, Fault
from tests.stripe_standin.objects import API_VERSION, Context, Store, new_id
from tests.stripe_standin.payments import Payments
from tests.stripe_standin.rate_limit import RateLimiter, rate_limited
from tests.stripe_standin.routes import Handler, routes
from tests.stripe_standin.settlement import SettlementCurrency
from tests.stripe_standin.transport import RequestHandler, Server
from tests.stripe_standin.wire import (
    Params,
    StripeError,
    api_error,
    decode_form,
    invalid,
)

log = logging.getLogger(__name__)


class Headers(Protocol):
    """Request headers, looked up case-insensitively (http.server's Message)."""

    def get(self, name: str, /) -> str | None: ...


MAX_IDEMPOTENCY_KEY_LENGTH = 255


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


class StripeStandIn(Controls):
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
        self._routes = routes(self.payments, self.connect, self.store)
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._saved: dict[tuple[str | None, str], _Saved] = {}
        self._server: Server | None = None
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
        self._server = Server(("127.0.0.1", 0), RequestHandler, self)
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
