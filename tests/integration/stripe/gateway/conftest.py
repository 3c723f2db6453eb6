"""A running Stripe stand-in per test, and a StripeGateway pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payouts.stripe_gateway import StripeGateway
from tests.stripe_standin import StripeStandIn


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn() as running:
        yield running


@pytest.fixture
def gateway(standin: StripeStandIn) -> StripeGateway:
    return StripeGateway("sk_test_gateway", api_base=standin.url, max_network_retries=2, timeout=5.0)
