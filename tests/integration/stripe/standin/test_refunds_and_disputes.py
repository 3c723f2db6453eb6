"""The stand-in's refunds (full, partial, pending then failed) and disputes."""

from __future__ import annotations

import pytest
import stripe

from tests.integration.stripe.standin.builders import paid_intent
from tests.stripe_standin import StripeStandIn


def test_a_full_refund_succeeds_with_a_negative_refund_balance_transaction(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    intent = paid_intent(client, 1500)

    refund = client.v1.refunds.create(
        params={"payment_intent": intent.id, "reason": "requested_by_customer", "metadata": {"refund_id": "r-1"}},
        options={"idempotency_key": "refund-r-1"},
    )

    txn = client.v1.balance_transactions.retrieve(str(refund.balance_transaction))
    assert refund.id.startswith("re_") and (refund.status, refund.amount) == ("succeeded", 1500)
    assert refund.metadata.to_dict() == {"refund_id": "r-1"}
    assert (txn.type, txn.amount, txn.fee, txn.net) == ("refund", -1500, 0, -1500)
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert charge.refunded is True and charge.amount_refunded == 1500
    assert {"refund.created", "charge.refunded"} <= {e["type"] for e in standin.events}


def test_partial_refunds_may_not_exceed_the_charge(client: stripe.StripeClient) -> None:
    intent = paid_intent(client, 1000)

    first = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"charge": str(intent.latest_charge), "amount": 701})
    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1})

    assert (first.amount, rest.amount) == (300, 700)
    assert (too_much.value.http_status, too_much.value.code, too_much.value.param) == (
        400,
        "amount_too_large",
        "amount",
    )
    assert again.value.code == "charge_already_refunded"


def test_a_refund_can_be_made_pending_then_fail_returning_the_money(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    intent = paid_intent(client, 1000)
    standin.next_refund("pending")

    pending = client.v1.refunds.create(params={"payment_intent": intent.id})
    standin.fail_refund(pending.id)

    failed = client.v1.refunds.retrieve(pending.id)
    assert pending.status == "pending"
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    txn = client.v1.balance_transactions.retrieve(str(failed.failure_balance_transaction))
    assert (txn.type, txn.amount) == ("refund_failure", 1000)
    assert client.v1.charges.retrieve(str(intent.latest_charge)).amount_refunded == 0
    assert [e["type"] for e in standin.events][-2:] == ["refund.updated", "refund.failed"]


def test_a_disputed_charge_costs_amount_and_fee_until_the_dispute_is_won(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    intent = paid_intent(client, 1000)

    dispute = standin.dispute(str(intent.latest_charge))
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    standin.close_dispute(dispute["id"], won=True)

    adjustments = client.v1.balance_transactions.list(params={"type": "adjustment"}).data
    assert refused.value.code == "charge_disputed"
    assert sorted((t.amount, t.fee, t.net) for t in adjustments) == [(-1000, 1500, -2500), (1000, -1500, 2500)]
    assert client.v1.disputes.retrieve(dispute["id"]).status == "won"
    assert [e["type"] for e in standin.events][-2:] == ["charge.dispute.created", "charge.dispute.closed"]
