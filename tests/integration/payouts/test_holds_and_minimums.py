"""When earnings become payable, and how much a run pays: holds, minimums, commission tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.payouts.builders import SECOND, Desk, DeskFactory

WEEK = timedelta(days=7)


# --- the hold: room end + refund window, to the second ---------------------------------------


def test_a_run_one_second_before_the_refund_window_passes_releases_and_pays_nothing(desk: Desk) -> None:
    maya = desk.a_creator()
    room, ended, _ = desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.clock.advance(days=7)

    report = desk.run(as_of=ended + WEEK - SECOND)

    assert report["released_rooms"] == [] and report["payouts"] == [] and report["skipped"] == []
    assert desk.earnings(maya)["pending"] == 9_700 and desk.earnings(maya)["available"] == 0
    assert desk.transfers() == []


def test_a_run_exactly_when_the_refund_window_passes_releases_and_pays(desk: Desk) -> None:
    maya = desk.a_creator()
    room, ended, _ = desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.clock.advance(days=7)
    desk.run(as_of=ended + WEEK - SECOND)

    report = desk.run(as_of=ended + WEEK)

    assert report["released_rooms"] == [room]
    assert [(p["creator_id"], p["amount"], p["status"]) for p in report["payouts"]] == [(maya.sub, 9_700, "paid")]
    assert desk.earnings(maya) | {"lifetime": None} == {
        "currency": "USD", "pending": 0, "available": 0, "in_transit": 0, "paid": 9_700, "lifetime": None}
    assert [t["amount"] for t in desk.transfers()] == [9_700]


@pytest.mark.parametrize("window_days", [0, 3, 14])
def test_the_refund_window_is_configurable_and_holds_to_the_second(open_desk: DeskFactory, window_days: int) -> None:
    desk = open_desk(refund_window_days=window_days)
    maya = desk.a_creator()
    room, ended, _ = desk.an_ended_room(maya, tickets=1, price=10_000)
    window = timedelta(days=window_days)
    desk.clock.advance(days=window_days)

    early = desk.run(as_of=ended + window - SECOND)
    on_time = desk.run(as_of=ended + window)

    assert early["released_rooms"] == [] and early["payouts"] == []
    assert on_time["released_rooms"] == [room] and [p["amount"] for p in on_time["payouts"]] == [9_700]


def test_with_no_window_and_no_minimum_a_room_that_just_ended_pays_out_any_amount(open_desk: DeskFactory) -> None:
    desk = open_desk(refund_window_days=0, payout_minimum_major=0)
    maya = desk.a_creator()
    desk.an_ended_room(maya, tickets=1, price=100)  # 1.00: the creator earns 0.97

    report = desk.run()

    assert [p["amount"] for p in report["payouts"]] == [97]
    assert desk.earnings(maya)["paid"] == 97


def test_a_cancelled_rooms_earnings_never_become_available(desk: Desk) -> None:
    maya = desk.a_creator()
    room = desk.a_room(maya)
    desk.sell(room, 3)
    desk.cancel(maya, room)
    desk.clock.advance(days=60)

    report = desk.run()

    assert report["released_rooms"] == [] and report["payouts"] == []
    assert (desk.earnings(maya)["pending"], desk.earnings(maya)["available"]) == (0, 0)
    assert desk.transfers() == []


def test_a_cancelled_room_whose_refunds_failed_still_never_releases_its_earnings(desk: Desk) -> None:
    maya = desk.a_creator()
    room = desk.a_room(maya)
    desk.sell(room, 3)
    desk.services.gateway.fail_refunds = True
    desk.cancel(maya, room)
    desk.clock.advance(days=60)

    report = desk.run()

    assert report["released_rooms"] == [] and report["payouts"] == []
    assert desk.earnings(maya)["available"] == 0
    assert desk.transfers() == []


# --- the minimum, per currency -------------------------------------------------------------


def test_less_than_the_minimum_is_skipped_and_rolls_over_to_the_next_period(desk: Desk) -> None:
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=1, price=5_154)  # the creator earns 49.99

    # March: 49.99 is below the 50.00 minimum.
    march = desk.run()
    # More sales; in April the total is due.
    desk.an_ended_room(maya, tickets=1, price=5_154)
    desk.next_month()
    april = desk.run()

    assert march["payouts"] == []
    assert march["skipped"] == [{"creator_id": maya.sub, "currency": "USD", "amount": 4_999, "reason": "below_minimum"}]
    assert [(p["amount"], p["status"]) for p in april["payouts"]] == [(9_998, "paid")]
    assert april["skipped"] == []
    assert desk.earnings(maya)["available"] == 0 and desk.earnings(maya)["paid"] == 9_998
    assert [t["amount"] for t in desk.transfers()] == [9_998]


def test_the_minimum_applies_to_each_currency_separately(desk: Desk) -> None:
    maya = desk.a_creator()
    desk.an_ended_room(maya, tickets=5, price=2_000, currency="USD")  # 97.00 USD
    desk.earned_and_released(maya, tickets=1, price=5_154, currency="EUR")  # 49.99 EUR

    # March: the dollars are paid, the euros wait.
    march = desk.run()
    desk.an_ended_room(maya, tickets=1, price=5_154, currency="EUR")
    desk.next_month()
    april = desk.run()

    assert [(p["currency"], p["amount"]) for p in march["payouts"]] == [("USD", 9_700)]
    assert march["skipped"] == [{"creator_id": maya.sub, "currency": "EUR", "amount": 4_999, "reason": "below_minimum"}]
    assert [(p["currency"], p["amount"]) for p in april["payouts"]] == [("EUR", 9_998)]
    assert desk.earnings(maya, "EUR")["paid"] == 9_998 and desk.earnings(maya, "USD")["paid"] == 9_700
    assert sorted((t["currency"].upper(), t["amount"]) for t in desk.transfers()) == [("EUR", 9_998), ("USD", 9_700)]


def test_the_minimum_is_configurable(open_desk: DeskFactory) -> None:
    desk = open_desk(payout_minimum_major=100)
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)  # 97.00

    report = desk.run()

    assert report["payouts"] == []
    assert [s["reason"] for s in report["skipped"]] == ["below_minimum"]
    assert desk.earnings(maya)["available"] == 9_700


# --- commission tiers: 97% to 50,000.00 lifetime, 80% beyond ---------------------------------------


def test_a_creator_crossing_50000_is_paid_exactly_the_sum_of_their_shares(open_desk: DeskFactory) -> None:
    desk = open_desk()
    maya = desk.a_creator()
    # 60 tickets at 999.00: 50,000.00 at 97% and 9,940.00 at 80% (ARCHITECTURE.md, "Money rules").
    desk.earned_and_released(maya, tickets=60, price=99_900)

    report = desk.run()

    assert [p["amount"] for p in report["payouts"]] == [5_645_200]
    assert desk.earnings(maya)["paid"] == desk.earnings(maya)["lifetime"] == 5_645_200
    assert [t["amount"] for t in desk.transfers()] == [5_645_200]


def test_a_creator_already_past_50000_is_paid_80_percent_of_later_sales(open_desk: DeskFactory) -> None:
    desk = open_desk()
    maya = desk.a_creator()
    # March: 51 tickets at 999.00; the last one crosses the threshold (50.00 at 97%, 949.00 at 80%).
    desk.earned_and_released(maya, tickets=51, price=99_900)
    march = desk.run()
    # April: 10 tickets at 100.00, all beyond the threshold.
    desk.an_ended_room(maya, tickets=10, price=10_000)
    desk.next_month()
    april = desk.run()

    assert [p["amount"] for p in march["payouts"]] == [50 * 96_903 + 4_850 + 75_920]
    assert [p["amount"] for p in april["payouts"]] == [80_000]
    assert desk.earnings(maya)["paid"] == desk.earnings(maya)["lifetime"] == 50 * 96_903 + 4_850 + 75_920 + 80_000
