"""The stand-in as Stripe's webhook sender and as the customers: for load tests and benchmarks.

Why: a flash sale in Stripe mode ends only when customers have paid and
Stripe has told us so. `Customers` confirms each new PaymentIntent after a
think time (as a buyer's browser would, with the `client_secret`), and
`WebhookForwarder` posts the events Stripe would deliver (signed, to the
app's endpoint), retrying non-2xx answers as Stripe does (here: quickly).
Both follow the stand-in's event list; both count what they saw.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Collection
from typing import Any

from tests.stripe_standin.server import StripeStandIn
from tests.stripe_standin.webhooks import WebhookSender


class WebhookForwarder:
    """Posts the stand-in's events of `types` to the app, in order of emission, each until it is answered 2xx."""

    def __init__(self, standin: StripeStandIn, sender: WebhookSender, types: Collection[str],
                 *, confirm_after: float | None = None, threads: int = 32, retry_after: float = 0.5) -> None:
        self.standin, self.sender, self.types = standin, sender, frozenset(types)
        self.confirm_after = confirm_after  # also play the customers: confirm each new PaymentIntent after this
        self.statuses: Counter[int] = Counter()
        self.delivered = 0
        self._stop = threading.Event()
        self._queue: list[dict[str, Any]] = []
        self._to_confirm: list[tuple[float, str]] = []
        self._cv = threading.Condition()
        self._retry_after = retry_after
        self._threads = [threading.Thread(target=self._follow, daemon=True, name="stripe-events")]
        self._threads += [threading.Thread(target=self._deliver, daemon=True, name=f"stripe-webhooks-{i}")
                          for i in range(threads)]

    def __enter__(self) -> WebhookForwarder:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _follow(self) -> None:
        seen = 0
        while not self._stop.is_set():
            events = self.standin.events_since(seen)
            seen += len(events)
            now = time.monotonic()
            with self._cv:
                for event in events:
                    if self.confirm_after is not None and event["type"] == "payment_intent.created":
                        self._to_confirm.append((now + self.confirm_after, event["data"]["object"]["id"]))
                    if event["type"] in self.types:
                        self._queue.append(event)
                self._cv.notify_all()
            due = [pi for at, pi in self._to_confirm if at <= now]
            self._to_confirm = [(at, pi) for at, pi in self._to_confirm if at > now]
            for pi in due:
                try:
                    self.standin.succeed_payment(pi)
                except ValueError:  # cancelled meanwhile (the hold expired)
                    pass
            self._stop.wait(0.02)

    def _deliver(self) -> None:
        while not self._stop.is_set():
            with self._cv:
                while not self._queue and not self._stop.is_set():
                    self._cv.wait(0.1)
                if self._stop.is_set():
                    return
                event = self._queue.pop(0)
            while not self._stop.is_set():
                try:
                    status = self.sender.send(event).status_code
                except Exception:  # a timeout or a dropped connection: Stripe retries too
                    status = 0
                self.statuses[status] += 1
                if 200 <= status < 300:
                    self.delivered += 1
                    break
                self._stop.wait(self._retry_after)

    def idle(self) -> bool:
        with self._cv:
            return not self._queue and not self._to_confirm
