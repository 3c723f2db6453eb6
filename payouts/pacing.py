"""Flash sales in Stripe mode: reserve at full speed, call Stripe at a paced rate shared by all processes.

Why: Stripe allows about 100 API operations/s per account (live; 25 in test
mode). A sale of 10,000 seats at 1,000 purchases/s would have most
PaymentIntent creations answered 429. So seats are reserved as fast as the
group commit allows, and Stripe is called through one token bucket kept in
the database (store/pacing_sql.py), which every API process takes from.

- `PacedGateway` wraps the Stripe gateway. A purchase creates its
  PaymentIntent at once when nobody waits and the bucket is at least half
  full (ordinary traffic: the answer carries the client secret); in a rush
  the held seat goes into the payment queue and the buyer is answered `payment_pending` with a
  position (`PaymentQueued`). Reads and cancels (a webhook's re-read, an
  expired hold's cancel) wait for a token, up to `wait_seconds`, then go
  anyway: the SDK retries a 429 with backoff and the same idempotency key.
- `Pacer` threads (in every API process) claim queued seats in reservation
  order, take a token, create the PaymentIntent, record `PaymentStarted` and
  keep the client secret beside the queue row, where `GET /v1/tickets/{id}`
  finds it. A seat that left `reserved` meanwhile (hold expired, room
  cancelled) is dropped from the queue; a Stripe failure puts it back.

Every other gateway call (refunds, transfers, accounts) passes straight
through: payout runs have their own schedule and are not flash traffic.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from domain.payments import PaymentGateway, PaymentGatewayError, PaymentQueued, PaymentRequest, PaymentSession
from domain.sales.model import TicketStatus
from store.pacing_sql import PaymentQueue, QueuedPayment, RateBucket
from store.timecodes import to_us

log = logging.getLogger(__name__)

BUCKET = "stripe"
STALE_CLAIM_SECONDS = 60.0  # a claim older than this is taken again (its pacer died)
MAX_ATTEMPTS = 20  # after this many failures a queued seat waits for its hold to expire


class PacedGateway:
    """The gateway, taking one token per Stripe call it paces (see the module docstring)."""

    def __init__(self, inner: PaymentGateway, bucket: RateBucket, queue: PaymentQueue, *,
                 wait_seconds: float = 10.0) -> None:
        self.inner, self.bucket, self.queue = inner, bucket, queue
        self.name = inner.name
        self.instant = inner.instant
        self._wait_seconds = wait_seconds

    def start_payment(self, request: PaymentRequest) -> PaymentSession:
        # Nobody ahead and the bucket at least half full (no rush): now, with the client secret in the answer.
        # In a rush the seat is answered at once instead, and the pacer spends the budget in turn.
        if self.queue.waiting() == 0 and self.bucket.try_take(keep=self.bucket.burst / 2):
            return self.inner.start_payment(request)  # (a retry of a queued one: the same intent, by its key)
        at = to_us(request.reserved_at) if request.reserved_at is not None else time.time_ns() // 1000
        position = self.queue.enqueue(request.ticket_id, at, request.payment_method)
        if position is None:  # queued before: a retry of the same purchase
            queued = self.queue.state(request.ticket_id)
            if queued is not None and queued.status == "started":  # the pacer made it: answer the same intent
                self.wait_for_token()
                return self.inner.start_payment(request)
            position = queued.position if queued is not None else 0
        raise PaymentQueued(position)

    def get_payment(self, payment_id: str) -> PaymentSession:
        self.wait_for_token()
        return self.inner.get_payment(payment_id)

    def cancel_payment(self, payment_id: str) -> PaymentSession:
        self.wait_for_token()
        return self.inner.cancel_payment(payment_id)

    def wait_for_token(self, stop: threading.Event | None = None) -> bool:
        """Take the next token and wait until it is due; False if it is more than `wait_seconds` away.

        A False call goes anyway: the SDK retries a 429 with backoff and the same key.
        """
        wait = self.bucket.reserve(self._wait_seconds)
        if wait is None:
            return False
        if wait > 0:
            (stop or threading.Event()).wait(wait)
        return True

    def __getattr__(self, name: str) -> Any:  # refunds, transfers, accounts, balance transactions: unpaced
        return getattr(self.inner, name)


class Pacer:
    """Threads that create the queued seats' PaymentIntents, oldest reservation first."""

    def __init__(self, app: Any, gateway: PacedGateway, *, workers: int = 4, poll_seconds: float = 0.05,
                 hold_seconds: float = 900) -> None:
        self.app, self.gateway, self.queue = app, gateway, gateway.queue
        self._workers, self._poll, self._hold = workers, poll_seconds, hold_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._run, name=f"stripe-pacer-{i}", daemon=True)
                         for i in range(self._workers)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self) -> None:
        last_cleanup = 0.0
        while not self._stop.is_set():
            try:
                if not self.work_once():
                    self._stop.wait(self._poll)
                if time.monotonic() - last_cleanup > 60:
                    last_cleanup = time.monotonic()
                    self.queue.forget_started_before(time.time_ns() // 1000 - int(2 * self._hold * 1_000_000))
            except Exception:  # a database hiccup: the claim goes stale and is taken again
                log.exception("stripe pacer failed; will try again")
                self._stop.wait(1.0)

    def work_once(self) -> bool:
        """Create one queued seat's PaymentIntent; False when the queue was empty."""
        claimed = self.queue.claim(time.time_ns() // 1000, int(STALE_CLAIM_SECONDS * 1_000_000))
        if not claimed:
            return False
        self._start(claimed[0])
        return True

    def _start(self, queued: QueuedPayment) -> None:
        ticket = self.app.get_ticket(queued.ticket_id)
        if ticket.status is not TicketStatus.RESERVED or (ticket.payment_id and ticket.provider != self.gateway.name):
            self.queue.forget(queued.ticket_id)
            return
        while not self.gateway.wait_for_token(self._stop):  # the budget is promised that far ahead: wait in turn
            if self._stop.is_set():
                self.queue.retry_later(queued.ticket_id, "stopped before its turn")
                return
            self._stop.wait(1.0)
        try:
            session = self.gateway.inner.start_payment(self.app.payment_request_for(ticket, queued.payment_method))
        except PaymentGatewayError as exc:
            log.warning("queued payment for ticket %s could not start: %s", ticket.id, exc)
            if queued.attempts + 1 >= MAX_ATTEMPTS:
                self.queue.forget(queued.ticket_id)
            else:
                self.queue.retry_later(queued.ticket_id, str(exc))
            return
        self.app.record_payment(session, ticket.id)
        self.queue.started(ticket.id, session.payment_id, session.client_secret)
