"""One signed delivery over HTTP: Standard Webhooks signing (`standardwebhooks`), a timeout,
no redirects, and at most RESPONSE_CAP bytes of the answer read (a receiver cannot make
us download a gigabyte).

Headers: `webhook-id` (the message id, the same on every retry: receivers dedupe on it),
`webhook-timestamp` (seconds), `webhook-signature` (`v1,<base64>`; two, space-separated,
while a rotated-out secret is still valid).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook

RESPONSE_CAP = 64 * 1024
USER_AGENT = "boxoffice-webhooks/1"


def signature_headers(message_id: str, at: datetime, body: str, secrets: list[str]) -> dict[str, str]:
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signatures}


@dataclass(frozen=True)
class Attempt:
    status_code: int | None  # None: no HTTP answer (timeout, refused, unsafe URL)
    latency_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(client: httpx.Client, url: str, body: str, headers: dict[str, str]) -> Attempt:
    started = time.monotonic()
    try:
        with client.stream("POST", url, content=body.encode(), headers={
                **headers, "content-type": "application/json", "user-agent": USER_AGENT}) as response:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= RESPONSE_CAP:
                    break
            status = response.status_code
    except httpx.HTTPError as exc:
        return Attempt(None, int((time.monotonic() - started) * 1000), f"{type(exc).__name__}: {exc}"[:500])
    error = None if 200 <= status < 300 else f"HTTP {status}"
    if 300 <= status < 400:
        error = f"HTTP {status}: redirects are not followed"
    return Attempt(status, int((time.monotonic() - started) * 1000), error)


def new_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
