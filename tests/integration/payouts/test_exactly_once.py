"""Every creator is paid once per period: runs twice, crashes at each step, Stripe errors and timeouts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.payouts.builders import (
    CrashAfterSubmitRunner,
    CrashingGateway,
    Desk,
    DeskFactory,
    ProcessCrash,
    forget_idempotency_keys,
)

# --- helpers that state the invariants ----------------------------------------------------------


def assert_books_balanced(desk: Desk, creators: list[Any], *, paid: int, in_transit: int) -> None:
    """Trial balance zero, nothing left available, and the money either in transit or paid."""
    assert set(desk.trial_balance().values()) <= {0}
    for creator in creators:
        assert desk.earnings(creator)["available"] == 0
    assert desk.balance("platform:payouts_in_transit") == -in_transit
    assert sum(desk.earnings(c)["paid"] for c in creators) == paid
    assert sum(desk.earnings(c)["in_transit"] for c in creators) == in_transit


def transfers_per_destination(desk: Desk) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in desk.stripe.objects("transfer"):
        counts[t["destination"]] = counts.get(t["destination"], 0) + 1
    return counts


def two_creators_owed(desk: Desk) -> list[Any]:
    maya, omar = desk.a_creator(), desk.a_creator()
    desk.an_ended_room(maya, tickets=5, price=2_000)  # 97.00
    desk.earned_and_released(omar, tickets=3, price=5_000)  # 145.50
    return [maya, omar]


# --- two runs in a row ------------------------------------------------------------------------


def test_two_runs_in_a_row_pay_each_creator_once(desk: Desk) -> None:
    creators = two_creators_owed(desk)

    first = desk.run()
    second = desk.run()

    assert sorted(p["amount"] for p in first["payouts"]) == [9_700, 14_550]
    assert second["payouts"] == [] and second["released_rooms"] == []
    assert sorted(t["amount"] for t in desk.transfers()) == [9_700, 14_550]
    assert_books_balanced(desk, creators, paid=24_250, in_transit=0)


def test_stripe_two_payout_runs_in_a_row_make_one_transfer_per_creator(stripe_desk: Desk) -> None:
    desk = stripe_desk
    two_creators_owed(desk)

    first = desk.run()
    second = desk.run()

    assert len(first["payouts"]) == 2 and second["payouts"] == []
    assert list(transfers_per_destination(desk).values()) == [1, 1]
    posts = desk.transfer_posts()
    assert len(posts) == 2 and all(q.idempotency_key.startswith("transfer-") for q in posts)


def test_more_earnings_later_in_the_same_period_wait_for_the_next_period(desk: Desk) -> None:
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)
    desk.run()
    desk.earned_and_released(maya, tickets=5, price=2_000)

    again = desk.run()
    desk.next_month()
    later = desk.run()

    assert again["payouts"] == []
    assert [s["reason"] for s in again["skipped"]] == ["already_paid_out_this_period"]
    assert [p["amount"] for p in later["payouts"]] == [9_700]
    assert sorted(t["amount"] for t in desk.transfers()) == [9_700, 9_700]


# --- a crash at each step, then a rerun ------------------------------------------------------------


@pytest.mark.parametrize("processor", ["sandbox", "stripe"])
def test_a_crash_after_scheduling_before_any_transfer_is_repaired_by_the_next_run(
    open_desk: DeskFactory, processor: str,
) -> None:
    desk = open_desk(stripe=processor == "stripe", wrap=CrashingGateway)
    creators = two_creators_owed(desk)
    desk.services.gateway.arm("before")

    # The run schedules both payouts, then dies before sending anything.
    with pytest.raises(ProcessCrash):
        desk.run_directly()
    scheduled = desk.payouts(status="scheduled")
    sent_before_the_crash = list(desk.services.gateway.made)
    # The process comes back and runs again.
    desk.services.gateway.disarm()
    rerun = desk.run()

    assert len(scheduled) == 2 and sent_before_the_crash == []
    assert sorted(rerun["repaired"]) == sorted(p["id"] for p in scheduled)
    assert sorted(t["amount"] for t in desk.transfers()) == [9_700, 14_550]
    assert desk.payouts(status="scheduled") == []
    if processor == "stripe":
        assert list(transfers_per_destination(desk).values()) == [1, 1]
        assert_books_balanced(desk, creators, paid=0, in_transit=24_250)
    else:
        assert_books_balanced(desk, creators, paid=24_250, in_transit=0)


@pytest.mark.parametrize("processor", ["sandbox", "stripe"])
def test_a_crash_after_the_processor_accepted_the_transfer_is_repaired_without_paying_twice(
    open_desk: DeskFactory, processor: str,
) -> None:
    desk = open_desk(stripe=processor == "stripe", wrap=CrashingGateway)
    creators = two_creators_owed(desk)
    desk.services.gateway.arm("after")

    # The transfers are made, but the process dies before recording them.
    with pytest.raises(ProcessCrash):
        desk.run_directly()
    made = {t.transfer_id for t in desk.services.gateway.made}
    desk.services.gateway.disarm()
    rerun = desk.run()

    paid_by = {p["transfer_id"] for p in rerun["payouts"]}
    assert made and made <= paid_by  # what reached the processor before the crash is recorded, not re-sent
    assert len(rerun["repaired"]) == 2
    assert {t["id"] for t in desk.transfers()} == paid_by and len(paid_by) == 2
    if processor == "stripe":
        assert_books_balanced(desk, creators, paid=0, in_transit=24_250)
    else:
        assert_books_balanced(desk, creators, paid=24_250, in_transit=0)


def test_a_crash_midway_keeps_the_chunks_already_recorded_and_the_rerun_repairs_only_the_rest(
    open_desk: DeskFactory,
) -> None:
    desk = open_desk(stripe=True, wrap=CrashingGateway, payout_workers=1)
    desk.runner.chunk = 2  # answers are recorded two at a time while later transfers are sent
    creators = [desk.a_creator() for _ in range(5)]
    for creator in creators:
        desk.an_ended_room(creator, tickets=1, price=6_000)  # 58.20 each
    desk.clock.advance(days=desk.services.settings.refund_window_days)
    desk.services.gateway.arm("after", spare=2)

    # Two transfers are answered and recorded; the third is made, then the process dies.
    with pytest.raises(ProcessCrash):
        desk.run_directly()
    recorded, unconfirmed = desk.payouts(status="submitted"), desk.payouts(status="scheduled")
    desk.services.gateway.disarm()
    rerun = desk.run()

    assert len(recorded) == 2 and len(unconfirmed) == 3
    assert sorted(rerun["repaired"]) == sorted(p["id"] for p in unconfirmed)
    assert list(transfers_per_destination(desk).values()) == [1] * 5
    assert_books_balanced(desk, creators, paid=0, in_transit=5 * 5_820)


def test_stripe_a_crash_after_the_transfer_is_repaired_by_lookup_once_the_idempotency_keys_expired(
    open_desk: DeskFactory,
) -> None:
    desk = open_desk(stripe=True, wrap=CrashingGateway)
    creators = two_creators_owed(desk)
    desk.services.gateway.arm("after")
    with pytest.raises(ProcessCrash):
        desk.run_directly()
    # The run stops sending once it dies: a transfer not yet started never leaves.
    made = len(desk.services.gateway.made)
    desk.services.gateway.disarm()
    # More than 24 hours pass: Stripe no longer remembers the keys.
    forget_idempotency_keys(desk.stripe)
    requests_before = len(desk.stripe.requests)

    rerun = desk.run()

    assert len(rerun["repaired"]) == 2 and made >= 1
    assert list(transfers_per_destination(desk).values()) == [1, 1]
    later = [(q.method, q.path) for q in desk.stripe.requests[requests_before:]]
    assert ("GET", "/v1/transfers") in later
    assert later.count(("POST", "/v1/transfers")) == 2 - made  # only what never reached Stripe is sent
    assert_books_balanced(desk, creators, paid=0, in_transit=24_250)


@pytest.mark.parametrize("processor", ["sandbox", "stripe"])
def test_a_crash_after_the_submissions_were_recorded_leaves_the_run_incomplete_and_pays_nothing_again(
    open_desk: DeskFactory, processor: str,
) -> None:
    desk = open_desk(stripe=processor == "stripe")
    creators = two_creators_owed(desk)
    crashing = CrashAfterSubmitRunner.like(desk.runner)

    with pytest.raises(ProcessCrash):
        desk.run_directly(crashing)
    (run_id,) = {p["run_id"] for p in desk.payouts()}
    rerun = desk.run()

    assert rerun["payouts"] == [] and rerun["repaired"] == []
    assert len(desk.transfers()) == 2
    crashed = desk.http.get(f"/v1/payout-runs/{run_id}", headers=desk.finance.headers).json()
    assert crashed["status"] == "incomplete"
    if processor == "stripe":
        assert list(transfers_per_destination(desk).values()) == [1, 1]
        assert_books_balanced(desk, creators, paid=0, in_transit=24_250)
    else:
        assert_books_balanced(desk, creators, paid=24_250, in_transit=0)


# --- Stripe errors and timeouts -----------------------------------------------------------------


def test_stripe_a_500_on_transfer_is_retried_with_the_same_key_and_makes_one_transfer(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)
    desk.stripe.fail_next("POST", "/v1/transfers", 500)

    report = desk.run()

    assert [(p["amount"], p["status"]) for p in report["payouts"]] == [(9_700, "submitted")]
    posts = desk.transfer_posts()
    assert [q.status for q in posts] == [500, 200] and len({q.idempotency_key for q in posts}) == 1
    assert len(desk.stripe.objects("transfer")) == 1


def test_stripe_a_timeout_on_transfer_is_retried_with_the_same_key_and_makes_one_transfer(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)
    desk.stripe.timeout_next("POST", "/v1/transfers", seconds=1.5)

    report = desk.run()

    assert [(p["amount"], p["status"]) for p in report["payouts"]] == [(9_700, "submitted")]
    posts = desk.transfer_posts()
    assert len(posts) == 2 and len({q.idempotency_key for q in posts}) == 1
    assert posts[1].replayed
    assert len(desk.stripe.objects("transfer")) == 1


def test_stripe_a_persistent_outage_leaves_the_payout_scheduled_and_the_next_run_sends_it_once(
    stripe_desk: Desk,
) -> None:
    desk = stripe_desk
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)
    desk.stripe.fail_next("POST", "/v1/transfers", 503, times=3)  # every attempt of the SDK (1 + 2 retries)

    # Stripe is down for the whole run.
    down = desk.run()
    waiting = desk.payouts(creator_id=maya.sub)
    # Stripe is back.
    back = desk.run()

    assert down["payouts"] == [] and [e["retryable"] for e in down["errors"]] == [True]
    assert [(p["status"], p["amount"]["amount"]) for p in waiting] == [("scheduled", 9_700)]
    assert back["repaired"] == [waiting[0]["id"]]
    assert [p["status"] for p in desk.payouts(creator_id=maya.sub)] == ["submitted"]
    assert len(desk.stripe.objects("transfer")) == 1
    assert len({q.idempotency_key for q in desk.transfer_posts()}) == 1
    assert_books_balanced(desk, [maya], paid=0, in_transit=9_700)


def test_a_transfer_stripe_refuses_cancels_the_payout_and_returns_the_funds(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya = desk.a_creator()
    account = desk.payout_account(maya)["account_id"]
    desk.earned_and_released(maya, tickets=5, price=2_000)
    # Stripe turned the account's transfers capability off; account.updated has not arrived yet.
    desk.stripe.set_account_status(account, charges_enabled=True, payouts_enabled=True, transfers_active=False)

    report = desk.run()

    assert report["payouts"] == [] and [e["retryable"] for e in report["errors"]] == [False]
    assert [p["status"] for p in desk.payouts(creator_id=maya.sub)] == ["cancelled"]
    assert desk.earnings(maya)["available"] == 9_700 and desk.earnings(maya)["in_transit"] == 0
    assert desk.stripe.objects("transfer") == []
    assert set(desk.trial_balance().values()) == {0}


def test_on_a_weekly_schedule_each_week_is_its_own_period(open_desk: DeskFactory) -> None:
    desk = open_desk(payout_schedule="weekly")
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)
    first = desk.run()
    desk.earned_and_released(maya, tickets=5, price=2_000)  # seven days later: another ISO week

    second = desk.run()

    assert [(first["period"], second["period"])] == [("2026-W11", "2026-W12")]
    assert [p["amount"] for p in first["payouts"] + second["payouts"]] == [9_700, 9_700]
    assert len(desk.transfers()) == 2
