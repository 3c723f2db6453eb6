"""Fixtures for the payout tests: a Desk on the sandbox (default) or on the Stripe stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from domain.clock import FrozenClock
from payouts.sandbox_gateway import SandboxGateway
from payouts.stripe_gateway import StripeGateway
from tests.integration.payouts.builders import STRIPE_KEY, WHSEC, Desk, DeskFactory
from tests.stripe_standin import StripeStandIn


@pytest.fixture
def open_desk(make_services: Any, sqlite_url: str, clock: FrozenClock) -> Iterator[DeskFactory]:
    """open_desk(stripe=False, wrap=None, **settings): the app on a fresh store.

    `stripe=True` puts it on the Stripe stand-in (whose clock is the test's frozen
    clock, so balance transactions and ledger entries share one timeline); `wrap`
    wraps the gateway in a fake (e.g. CrashingGateway); settings override
    `api.settings.Settings` (refund_window_days, payout_minimum_major, ...).
    """
    with ExitStack() as stack:

        def factory(*, stripe: bool = False, wrap: Callable[[Any], Any] | None = None, **settings: Any) -> Desk:
            standin = None
            gateway: Any = None
            if stripe:
                standin = stack.enter_context(StripeStandIn(clock=lambda: int(clock.now().timestamp())))
                gateway = StripeGateway(STRIPE_KEY, api_base=standin.url, max_network_retries=2, timeout=1.0)
                settings = {"stripe_secret_key": STRIPE_KEY, "stripe_webhook_secret": WHSEC, **settings}
            if wrap is not None:
                gateway = wrap(gateway or SandboxGateway(clock))
            services = make_services(sqlite_url, gateway=gateway, **settings)
            http = stack.enter_context(TestClient(create_app(services), raise_server_exceptions=False))
            return Desk(http, services, clock, standin)

        yield factory


@pytest.fixture
def desk(open_desk: DeskFactory) -> Desk:
    return open_desk()


@pytest.fixture
def stripe_desk(open_desk: DeskFactory) -> Desk:
    return open_desk(stripe=True)
