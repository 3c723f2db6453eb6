"""Flash sales in Stripe mode: reserve at full speed, call Stripe at a paced rate shared by all processes.

Why: Stripe allows about 100 API operations/s per account (live; 25 in test
mode). A sale of 10,000 seats at 1,000 purchases/s would have most
PaymentIntent creations answered 429. So seats are reserved as fast as the
group commit allows, and Stripe is called through one token bucket kept in
the database (store/pacing_sql.py), which every API process takes from.

- A purchase queues its seat's payment in its reservation's own transaction
  (store/pacing_sql.py, `PaymentQueueGuards`: no round trip more than on the
  sandbox) and is answered `payment_pending` with its place at once, on the
  event loop. `PacedGateway` wraps the Stripe gateway: a purchase alone in its
  batch with nobody waiting (ordinary traffic) starts its PaymentIntent itself
  when the bucket is at least half full (the answer carries the client
  secret); a replay answers the intent a pacer made, from the queue row, with
  no call to Stripe. Reads and cancels (a webhook's re-read, an
  expired hold's cancel) wait for a token, up to `wait_seconds`, then go
  anyway: the SDK retries a 429 with backoff and the same idempotency key.
- `Pacer` threads (in every API process) claim queued seats in reservation
  order, take a token, create the PaymentIntent, record `PaymentStarted` and
  keep the client secret beside the queue row, where `GET /v1/tickets/{id}`
  finds it. A seat released while queued (hold expired, room cancelled) leaves
  the queue in its release's transaction; one released while its intent was
  being made has that intent cancelled; a Stripe failure puts it back.

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
        self.paced = True  # purchases queue their payments in the reservation's transaction (domain/sales/commands.py)
        self._wait_seconds = wait_seconds

    def start_payment(self, request: PaymentRequest) -> PaymentSession:
        """A purchase's own call (domain/sales/commands.py): its seat was queued in its reservation's
        transaction, and it calls here only when the queue said `starting` (nobody waited), or on a replay.

        - started (a pacer, or this purchase before, made the intent): the same intent, from the queue row,
          with no call to Stripe;
        - starting: now, if the bucket is at least half full (ordinary traffic), else in turn;
        - queued or claimed: in turn (`PaymentQueued`, with the place);
        - not queued (a waitlist offer's seat, or one reserved before the queue was written with the
          reservation): now if nobody waits and the bucket is at least half full, else queued.
        """
        queued = self.queue.state(request.ticket_id)
        if queued is None:
            if self.queue.waiting() == 0 and self.bucket.try_take(keep=self.bucket.burst / 2):
                return self.inner.start_payment(request)
            at = to_us(request.reserved_at) if request.reserved_at is not None else time.time_ns() // 1000
            position = self.queue.enqueue(request.ticket_id, at, request.payment_method)
            queued = self.queue.state(request.ticket_id) if position is None else None
            raise PaymentQueued(position if position is not None else queued.position if queued else 0)
        if queued.status == "started" and queued.payment_id:
            return PaymentSession(self.name, queued.payment_id, "pending", request.amount,
                                  client_secret=queued.client_secret, metadata={"ticket_id": str(request.ticket_id)})
        if queued.status == "starting":
            if not self.bucket.try_take(keep=self.bucket.burst / 2):
                queued = self.queue.requeue(request.ticket_id) or queued
                raise PaymentQueued(queued.position)
            try:
                session = self.inner.start_payment(request)
            except PaymentGatewayError as exc:  # still this purchase's: a retry resumes it, or a pacer once stale
                self.queue.not_started(request.ticket_id, str(exc), time.time_ns() // 1000)
                raise
            self.queue.started(request.ticket_id, session.payment_id, session.client_secret)
            return session
        raise PaymentQueued(queued.position)

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
        settled, _ = self.app.record_payment(session, ticket.id)
        if settled.status is not TicketStatus.RESERVED and session.status == "pending":
            # The hold ended while the intent was made (expired, room cancelled): nobody will pay it.
            self.queue.forget(ticket.id)
            try:
                self.gateway.cancel_payment(session.payment_id)
            except PaymentGatewayError as exc:
                log.warning("could not cancel payment %s of released ticket %s: %s", session.payment_id, ticket.id, exc)
            return
        self.queue.started(ticket.id, session.payment_id, session.client_secret)
