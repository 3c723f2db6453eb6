"""The stand-in's Connect: Express accounts and onboarding, transfers and reversals, payouts, scoping."""

from __future__ import annotations

import pytest
import stripe

from tests.integration.stripe.standin.builders import client_for, paid_intent, enabled_account
from tests.stripe_standin import StripeStandIn


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
