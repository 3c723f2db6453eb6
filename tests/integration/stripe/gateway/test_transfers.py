"""StripeGateway's transfers: keyed by our payout id, retried once, found when the answer was lost, reversed."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.money import Money
from domain.payments import PaymentGatewayError
from payouts.stripe_gateway import StripeGateway
from tests.integration.stripe.gateway.builders import onboarded_account, payout_to
from tests.stripe_standin import StripeStandIn


def test_a_transfer_pays_the_creator_keyed_by_our_payout_id(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = onboarded_account(gateway, standin)
    request = payout_to(account, 800)

    result = gateway.transfer(request)

    assert (result.status, result.amount, result.destination, result.reversed_amount) == (
        "submitted",
        Money(800, "USD"),
        account,
        0,
    )
    assert result.transfer_id.startswith("tr_") and result.balance_transaction_id is not None
    transfer = standin.get(result.transfer_id, "transfer")
    assert (transfer["metadata"], transfer["transfer_group"]) == (
        {"payout_id": str(request.payout_id)},
        "payouts-2026-11",
    )
    assert standin.requests[-1].idempotency_key == f"transfer-{request.payout_id}"


def test_a_500_on_transfer_is_retried_with_the_same_key_and_makes_one_transfer(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    account = onboarded_account(gateway, standin)
    request = payout_to(account)
    standin.fail_next("POST", "/v1/transfers", status=500)

    result = gateway.transfer(request)

    posts = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/transfers")]
    assert [(r.status, r.idempotency_key) for r in posts] == [
        (500, f"transfer-{request.payout_id}"),
        (200, f"transfer-{request.payout_id}"),
    ]
    assert [t["id"] for t in standin.objects("transfer")] == [result.transfer_id]


def test_a_transfer_whose_answer_was_lost_is_found_by_payout_id(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = onboarded_account(gateway, standin)
    for _ in range(3):  # other payouts, made before and after
        gateway.transfer(payout_to(account, 100))
    request = payout_to(account, 800)
    crashing = StripeGateway("sk_test_gateway", api_base=standin.url, max_network_retries=0, timeout=0.3)
    standin.timeout_next("POST", "/v1/transfers", seconds=1.0)

    # the transfer is made, but its answer never arrives
    with pytest.raises(PaymentGatewayError) as lost:
        crashing.transfer(request)
    gateway.transfer(payout_to(account, 100))

    found = gateway.find_transfer(request.payout_id)
    assert (lost.value.retryable, lost.value.code) == (True, "api_connection_error")
    assert found is not None and found.amount == Money(800, "USD")
    assert gateway.find_transfer(uuid4()) is None
    # within Stripe's 24 hours, re-sending the same transfer is also safe
    assert gateway.transfer(request) == found
    assert len(standin.objects("transfer")) == 5


def test_a_lost_transfer_is_found_among_its_own_accounts_transfers_only(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    creator = onboarded_account(gateway, standin, "creator-1")
    request = payout_to(creator, 800)
    gateway.transfer(request)
    others = onboarded_account(gateway, standin, "creator-2")
    for _ in range(250):  # the rest of a large run, made after it
        gateway.transfer(payout_to(others, 100))
    listed_before = sum(1 for q in standin.requests if (q.method, q.path) == ("GET", "/v1/transfers"))

    found = gateway.find_transfer(request.payout_id, destination=creator)
    missing = gateway.find_transfer(uuid4(), destination=creator)

    pages = sum(1 for q in standin.requests if (q.method, q.path) == ("GET", "/v1/transfers")) - listed_before
    assert found is not None and found.amount == Money(800, "USD") and found.destination == creator
    assert missing is None
    assert pages == 2  # one page each; without the destination: three pages to find it, three to miss


def test_transfers_are_reversed_in_part_then_in_full(standin: StripeStandIn, gateway: StripeGateway) -> None:
    transfer = gateway.transfer(payout_to(onboarded_account(gateway, standin), 800))

    partly = gateway.reverse_transfer(transfer.transfer_id, Money(300, "USD"), key="refund-after-payout-1")
    replay = gateway.reverse_transfer(transfer.transfer_id, Money(300, "USD"), key="refund-after-payout-1")
    fully = gateway.reverse_transfer(transfer.transfer_id, Money(500, "USD"), key="refund-after-payout-2")

    assert (partly.status, partly.reversed_amount) == ("submitted", 300) and replay == partly
    assert (fully.status, fully.reversed_amount) == ("reversed", 800)
    assert len(standin.objects("transfer_reversal")) == 2
    posts = [r for r in standin.requests if r.path.endswith("/reversals")]
    assert posts[0].idempotency_key == "reversal-refund-after-payout-1"


def test_a_reversal_in_another_currency_is_refused_before_money_moves(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    transfer = gateway.transfer(payout_to(onboarded_account(gateway, standin)))

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.reverse_transfer(transfer.transfer_id, Money(100, "EUR"), key="k")

    assert refused.value.code == "currency_mismatch"
    assert standin.objects("transfer_reversal") == []
