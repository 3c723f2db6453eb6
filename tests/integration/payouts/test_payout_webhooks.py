"""Stripe tells us what happened to the money after the transfer: paid to the bank, returned, reversed."""

from __future__ import annotations

from typing import Any

import stripe

from tests.integration.payouts.builders import Desk, DeskFactory, Person


def a_submitted_payout(desk: Desk, tickets: int = 5) -> tuple[Person, str, dict[str, Any]]:
    """A creator whose earnings were transferred to their connected account (payout `submitted`)."""
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=tickets, price=2_000)
    report = desk.run()
    (payout,) = report["payouts"]
    assert payout["status"] == "submitted"
    return maya, desk.payout_account(maya)["account_id"], payout


def test_payout_paid_on_the_connected_account_marks_the_payout_paid_and_moves_in_transit_to_cash(
    stripe_desk: Desk,
) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    cash_before = desk.balance("platform:cash")
    desk.stripe.pay_out(account)

    desk.deliver("payout.paid", account=account)

    assert desk.payout(payout["payout_id"])["status"] == "paid"
    assert desk.balance("platform:payouts_in_transit") == 0
    assert desk.balance("platform:cash") == cash_before - 9_700
    assert desk.earnings(maya)["paid"] == 9_700 and desk.earnings(maya)["in_transit"] == 0
    entries = desk.payout(payout["payout_id"])["ledger_entries"]
    assert [e["kind"] for e in entries] == ["payout_scheduled", "payout_paid"]


def test_payout_paid_delivered_three_times_has_one_effect(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    desk.stripe.pay_out(account)

    answers = desk.deliver("payout.paid", account=account, times=3)

    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert desk.events()["Payout.Paid"] == 1
    assert desk.earnings(maya)["paid"] == 9_700
    assert set(desk.trial_balance().values()) == {0}


def test_payout_failed_reverses_the_transfer_returns_the_funds_and_restricts_the_account(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    (bank_payout,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", account=account)
    desk.stripe.fail_payout(bank_payout["id"])

    desk.deliver("payout.failed", account=account)

    (transfer,) = desk.stripe.objects("transfer")
    assert transfer["amount_reversed"] == 9_700 and transfer["reversed"] is True
    assert desk.payout(payout["payout_id"])["status"] == "failed"
    assert desk.earnings(maya)["available"] == 9_700 and desk.earnings(maya)["in_transit"] == 0
    assert desk.balance(f"creator:{maya.sub}:available") == -9_700
    assert desk.payout_account(maya)["status"] == "restricted"
    assert set(desk.trial_balance().values()) == {0}


def test_a_payout_the_bank_returned_no_longer_counts_as_paid_in_the_creators_earnings(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    (bank_payout,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", account=account)
    desk.stripe.fail_payout(bank_payout["id"])

    desk.deliver("payout.failed", account=account)

    assert desk.earnings(maya) | {"lifetime": 0} == {
        "currency": "USD", "pending": 0, "available": 9_700, "in_transit": 0, "paid": 0, "lifetime": 0}


def test_after_a_failed_payout_the_restricted_creator_is_not_paid_until_stripe_enables_the_account(
    stripe_desk: Desk,
) -> None:
    desk = stripe_desk
    maya, account, _ = a_submitted_payout(desk)
    (bank_payout,) = desk.stripe.pay_out(account)
    desk.stripe.fail_payout(bank_payout["id"])
    desk.deliver("payout.failed", account=account)
    desk.next_month()

    restricted = desk.run()
    desk.enable_payouts(maya)
    enabled = desk.run()

    assert [s["reason"] for s in restricted["skipped"]] == ["no_enabled_payout_account"]
    assert [p["amount"] for p in enabled["payouts"]] == [9_700]
    assert [t["amount"] - t["amount_reversed"] for t in desk.stripe.objects("transfer")] == [0, 9_700]


def test_payout_failed_delivered_three_times_reverses_once(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    (bank_payout,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", account=account)
    desk.stripe.fail_payout(bank_payout["id"])

    answers = desk.deliver("payout.failed", account=account, times=3)
    desk.deliver("transfer.reversed", times=3)  # our own reversal comes back as an event too

    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    (transfer,) = desk.stripe.objects("transfer")
    assert transfer["reversals"]["total_count"] == 1 and transfer["amount_reversed"] == 9_700
    assert len({q.idempotency_key for q in desk.stripe.requests if q.path.endswith("/reversals")}) == 1
    assert desk.events()["Payout.Failed"] == 1
    assert desk.earnings(maya)["available"] == 9_700
    assert set(desk.trial_balance().values()) == {0}


def test_payout_failed_before_payout_paid_ends_failed_with_the_funds_available(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    (bank_payout,) = desk.stripe.pay_out(account)
    desk.stripe.fail_payout(bank_payout["id"])

    desk.deliver("payout.failed", account=account)
    desk.caught_up()
    desk.deliver("payout.paid", account=account)  # late

    assert desk.payout(payout["payout_id"])["status"] == "failed"
    assert desk.earnings(maya)["available"] == 9_700
    assert desk.balance("platform:payouts_in_transit") == 0
    assert set(desk.trial_balance().values()) == {0}


def test_payout_paid_right_after_payout_failed_is_acknowledged_even_before_the_read_tables_catch_up(
    open_desk: DeskFactory,
) -> None:
    desk = open_desk(stripe=True, projector="worker", read_your_writes_timeout=0)  # the projector is another process
    maya, account, payout = a_submitted_payout(desk)
    (bank_payout,) = desk.stripe.pay_out(account)
    desk.stripe.fail_payout(bank_payout["id"])

    desk.deliver("payout.failed", account=account)
    (late,) = desk.deliver("payout.paid", account=account, expect_ok=False)

    assert late.status_code == 200, late.text
    assert desk.payout(payout["payout_id"])["status"] == "failed"
    assert desk.earnings(maya)["available"] == 9_700


def test_transfer_reversed_from_the_dashboard_fails_the_payout_and_returns_the_funds(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    dashboard = stripe.StripeClient("sk_test_dashboard", base_addresses={"api": desk.stripe.url})
    dashboard.v1.transfers.reversals.create(payout["transfer_id"])

    answers = desk.deliver("transfer.reversed", object_id=payout["transfer_id"], times=3)

    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert desk.payout(payout["payout_id"])["status"] == "failed"
    assert desk.events()["Payout.Failed"] == 1
    assert desk.earnings(maya)["available"] == 9_700 and desk.earnings(maya)["in_transit"] == 0
    assert set(desk.trial_balance().values()) == {0}


def test_payout_failed_delivered_again_never_reverses_an_earlier_payout_of_the_same_creator(stripe_desk: Desk) -> None:
    desk = stripe_desk
    # March: 97.00 paid to the bank.
    maya, account, march = a_submitted_payout(desk)
    desk.stripe.pay_out(account)
    desk.deliver("payout.paid", account=account)
    # April: 58.20 transferred and paid out, then the bank returns it.
    desk.earned_and_released(maya, tickets=3, price=2_000)
    desk.next_month()
    (april,) = desk.run()["payouts"]
    (april_bank_payout,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", object_id=april_bank_payout["id"])
    desk.stripe.fail_payout(april_bank_payout["id"])

    desk.deliver("payout.failed", account=account)
    desk.caught_up()
    desk.deliver("payout.failed", account=account, times=2)  # Stripe delivers it again later

    assert desk.payout(april["payout_id"])["status"] == "failed"
    assert desk.payout(march["payout_id"])["status"] == "paid"
    reversed_amounts = {t["id"]: t["amount_reversed"] for t in desk.stripe.objects("transfer")}
    assert reversed_amounts == {march["transfer_id"]: 0, april["transfer_id"]: 5_820}


def test_a_partial_reversal_returns_only_the_reversed_amount_to_available(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, _, payout = a_submitted_payout(desk)
    dashboard = stripe.StripeClient("sk_test_dashboard", base_addresses={"api": desk.stripe.url})
    dashboard.v1.transfers.reversals.create(payout["transfer_id"], params={"amount": 1_000})

    desk.deliver("transfer.reversed", object_id=payout["transfer_id"])

    assert desk.earnings(maya)["available"] == 1_000
    assert set(desk.trial_balance().values()) == {0}

