"""The SDK's transport (payouts/stripe_http.py): what `RequestsClient` did for us, kept.

The gateway tests drive every call through it against the stand-in (retries
after a 500 and after a timeout included); these cover what they cannot:
an unreachable Stripe, the proxy read from the environment, and many threads
sharing one pool.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
import urllib3

from domain.money import Money
from domain.payments import PaymentGatewayError, TransferRequest
from payouts.stripe_gateway import StripeGateway
from payouts.stripe_http import Urllib3Client, environment_proxy
from tests.stripe_standin import StripeStandIn


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_stripe_is_a_retryable_connection_error_after_the_sdks_retries() -> None:
    gateway = StripeGateway("sk_test_http", api_base=f"http://127.0.0.1:{closed_port()}", max_network_retries=1)

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.transfer(TransferRequest(payout_id=uuid4(), destination="acct_x", amount=Money(500, "USD"),
                                         transfer_group="payouts"))

    assert refused.value.retryable
    assert refused.value.code == "api_connection_error"


def test_the_proxy_comes_from_the_environment_unless_no_proxy_exempts_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert environment_proxy("https://api.stripe.com") is None

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert environment_proxy("https://api.stripe.com") == "http://proxy.internal:3128"
    assert environment_proxy("http://127.0.0.1:12111") is None  # only https is proxied

    monkeypatch.setenv("NO_PROXY", "api.stripe.com")
    assert environment_proxy("https://api.stripe.com") is None


def test_a_proxy_routes_every_request_through_a_proxy_manager() -> None:
    assert isinstance(Urllib3Client(proxy="http://proxy.internal:3128")._pool, urllib3.ProxyManager)
    assert not isinstance(Urllib3Client()._pool, urllib3.ProxyManager)


def test_sixty_four_threads_share_the_pool_and_each_transfer_is_made_once() -> None:
    with StripeStandIn() as standin:
        gateway = StripeGateway("sk_test_http", api_base=standin.url, max_network_retries=2)
        account = gateway.create_connected_account("creator-http").account_id
        standin.set_account_status(account, charges_enabled=True, payouts_enabled=True)
        requests = [TransferRequest(payout_id=uuid4(), destination=account, amount=Money(100 + i, "USD"),
                                    transfer_group="payouts") for i in range(200)]

        with ThreadPoolExecutor(64) as pool:
            results = list(pool.map(gateway.transfer, requests + requests))  # each sent twice, same key

        made = standin.objects("transfer")
    assert len(made) == 200
    assert sorted(t["amount"] for t in made) == [100 + i for i in range(200)]
    assert {r.transfer_id for r in results} == {t["id"] for t in made}
