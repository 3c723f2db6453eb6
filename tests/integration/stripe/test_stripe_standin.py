"""The Stripe stand-in answers the real `stripe` SDK as Stripe would.

Driven only through stripe.StripeClient over HTTP, so these tests also pin
what the SDK does for us: retries of 5xx and timeouts with the same
idempotency key, Stripe-Account scoping, cursor paging. Test controls
(`succeed_payment`, `fail_next`, ...) stand in for what Stripe or the
customer does outside our calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
import stripe
from stripe.params import PaymentIntentCreateParams

from tests.stripe_standin import API_VERSION, StripeStandIn, WebhookSender, stripe_fee

SECRET = "whsec_test_standin"


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn() as running:
        yield running


def client_for(
    standin: StripeStandIn, *, retries: int = 2, timeout: float = 5.0, key: str = "sk_test_standin"
) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": standin.url, "connect": standin.url, "files": standin.url},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


@pytest.fixture
def client(standin: StripeStandIn) -> stripe.StripeClient:
    return client_for(standin)


def paid_intent(client: stripe.StripeClient, amount: int = 1000, **extra: Any) -> stripe.PaymentIntent:
    params = {
        "amount": amount,
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "confirm": True,
        "payment_method_types": ["card"],
    }
    return client.v1.payment_intents.create(params=cast(PaymentIntentCreateParams, {**params, **extra}))


def response_of(obj: stripe.StripeObject) -> stripe.StripeResponse:
    assert obj.last_response is not None
    return obj.last_response


def enabled_account(client: stripe.StripeClient, standin: StripeStandIn) -> str:
    account = client.v1.accounts.create(params={"type": "express"})
    standin.set_account_status(account.id, charges_enabled=True, payouts_enabled=True)
    return account.id


# ------------------------------------------------------------- payments --


def test_a_confirmed_card_payment_succeeds_with_a_charge_carrying_stripes_fee(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    intent = paid_intent(client, 2000, metadata={"ticket_id": "t-1"}, transfer_group="room_r-1")

    charge = client.v1.charges.retrieve(str(intent.latest_charge), params={"expand": ["balance_transaction"]})

    assert intent.status == "succeeded" and intent.amount_received == 2000 and intent.livemode is False
    assert intent.id.startswith("pi_") and charge.id.startswith("ch_")
    txn = charge.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.currency) == ("charge", 2000, 88, 1912, "usd")  # 58 + 30
    assert txn.fee_details[0].type == "stripe_fee"
    assert charge.metadata["ticket_id"] == "t-1" and charge.transfer_group == "room_r-1"
    assert [e["type"] for e in standin.events] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_the_fee_is_two_point_nine_percent_plus_thirty_rounded_half_up() -> None:
    assert [stripe_fee(amount) for amount in (100, 999, 1000, 1724, 99_900)] == [33, 59, 59, 80, 2927]


def test_an_unconfirmed_payment_waits_for_the_client_with_a_client_secret(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    waiting = client.v1.payment_intents.create(
        params={"amount": 500, "currency": "USD", "automatic_payment_methods": {"enabled": True}}
    )
    with_method = client.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa"}
    )

    # the customer confirms in the browser
    standin.succeed_payment(waiting.id)
    confirmed = client.v1.payment_intents.confirm(with_method.id, params={"return_url": "https://example.test/back"})

    assert waiting.status == "requires_payment_method" and waiting.currency == "usd"
    assert str(waiting.client_secret).startswith(f"{waiting.id}_secret_")
    assert with_method.status == "requires_confirmation"
    assert client.v1.payment_intents.retrieve(waiting.id).status == "succeeded"
    assert confirmed.status == "succeeded"


def test_confirming_with_automatic_methods_needs_a_return_url_or_no_redirects(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(
            params={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )

    allowed = client.v1.payment_intents.create(
        params={
            "amount": 500,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )

    assert refused.value.param == "return_url"
    assert allowed.status == "succeeded"


def test_a_declined_card_answers_402_and_the_intent_awaits_another_method(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.CardError) as declined:
        paid_intent(client, payment_method="pm_card_chargeDeclined")

    error = declined.value
    assert (error.http_status, error.code, error.error.decline_code) == (402, "card_declined", "generic_decline")  # type: ignore[union-attr]
    intent = client.v1.payment_intents.retrieve(error.error.payment_intent.id)  # type: ignore[union-attr]
    assert intent.status == "requires_payment_method" and intent.payment_method is None
    assert intent.last_payment_error is not None and intent.last_payment_error.code == "card_declined"
    assert client.v1.charges.retrieve(str(intent.latest_charge)).status == "failed"
    assert [e["type"] for e in standin.events][-2:] == ["charge.failed", "payment_intent.payment_failed"]


def test_a_payment_failing_on_the_client_is_recorded_like_a_decline(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    waiting = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})

    standin.fail_payment(waiting.id, decline_code="insufficient_funds")

    intent = client.v1.payment_intents.retrieve(waiting.id)
    assert intent.status == "requires_payment_method" and intent.last_payment_error.decline_code == "insufficient_funds"  # type: ignore[union-attr]
    assert standin.events_of("payment_intent.payment_failed")[0]["request"] == {"id": None, "idempotency_key": None}


def test_only_an_unfinished_payment_can_be_cancelled(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    waiting = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})
    paid = paid_intent(client)

    canceled = client.v1.payment_intents.cancel(waiting.id, params={"cancellation_reason": "abandoned"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.cancel(paid.id)

    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    assert refused.value.code == "payment_intent_unexpected_state"
    assert standin.events_of("payment_intent.canceled")[0]["data"]["object"]["id"] == waiting.id


# ---------------------------------------------------------- idempotency --


def test_the_same_key_and_parameters_replay_the_first_answer(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    params = {"amount": 700, "currency": "usd", "metadata": {"ticket_id": "t-7"}}

    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "pi-t-7"})  # type: ignore[arg-type]
    second = client.v1.payment_intents.create(params=params, options={"idempotency_key": "pi-t-7"})  # type: ignore[arg-type]

    assert second.id == first.id and second.client_secret == first.client_secret
    assert response_of(second).headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in response_of(first).headers
    assert len(standin.objects("payment_intent")) == 1
    assert [r.replayed for r in standin.requests] == [False, True]


def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"}, options={"idempotency_key": "pi-t-8"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.payment_intents.create(
            params={"amount": 800, "currency": "usd"}, options={"idempotency_key": "pi-t-8"}
        )

    assert refused.value.http_status == 400
    assert len(standin.objects("payment_intent")) == 1


def test_a_key_is_scoped_to_the_stripe_account(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    account = enabled_account(client, standin)
    params: PaymentIntentCreateParams = {"amount": 700, "currency": "usd"}

    platform = client.v1.payment_intents.create(params=params, options={"idempotency_key": "same"})  # type: ignore[arg-type]
    connected = client.v1.payment_intents.create(
        params=params, options={"idempotency_key": "same", "stripe_account": account}
    )  # type: ignore[arg-type]

    assert platform.id != connected.id


def test_a_decline_is_saved_and_replayed_for_its_key(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    params = {
        "amount": 900,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": True,
        "payment_method_types": ["card"],
    }
    errors = []

    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            client.v1.payment_intents.create(params=params, options={"idempotency_key": "pi-declined"})  # type: ignore[arg-type]
        errors.append(declined.value)

    assert errors[0].error.payment_intent.id == errors[1].error.payment_intent.id  # type: ignore[union-attr]
    assert (errors[1].headers or {}).get("Idempotent-Replayed") == "true"
    assert len(standin.objects("payment_intent")) == 1


def test_a_500_is_retried_by_the_sdk_with_the_same_key_and_makes_one_payment_intent(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    standin.fail_next("POST", "/v1/payment_intents", status=500)

    intent = client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})  # no key: the SDK makes one

    attempts = [r for r in standin.requests if r.path == "/v1/payment_intents"]
    assert [r.status for r in attempts] == [500, 200]
    assert attempts[0].idempotency_key is not None and attempts[0].idempotency_key == attempts[1].idempotency_key
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [intent.id]


def test_a_500_without_retries_surfaces_as_stripes_api_error(standin: StripeStandIn) -> None:
    standin.fail_next("POST", "/v1/payment_intents", status=503)

    with pytest.raises(stripe.APIError) as outage:
        client_for(standin, retries=0).v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    assert outage.value.http_status == 503 and outage.value.error.type == "api_error"  # type: ignore[union-attr]
    assert standin.objects("payment_intent") == []


def test_a_timeout_is_retried_with_the_same_key_and_replayed_not_repeated(standin: StripeStandIn) -> None:
    impatient = client_for(standin, retries=2, timeout=0.5)
    standin.timeout_next("POST", "/v1/payment_intents", seconds=1.5)

    intent = impatient.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    attempts = [r for r in standin.requests if r.path == "/v1/payment_intents"]
    assert [r.replayed for r in attempts] == [False, True]
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [intent.id]


# -------------------------------------------------------------- refunds --


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


# ------------------------------------------------------------- connect --


def test_an_express_account_starts_disabled_and_onboarding_links_expire(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "email": "c@example.test",
            "metadata": {"creator_id": "c-1"},
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "https://x.test/r",
            "return_url": "https://x.test/ok",
            "type": "account_onboarding",
        }
    )

    assert account.id.startswith("acct_") and (account.charges_enabled, account.payouts_enabled) == (False, False)
    assert account.requirements is not None and "external_account" in (account.requirements.currently_due or [])
    assert account.capabilities.transfers == "inactive"  # type: ignore[union-attr]
    assert link.url.startswith(standin.url) and link.expires_at > link.created


def test_onboarding_enables_the_account_and_emits_a_connect_event(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create(params={"type": "express"})

    standin.set_account_status(account.id, charges_enabled=True, payouts_enabled=True)

    current = client.v1.accounts.retrieve(account.id)
    assert (current.charges_enabled, current.payouts_enabled, current.requirements.currently_due) == (True, True, [])  # type: ignore[union-attr]
    event = standin.events_of("account.updated")[0]
    assert event["account"] == account.id and event["data"]["previous_attributes"]["payouts_enabled"] is False


def test_a_transfer_needs_an_onboarded_destination(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "express"})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": account.id})
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": "acct_missing"})

    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "destination")


def test_transfers_and_reversals_leave_balance_transactions_on_both_sides(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    account = enabled_account(client, standin)

    transfer = client.v1.transfers.create(
        params={
            "amount": 900,
            "currency": "usd",
            "destination": account,
            "transfer_group": "room_r-1",
            "metadata": {"payout_id": "p-1"},
        }
    )
    client.v1.transfers.create(
        params={"amount": 50, "currency": "usd", "destination": account, "transfer_group": "room_r-2"}
    )
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 400})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 501})

    assert transfer.id.startswith("tr_") and reversal.id.startswith("trr_")
    assert [t.id for t in client.v1.transfers.list(params={"transfer_group": "room_r-1"}).data] == [transfer.id]
    platform = sorted((t.type, t.amount) for t in client.v1.balance_transactions.list().data)
    assert platform == [("transfer", -900), ("transfer", -50), ("transfer_refund", 400)]
    connected = sorted(
        (t.type, t.amount) for t in client.v1.balance_transactions.list(options={"stripe_account": account}).data
    )
    assert connected == [("payment", 50), ("payment", 900), ("payment_refund", -400)]
    current = client.v1.transfers.retrieve(transfer.id)
    assert (current.amount_reversed, current.reversed) == (400, False)
    assert too_much.value.code == "amount_too_large"
    assert standin.events_of("transfer.reversed")[0]["data"]["previous_attributes"] == {
        "amount_reversed": 0,
        "reversed": False,
    }


def test_a_connected_accounts_objects_are_invisible_to_the_platform(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    account = enabled_account(client, standin)
    client.v1.transfers.create(params={"amount": 900, "currency": "usd", "destination": account})

    payout = client.v1.payouts.create(params={"amount": 600, "currency": "usd"}, options={"stripe_account": account})
    with pytest.raises(stripe.InvalidRequestError) as hidden:
        client.v1.payouts.retrieve(payout.id)
    with pytest.raises(stripe.PermissionError):
        client.v1.payouts.list(options={"stripe_account": "acct_unknown"})

    assert payout.id.startswith("po_") and payout.status == "pending"
    assert (hidden.value.http_status, hidden.value.code) == (404, "resource_missing")
    assert [p.id for p in client.v1.payouts.list(options={"stripe_account": account}).data] == [payout.id]
    assert standin.events_of("payout.created")[0]["account"] == account


def test_payouts_are_paid_or_fail_back_to_the_balance(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    account = enabled_account(client, standin)
    client.v1.transfers.create(params={"amount": 1000, "currency": "usd", "destination": account})
    manual = client.v1.payouts.create(params={"amount": 600, "currency": "usd"}, options={"stripe_account": account})

    paid = standin.pay_out(account)  # the manual payout arrives, the remaining 400 is paid out
    failed = standin.fail_payout(manual.id)

    assert [(p["amount"], p["automatic"], p["status"]) for p in paid] == [(600, False, "paid"), (400, True, "paid")]
    assert client.v1.payouts.retrieve(manual.id, options={"stripe_account": account}).status == "failed"
    txn = client.v1.balance_transactions.retrieve(
        failed["failure_balance_transaction"], options={"stripe_account": account}
    )
    assert (txn.type, txn.amount) == ("payout_failure", 600)
    assert standin.balance("usd", account=account) == 600
    assert standin.events_of("payout.failed")[0]["account"] == account


def test_payouts_need_enabled_payouts(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "express"})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payouts.create(params={"amount": 100, "currency": "usd"}, options={"stripe_account": account.id})

    assert refused.value.code == "payouts_not_allowed"


def test_enforced_balances_refuse_transfers_beyond_the_funds() -> None:
    with StripeStandIn(enforce_balance=True) as standin:
        client = client_for(standin)
        account = enabled_account(client, standin)
        paid_intent(client, 1000)  # net 941

        client.v1.transfers.create(params={"amount": 941, "currency": "usd", "destination": account})
        with pytest.raises(stripe.InvalidRequestError) as short:
            client.v1.transfers.create(params={"amount": 1, "currency": "usd", "destination": account})

        assert short.value.code == "balance_insufficient"


# ------------------------------------------------- balance transactions --


def test_balance_transactions_page_newest_first_within_a_created_window(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    planted = [
        standin.add_balance_transaction(type="adjustment", amount=i, created=1_700_000_000 + i) for i in range(25)
    ]
    standin.add_balance_transaction(type="stripe_fee", amount=-5, created=1_700_000_010)

    first_page = client.v1.balance_transactions.list(params={"limit": 10, "type": "adjustment"})
    window = client.v1.balance_transactions.list(
        params={"limit": 10, "type": "adjustment", "created": {"gte": 1_700_000_005, "lt": 1_700_000_020}}
    )
    every = list(client.v1.balance_transactions.list(params={"limit": 10, "type": "adjustment"}).auto_paging_iter())

    assert len(first_page.data) == 10 and first_page.has_more is True and first_page.url == "/v1/balance_transactions"
    assert [t.id for t in every] == [t["id"] for t in reversed(planted)]
    assert [t.amount for t in window.auto_paging_iter()] == list(range(19, 4, -1))
    pages = [r for r in standin.requests if r.path == "/v1/balance_transactions"]
    assert len(pages) == 1 + 2 + 3  # first page, the window's two, auto-paging's three


def test_list_limits_are_stripes(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as too_many:
        client.v1.balance_transactions.list(params={"limit": 101})

    assert too_many.value.param == "limit"


# ------------------------------------------------------- wire and errors --


def test_unknown_ids_and_parameters_are_answered_like_stripe(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_missing")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(params={"amount": 700, "currency": "usd", "ticket": "t-1"})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(stripe.InvalidRequestError) as small:
        client.v1.payment_intents.create(params={"amount": 10, "currency": "usd"})

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert missing.value.json_body == {
        "error": {
            "type": "invalid_request_error",
            "message": "No such payment_intent: 'pi_missing'",
            "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "param": "id",
        }
    }
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "ticket")
    assert small.value.code == "amount_too_small"


def test_the_stand_in_speaks_the_api_version_the_sdk_pins(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    assert API_VERSION == stripe.api_version == "2026-10-28.endive"  # an SDK upgrade must revisit the stand-in
    assert response_of(intent).headers["Stripe-Version"] == stripe.api_version
    assert standin.events[0]["api_version"] == stripe.api_version


def test_requests_need_a_test_mode_secret_key(standin: StripeStandIn) -> None:
    with pytest.raises(stripe.AuthenticationError) as live:
        client_for(standin, key="sk_live_nope").v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    assert live.value.http_status == 401
    assert standin.requests[-1].status == 401


def test_every_answer_has_a_request_id_and_the_request_is_logged(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 700, "currency": "usd", "metadata": {"ticket_id": "t-9"}}
    )

    logged = standin.requests[-1]
    assert response_of(intent).request_id == logged.request_id and logged.request_id.startswith("req_")
    assert (logged.method, logged.path, logged.status) == ("POST", "/v1/payment_intents", 200)
    assert logged.params == {"amount": "700", "currency": "usd", "metadata": {"ticket_id": "t-9"}}


# ------------------------------------------------------------- webhooks --


def test_signed_events_are_accepted_by_stripes_own_verification(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    paid_intent(client)
    delivered: list[tuple[bytes, dict[str, str]]] = []
    sender = WebhookSender(lambda payload, headers: delivered.append((payload, headers)), SECRET)

    sender.send(standin.events_of("payment_intent.succeeded")[0])
    sender.send(sender.event("account.updated", {"id": "acct_x", "object": "account"}, account="acct_x"))

    events = [
        stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], SECRET) for payload, headers in delivered
    ]
    assert [(event.type, event.livemode) for event in events] == [
        ("payment_intent.succeeded", False),
        ("account.updated", False),
    ]
    assert events[0].data.object.status == "succeeded" and events[1].account == "acct_x"


@pytest.mark.parametrize(
    "forgery",
    [{"tamper": True}, {"secret": "whsec_wrong"}, {"timestamp": 1_600_000_000}],
    ids=["tampered body", "wrong secret", "stale timestamp"],
)
def test_forged_or_stale_deliveries_fail_stripes_verification(forgery: dict[str, Any]) -> None:
    delivered: list[tuple[bytes, dict[str, str]]] = []
    sender = WebhookSender(lambda payload, headers: delivered.append((payload, headers)), SECRET)

    sender.send(sender.event("payout.paid", {"id": "po_1", "object": "payout"}), **forgery)

    payload, headers = delivered[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], SECRET)


def test_the_signature_is_stripes_scheme() -> None:
    sender = WebhookSender(lambda payload, headers: None, "whsec_abc")

    header = sender.sign(b'{"id": "evt_1"}', timestamp=1_700_000_000)

    # computed independently: echo -n '1700000000.{"id": "evt_1"}' | openssl dgst -sha256 -hmac whsec_abc
    assert header == "t=1700000000,v1=523602a5261d3fb92a9f1da088d07b1901216560c5e61e432a856f9183a5e390"


def test_a_bug_in_the_stand_in_fails_the_test_instead_of_passing_for_an_outage() -> None:
    standin = StripeStandIn().start()
    standin.add_balance_transaction(type="adjustment", amount=1, description=object())  # type: ignore[arg-type]

    with pytest.raises(stripe.APIError):  # the SDK sees an outage...
        client_for(standin, retries=0).v1.balance_transactions.list()

    with pytest.raises(AssertionError, match="failed internally"):  # ...the test does not
        standin.stop()
