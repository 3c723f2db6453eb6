"""One smoke test of StripeGateway against localstripe, an emulator we did not write.

Why: our stand-in encodes our reading of Stripe; localstripe (PyPI) encodes
someone else's. Agreement on the basics (a paid PaymentIntent read back with
its charge and balance transaction, a refund, a signed webhook delivered over
HTTP and verified by `parse_webhook`) guards against a shared misreading.

localstripe's limits shape the test: it refuses parameters it does not know,
including `transfer_group` and `automatic_payment_methods`, which our
`start_payment` always sends, and Stripe's refund `reason`. So the intent is
created with the plain SDK and localstripe's subset; the gateway reads it,
refunds it with a reason of ours (kept in metadata, as for any non-Stripe
reason) and reads the refund back. localstripe also writes its state to
/tmp/localstripe.pickle; `--from-scratch` keeps it from loading old state.

Skips only when the package is missing, and never under CI=true.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import stripe

from domain.money import Money
from domain.payments import RefundRequest
from payouts.stripe_gateway import StripeGateway, parse_webhook

WEBHOOK_SECRET = "whsec_localstripe_smoke"
STARTUP_SECONDS = 10.0
DELIVERY_SECONDS = 8.0  # localstripe waits 1 s before each delivery


def _require_localstripe() -> None:
    if importlib.util.find_spec("localstripe") is not None:
        return
    reason = "localstripe is not installed (pip install -e '.[dev]')"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the localstripe smoke test")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"localstripe exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(
        f"localstripe did not listen on {port} within {STARTUP_SECONDS} s:\n{log_path.read_text(errors='replace')}"
    )


@pytest.fixture
def localstripe_url(tmp_path: Path) -> Iterator[str]:
    """localstripe in a subprocess on a free port, always terminated (then killed if it lingers)."""
    _require_localstripe()
    port = _free_port()
    log_path = tmp_path / "localstripe.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_listening(port, process, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


class _Receiver(BaseHTTPRequestHandler):
    deliveries: queue.Queue[tuple[bytes, str | None]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.deliveries.put((body, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, queue.Queue[tuple[bytes, str | None]]]]:
    """A tiny HTTP endpoint that keeps each raw body and its Stripe-Signature."""
    deliveries: queue.Queue[tuple[bytes, str | None]] = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"deliveries": deliveries})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe", deliveries
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.timeout(20)
def test_gateway_reads_refunds_and_verifies_webhooks_against_localstripe(
    localstripe_url: str, webhook_receiver: tuple[str, queue.Queue[tuple[bytes, str | None]]]
) -> None:
    receiver_url, deliveries = webhook_receiver
    registered = httpx.post(
        f"{localstripe_url}/_config/webhooks/boxoffice",
        data={"url": receiver_url, "secret": WEBHOOK_SECRET, "events[]": "payment_intent.succeeded"},
        timeout=5,
    )
    registered.raise_for_status()
    gateway = StripeGateway("sk_test_smoke", api_base=localstripe_url, max_network_retries=0, timeout=5.0)
    client = stripe.StripeClient("sk_test_smoke", base_addresses={"api": localstripe_url}, max_network_retries=0)

    # a listener pays 10.00 with a card (localstripe's subset of our parameters)
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    session = gateway.get_payment(intent.id)

    assert (session.status, session.amount) == ("succeeded", Money(1000, "USD"))
    assert session.charge is not None and session.charge.charge_id.startswith("ch_")
    assert session.charge.net == Money(1000, "USD") - session.charge.fee

    # the room is cancelled: part of the ticket is refunded
    refund = gateway.refund(
        RefundRequest(
            refund_id=uuid4(), ticket_id=uuid4(), payment_id=intent.id, amount=Money(400, "USD"), reason="room_canceled"
        )
    )

    assert (refund.status, refund.amount) == ("succeeded", Money(400, "USD"))
    assert refund.metadata["reason"] == "room_canceled"
    assert gateway.get_refund(refund.refund_id) == refund

    # localstripe delivered payment_intent.succeeded, signed with the real scheme
    body, signature = deliveries.get(timeout=DELIVERY_SECONDS)
    event = parse_webhook(body, signature, WEBHOOK_SECRET)

    assert event["type"] == "payment_intent.succeeded" and event["data"]["object"]["id"] == intent.id
