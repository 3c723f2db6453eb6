"""`payout.paid` settles exactly the transfers that the bank payout carried, never others.

Stripe pays a connected account's balance to the bank in payouts of its own;
one may carry one of our transfers, several, or none (a Dashboard transfer,
a manual payout). We ask Stripe which balance transactions the bank payout
swept; when it cannot say (a manual payout), one payout of exactly that
amount and currency is settled, and nothing else.
"""

from __future__ import annotations

from typing import Any

import stripe

from tests.integration.payouts.builders import Desk, Person
from tests.integration.payouts.test_payout_webhooks import a_submitted_payout


def a_second_payout(desk: Desk, maya: Person) -> dict[str, Any]:
    """April's 58.20, transferred (submitted) a month after March's."""
    desk.earned_and_released(maya, tickets=3, price=2_000)
    desk.next_month()
    (april,) = desk.run()["payouts"]
    assert april["status"] == "submitted" and april["amount"] == 5_820
    return april


def a_manual_bank_payout(desk: Desk, account: str, amount: int, currency: str = "usd") -> dict[str, Any]:
    """The creator pays out by hand from their Dashboard: Stripe cannot list what it carried."""
    dashboard = stripe.StripeClient("sk_test_dashboard", base_addresses={"api": desk.stripe.url})
    payout = dashboard.v1.payouts.create(params={"amount": amount, "currency": currency},
                                         options={"stripe_account": account})
    return {"id": payout.id, "object": "payout", "amount": amount, "currency": currency, "status": "paid",
            "automatic": False}


def deliver_paid(desk: Desk, bank_payout: dict[str, Any], account: str) -> Any:
    assert desk.webhooks is not None
    r = desk.webhooks.send(desk.webhooks.event("payout.paid", bank_payout, account=account))
    assert r.status_code == 200, r.text
    return r


def statuses(desk: Desk, *payouts: dict[str, Any]) -> list[str]:
    return [desk.payout(p["payout_id"])["status"] for p in payouts]


def test_payout_paid_settles_the_transfer_it_carried_and_not_a_later_one(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, march = a_submitted_payout(desk)
    (march_bank,) = desk.stripe.pay_out(account)  # carries March's transfer
    april = a_second_payout(desk, maya)  # transferred after the bank payout left

    desk.deliver("payout.paid", object_id=march_bank["id"])

    assert statuses(desk, march, april) == ["paid", "submitted"]
    assert desk.earnings(maya)["paid"] == 9_700 and desk.earnings(maya)["in_transit"] == 5_820
    assert desk.balance("platform:payouts_in_transit") == -5_820
    assert set(desk.trial_balance().values()) == {0}


def test_the_next_bank_payout_settles_the_next_transfer(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, march = a_submitted_payout(desk)
    (march_bank,) = desk.stripe.pay_out(account)
    april = a_second_payout(desk, maya)
    desk.deliver("payout.paid", object_id=march_bank["id"])

    (april_bank,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", object_id=april_bank["id"])

    assert statuses(desk, march, april) == ["paid", "paid"]
    assert desk.earnings(maya)["paid"] == 15_520 and desk.earnings(maya)["in_transit"] == 0


def test_a_bank_payout_that_carried_two_transfers_settles_both(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, march = a_submitted_payout(desk)
    april = a_second_payout(desk, maya)

    (bank,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", object_id=bank["id"])

    assert bank["amount"] == 15_520
    assert statuses(desk, march, april) == ["paid", "paid"]


def test_a_bank_payout_that_carried_only_a_dashboard_transfer_settles_nothing(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, march = a_submitted_payout(desk)
    (march_bank,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", object_id=march_bank["id"])
    april = a_second_payout(desk, maya)
    (april_bank,) = desk.stripe.pay_out(account)  # carries April's transfer; not delivered yet
    desk.stripe.connect.add_unknown_transfer(account, 5_820, metadata_={"payout_id": march["payout_id"]})
    (dashboard_bank,) = desk.stripe.pay_out(account)  # carries only the Dashboard transfer

    deliver_paid(desk, {**dashboard_bank, "status": "paid"}, account)

    assert statuses(desk, march, april) == ["paid", "submitted"]
    assert desk.events()["Payout.Paid"] == 1


def test_a_manual_bank_payout_settles_the_one_payout_of_its_amount_and_currency(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, march = a_submitted_payout(desk)
    april = a_second_payout(desk, maya)

    deliver_paid(desk, a_manual_bank_payout(desk, account, 5_820), account)

    assert statuses(desk, march, april) == ["submitted", "paid"]


def test_a_manual_bank_payout_of_another_amount_settles_nothing(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, march = a_submitted_payout(desk)
    before = desk.events()

    deliver_paid(desk, a_manual_bank_payout(desk, account, 1_234), account)

    assert statuses(desk, march) == ["submitted"]
    assert desk.events() == before


def test_a_manual_bank_payout_in_another_currency_settles_nothing(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, account, march = a_submitted_payout(desk)

    deliver_paid(desk, a_manual_bank_payout(desk, account, 9_700, currency="eur"), account)

    assert statuses(desk, march) == ["submitted"]
    assert desk.earnings(maya)["in_transit"] == 9_700


def test_a_bank_payout_carrying_a_transfer_we_never_recorded_submits_and_settles_its_payout(
    stripe_desk: Desk,
) -> None:
    desk = stripe_desk
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)
    account = desk.payout_account(maya)["account_id"]
    # The run died after Stripe made the transfer and before we recorded it: the payout is scheduled.
    runner = desk.runner
    report = runner.run(dry_run=True)
    assert [p["amount"] for p in report.payouts] == [9_700]
    original = runner._submit  # noqa: SLF001 - the crash is the point of the test
    try:
        runner._submit = lambda payouts, report, repairing=False: [  # type: ignore[method-assign]
            runner._send(p, repairing) for p in payouts]  # noqa: SLF001
        desk.run()
    finally:
        runner._submit = original  # type: ignore[method-assign]
    (scheduled,) = desk.payouts()
    assert scheduled["status"] == "scheduled"
    (bank,) = desk.stripe.pay_out(account)

    desk.deliver("payout.paid", object_id=bank["id"])

    assert desk.payout(scheduled["id"])["status"] == "paid"
    assert desk.earnings(maya)["paid"] == 9_700
    assert len(desk.stripe.objects("transfer")) == 1
    assert set(desk.trial_balance().values()) == {0}
