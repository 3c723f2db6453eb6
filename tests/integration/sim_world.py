"""The world of the money simulation: the service, Stripe, a second process, and their clock.

One PostgreSQL database; the service in this process (HTTP through a test
client, webhooks signed with Stripe's scheme); the Stripe stand-in driven by
the real SDK; and a second OS process (`_worker_main`) that runs payout runs
on the same database and the same stand-in, so overlapping runs really come
from two processes. Both processes run on one frozen clock, moved by the
simulation only (the worker is told the time with each command).

A crash rebuilds this process's services from nothing (the inline projector
restarts with them) and kills the worker (SIGKILL) for a fresh one. The
payout guard can be switched off here, in both processes (`guarded=False`):
the planted double payout that the simulation must catch.
"""

from __future__ import annotations

import multiprocessing
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services, build_services
from api.main import create_app
from domain.clock import FrozenClock
from payouts.runs import PayoutRunner
from payouts.stripe_gateway import StripeGateway
from tests.conftest import make_settings
from tests.stripe_standin import StripeStandIn, WebhookSender

WHSEC, STRIPE_KEY = "whsec_money_sim", "sk_test_money_sim"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RENDEZVOUS = 0.4  # seconds a run that read the balances waits for an overlapping run to read them too
SETTINGS = {"payout_schedule": "daily", "refund_window_days": 0.25, "payout_minimum_major": 5,
            "stripe_secret_key": STRIPE_KEY, "stripe_webhook_secret": WHSEC}


class _Unlocked:
    """The planted bug: a payout lock that lets every run in at once."""

    def held(self, timeout: float) -> Any:
        from contextlib import nullcontext

        return nullcontext()


def _overlapping(runner: PayoutRunner, barrier: Any, overlap: Any) -> None:
    """Make runs that overlap in time also overlap between reading the balances and scheduling:
    while `overlap` is set, each waits (briefly) at a barrier shared by both processes right
    after its read. Guarded, the second run cannot get there while the first holds the lock:
    the first waits RENDEZVOUS, then goes on alone."""
    read = runner._available  # noqa: SLF001 - a hook of the harness, see the module docstring

    def available(extra_rooms: Any = ()) -> Any:
        owed = read(extra_rooms)
        if overlap.is_set():
            with suppress(threading.BrokenBarrierError):
                barrier.wait(RENDEZVOUS)
        return owed

    runner._available = available  # type: ignore[method-assign]  # noqa: SLF001


def build(database_url: str, stripe_url: str, clock: FrozenClock, *, guarded: bool) -> Services:
    gateway = StripeGateway(STRIPE_KEY, api_base=stripe_url, max_network_retries=1, timeout=5.0)
    services = build_services(make_settings(database_url, stripe_api_base=stripe_url, **SETTINGS), clock=clock,
                              gateway=gateway)
    if not guarded:
        services.payouts.lock = _Unlocked()  # type: ignore[assignment]
    return services


def _worker_main(barrier: Any, overlap: Any, inbox: Any, outbox: Any) -> None:
    """The second process: payout runs on request, on the database and as of the time it is told.
    It serves one world after another (starting a process costs seconds here)."""
    clock = FrozenClock(START)
    services, serving = None, None
    outbox.put(("ready", None))
    while True:
        command = inbox.get()
        if command is None:
            break
        database_url, stripe_url, guarded, generation, now, as_of = command
        if serving != (database_url, stripe_url, guarded, generation):
            if services is not None:
                services.close()
            services = build(database_url, stripe_url, clock, guarded=guarded)
            _overlapping(services.payouts, barrier, overlap)
            serving = (database_url, stripe_url, guarded, generation)
        clock.set(datetime.fromisoformat(now))
        try:
            report = services.payouts.run(datetime.fromisoformat(as_of), requested_by="worker")
            outbox.put(("ok", len(report.payouts)))
        except Exception as exc:  # reported to the simulation, which decides
            outbox.put(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            services.projector.catch_up()


class SecondProcess:
    """The other OS process, shared by the worlds of one test session."""

    def __init__(self) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self.barrier, self.overlap = self._ctx.Barrier(2), self._ctx.Event()
        self._proc: Any = None
        self._ready = False

    def start(self) -> None:
        """Start a fresh process; do not wait for it (it gets ready while other steps run)."""
        self._inbox, self._outbox = self._ctx.Queue(), self._ctx.Queue()
        self._proc = self._ctx.Process(target=_worker_main, daemon=True,
                                       args=(self.barrier, self.overlap, self._inbox, self._outbox))
        self._proc.start()
        self._ready = False

    def _wait_ready(self) -> None:
        if self._proc is None:
            self.start()
        if not self._ready:
            status, _ = self._outbox.get(timeout=180)
            assert status == "ready", status
            self._ready = True

    def run(self, database_url: str, stripe_url: str, guarded: bool, generation: int, now: datetime,
            as_of: datetime) -> None:
        self._wait_ready()
        self._inbox.put((database_url, stripe_url, guarded, generation, now.isoformat(), as_of.isoformat()))

    def result(self, timeout: float = 180) -> tuple[str, Any]:
        return self._outbox.get(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL, then a fresh process on its way."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(10)
        self.start()

    def stop(self) -> None:
        if self._proc is not None:
            self._inbox.put(None)
            self._proc.join(30)
            if self._proc.is_alive():
                self._proc.kill()
            self._proc = None


_SECOND: SecondProcess | None = None


def second_process() -> SecondProcess:
    global _SECOND
    if _SECOND is None:
        _SECOND = SecondProcess()
        _SECOND.start()
    return _SECOND


@dataclass
class World:
    database_url: str
    guarded: bool = True
    clock: FrozenClock = field(default_factory=lambda: FrozenClock(START))
    stripe: StripeStandIn = field(init=False)
    services: Services = field(init=False)
    http: TestClient = field(init=False)
    webhooks: WebhookSender = field(init=False)
    other: SecondProcess = field(init=False)
    generation: int = 0  # the other process's services restart when it changes

    def __post_init__(self) -> None:
        self.stripe = StripeStandIn(clock=lambda: int(self.clock.now().timestamp())).start()
        self.other = second_process()
        self._start_service()

    # --- processes ---------------------------------------------------------------------

    def _start_service(self) -> None:
        self.services = build(self.database_url, self.stripe.url, self.clock, guarded=self.guarded)
        _overlapping(self.services.payouts, self.other.barrier, self.other.overlap)
        self.http = TestClient(create_app(self.services), raise_server_exceptions=False)
        self.http.__enter__()
        # Signed at the wall clock's time: the signature's age is checked against it, as at Stripe.
        self.webhooks = WebhookSender(self.http, WHSEC, path="/v1/webhooks/stripe")

    def _stop_service(self) -> None:
        with suppress(Exception):
            self.http.__exit__(None, None, None)
        with suppress(Exception):
            self.services.close()

    def crash(self) -> None:
        """Both processes die between two steps and start again from what the database holds.

        This process rebuilds its services from nothing (the inline projector restarts with
        them); the other process drops its services and builds new ones at its next command
        (a real SIGKILL of it, `other.kill()`, costs ~10 s of start-up on our machines)."""
        self._stop_service()
        self.generation += 1
        self._start_service()

    def close(self) -> None:
        self._stop_service()
        self.stripe.stop(check=False)

    # --- runs in two processes ------------------------------------------------------------

    def worker_run(self, as_of: datetime) -> None:
        self.other.run(self.database_url, self.stripe.url, self.guarded, self.generation, self.clock.now(), as_of)

    def worker_result(self, timeout: float = 180) -> tuple[str, Any]:
        return self.other.result(timeout)

    def overlapping(self, on: bool) -> None:
        """Runs from now on meet after reading the balances (on), or run as they come (off)."""
        if on:
            self.other.barrier.reset()
            self.other.overlap.set()
        else:
            self.other.overlap.clear()
            self.other.barrier.reset()

    def caught_up(self) -> None:
        self.services.projector.catch_up()

    def advance(self, hours: int) -> None:
        self.clock.set(self.clock.now() + timedelta(hours=hours))
