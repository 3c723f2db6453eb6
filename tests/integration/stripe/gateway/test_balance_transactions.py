"""StripeGateway's balance transactions: a half-open window over many pages, mapped to our kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.money import Money
from payouts.stripe_gateway import StripeGateway
from tests.integration.stripe.gateway.builders import ticket, onboarded_account, payout_to, refund_of
from tests.stripe_standin import StripeStandIn


def test_balance_transactions_cover_a_half_open_window_oldest_first_over_many_pages(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    epoch = int(start.timestamp())
    inside = [
        standin.add_balance_transaction(type="adjustment", amount=i + 1, created=epoch + i * 60) for i in range(150)
    ]
    standin.add_balance_transaction(type="adjustment", amount=-1, created=epoch - 1)  # before the window
    standin.add_balance_transaction(type="adjustment", amount=-2, created=epoch + 150 * 60)  # at its end: excluded

    rows = list(gateway.balance_transactions(start, start + timedelta(minutes=150)))

    assert [row.id for row in rows] == [txn["id"] for txn in inside]
    assert rows[0].created == start and rows[0].created.tzinfo is UTC
    assert (rows[-1].amount, rows[-1].fee, rows[-1].net) == (Money(150, "USD"), Money(0, "USD"), Money(150, "USD"))
    pages = [r for r in standin.requests if r.path == "/v1/balance_transactions"]
    assert len(pages) == 2 and pages[0].params["created"] == {"gte": str(epoch), "lt": str(epoch + 9000)}


def test_balance_transactions_map_charges_refunds_and_transfers(standin: StripeStandIn, gateway: StripeGateway) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    request = ticket(1000)
    payment = gateway.start_payment(request)
    refund = gateway.refund(refund_of(payment.payment_id, request.ticket_id, 400))
    transfer = gateway.transfer(payout_to(onboarded_account(gateway, standin), 500))

    rows = list(gateway.balance_transactions(before, datetime.now(UTC) + timedelta(seconds=2)))

    assert payment.charge is not None
    assert [(row.type, row.amount.amount, row.fee.amount, row.net.amount, row.source) for row in rows] == [
        ("charge", 1000, 59, 941, payment.charge.charge_id),
        ("refund", -400, 0, -400, refund.refund_id),
        ("transfer", -500, 0, -500, transfer.transfer_id),
    ]


def test_a_naive_datetime_or_a_reversed_window_is_refused(gateway: StripeGateway) -> None:
    with pytest.raises(ValueError):
        gateway.balance_transactions(datetime(2026, 10, 1), datetime(2026, 11, 1))
    with pytest.raises(ValueError):
        gateway.balance_transactions(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))


def test_the_window_bounds_round_up_to_whole_seconds(standin: StripeStandIn, gateway: StripeGateway) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    epoch = int(start.timestamp())
    standin.add_balance_transaction(type="adjustment", amount=1, created=epoch)  # before 00:00:00.5
    later = standin.add_balance_transaction(type="adjustment", amount=2, created=epoch + 1)

    rows = list(
        gateway.balance_transactions(start + timedelta(milliseconds=500), start + timedelta(seconds=1, milliseconds=1))
    )

    assert [row.id for row in rows] == [later["id"]]
