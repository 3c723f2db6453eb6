"""A running stand-in per test, and a `stripe.StripeClient` pointed at it (here `client` is the SDK's,
not the API's TestClient of tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from tests.integration.stripe.standin.builders import client_for
from tests.stripe_standin import StripeStandIn


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn() as running:
        yield running


@pytest.fixture
def client(standin: StripeStandIn) -> stripe.StripeClient:
    return client_for(standin)
