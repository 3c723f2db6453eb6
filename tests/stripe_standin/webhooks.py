"""Deliver Stripe events to our webhook endpoint, signed with Stripe's real scheme.

Why: the webhook endpoint must verify `Stripe-Signature` over the raw body
(ARCHITECTURE.md, "Stripe"). Tests therefore send the bytes Stripe would
send, signed as Stripe signs them (https://docs.stripe.com/webhooks#verify-manually):

    Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

`tamper=True` changes the body after signing, `secret=` signs with another
secret and `timestamp=` signs an old (replayed) delivery, so every way a
forged or stale delivery can arrive is one keyword away.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from tests.stripe_standin.objects import API_VERSION, build_event


class SupportsPost(Protocol):
    """An httpx.Client or a FastAPI/Starlette TestClient."""

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Any: ...


Transport = str | SupportsPost | Callable[[bytes, dict[str, str]], Any]


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """Stripe's `Stripe-Signature` value for these exact bytes."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookSender:
    """Signs and posts events to a URL, a test client (with `path`) or a callable(payload, headers).

    Examples:
        WebhookSender("http://127.0.0.1:8000/webhooks/stripe", secret)
        WebhookSender(test_client, secret, path="/webhooks/stripe")
        WebhookSender(lambda payload, headers: app_handle(payload, headers), secret)
    """

    def __init__(
        self,
        target: Transport,
        secret: str,
        *,
        path: str | None = None,
        clock: Callable[[], int] | None = None,
        api_version: str = API_VERSION,
        timeout: float = 10.0,
    ) -> None:
        if not isinstance(target, str) and hasattr(target, "post") and path is None:
            raise ValueError("a test client needs the webhook path, e.g. path='/webhooks/stripe'")
        self._target = target
        self._secret = secret
        self._path = path
        self._clock = clock or (lambda: int(time.time()))
        self._api_version = api_version
        self._timeout = timeout
        # One client for every post to a URL (thread-safe, keep-alive): `httpx.post` builds a client per
        # call, and its SSL context (~30 ms of CPU, even for plain HTTP) capped a benchmark's deliveries.
        self._client = httpx.Client(timeout=timeout) if isinstance(target, str) else None

    def sign(self, payload: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
        return signature_header(
            payload, self._secret if secret is None else secret, self._clock() if timestamp is None else timestamp
        )

    def encode(self, event: Mapping[str, Any]) -> bytes:
        """The body as Stripe sends it: pretty-printed JSON, UTF-8."""
        return json.dumps(event, indent=2).encode("utf-8")

    def send(
        self,
        event: Mapping[str, Any],
        *,
        tamper: bool = False,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> Any:
        """Post the event; returns what the transport returns (an httpx/TestClient response).

        `tamper` alters the body after signing, as a proxy or an attacker
        re-encoding it would: the JSON stays valid, the signature does not.
        """
        payload = self.encode(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": self.sign(payload, timestamp, secret),
        }
        if tamper:
            payload = json.dumps(event, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        return self._post(payload, headers)

    def event(self, type: str, obj: Mapping[str, Any], account: str | None = None, **fields: Any) -> dict[str, Any]:
        """An event dict shaped like Stripe's; `account` marks a Connect event."""
        event = build_event(type, obj, created=self._clock(), api_version=self._api_version, account=account)
        event.update(fields)
        return event

    def _post(self, payload: bytes, headers: dict[str, str]) -> Any:
        target = self._target
        if isinstance(target, str):
            assert self._client is not None
            return self._client.post(target, content=payload, headers=headers)
        if hasattr(target, "post"):
            assert self._path is not None  # checked in __init__
            return target.post(self._path, content=payload, headers=headers)
        return target(payload, headers)
