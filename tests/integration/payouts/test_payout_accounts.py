"""A creator is paid only to an enabled payout account; until then the earnings wait."""

from __future__ import annotations

from tests.integration.payouts.builders import Desk


def test_a_creator_without_a_payout_account_accumulates_and_nothing_is_sent(desk: Desk) -> None:
    maya = desk.a_creator(payout_account=False)
    desk.earned_and_released(maya, tickets=5, price=2_000)

    report = desk.run()

    assert report["payouts"] == []
    assert report["skipped"] == [{"creator_id": maya.sub, "currency": "USD", "amount": 9_700,
                                  "reason": "no_enabled_payout_account"}]
    assert desk.earnings(maya)["available"] == 9_700
    assert desk.transfers() == []


def test_once_the_account_is_opened_the_next_run_pays_everything_accumulated(desk: Desk) -> None:
    maya = desk.a_creator(payout_account=False)
    desk.earned_and_released(maya, tickets=5, price=2_000)
    desk.run()
    desk.earned_and_released(maya, tickets=2, price=2_000)
    desk.run()

    desk.open_payout_account(maya)  # the sandbox enables it at once
    report = desk.run()

    assert [(p["creator_id"], p["amount"]) for p in report["payouts"]] == [(maya.sub, 9_700 + 3_880)]
    assert desk.earnings(maya)["available"] == 0 and desk.earnings(maya)["paid"] == 13_580


def test_stripe_a_pending_account_accumulates_until_account_updated_enables_it(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya = desk.a_creator(payout_account=False)
    account = desk.open_payout_account(maya)
    desk.earned_and_released(maya, tickets=5, price=2_000)

    # Onboarding not finished: the earnings wait.
    first = desk.run()
    desk.earned_and_released(maya, tickets=2, price=2_000)
    second = desk.run()
    # Stripe enables the account and says so.
    desk.stripe.set_account_status(account, charges_enabled=True, payouts_enabled=True, currently_due=[])
    desk.deliver("account.updated", object_id=account)
    third = desk.run()

    assert [s["reason"] for s in first["skipped"] + second["skipped"]] == ["no_enabled_payout_account"] * 2
    assert first["payouts"] == second["payouts"] == []
    assert [(p["amount"], p["status"]) for p in third["payouts"]] == [(13_580, "submitted")]
    (transfer,) = desk.stripe.objects("transfer")
    assert (transfer["amount"], transfer["destination"]) == (13_580, account)
    assert len(desk.transfer_posts()) == 1
    assert desk.earnings(maya) | {"lifetime": 0} == {
        "currency": "USD", "pending": 0, "available": 0, "in_transit": 13_580, "paid": 0, "lifetime": 0}
