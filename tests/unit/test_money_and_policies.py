"""Money, prices, capacity, schedule, eligibility and the revenue split: the rules, named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import (
    CurrencyMismatchError,
    InvalidCapacityError,
    InvalidPriceError,
    InvalidScheduleError,
    NotEligibleError,
)
from store.timecodes import from_us, to_us
from domain.money import Money
from domain.policies import CapacityPolicy, CommissionPolicy, HostEligibility, PricePolicy, SchedulePolicy

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def test_money_is_integer_minor_units_of_a_known_currency() -> None:
    assert Money(999, "USD") + Money(1, "USD") == Money(1000, "USD")
    with pytest.raises(InvalidPriceError):
        Money(9.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidPriceError):
        Money(True, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidPriceError):
        Money(100, "XYZ")


def test_different_currencies_never_add() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money(100, "USD") + Money(100, "EUR")


def test_money_prints_in_major_units() -> None:
    assert str(Money(99900, "USD")) == "999.00 USD"
    assert str(Money(-5, "EUR")) == "-0.05 EUR"
    assert str(Money(1500, "JPY")) == "1500 JPY"


@pytest.mark.parametrize("amount", [100, 500, 99900])
def test_prices_from_one_to_999_are_accepted(amount: int) -> None:
    PricePolicy().check(Money(amount, "USD"))


@pytest.mark.parametrize("amount", [0, -100, 99, 99901])
def test_prices_outside_one_to_999_are_refused(amount: int) -> None:
    with pytest.raises(InvalidPriceError):
        PricePolicy().check(Money(amount, "USD"))


def test_price_bounds_follow_the_currency_exponent() -> None:
    PricePolicy().check(Money(1, "JPY"))
    with pytest.raises(InvalidPriceError):
        PricePolicy().check(Money(1000, "JPY"))


@pytest.mark.parametrize("capacity", [0, -1, 100_001])
def test_capacity_must_be_positive_and_at_most_the_maximum(capacity: int) -> None:
    with pytest.raises(InvalidCapacityError):
        CapacityPolicy().check(capacity)


def test_capacity_maximum_is_configurable() -> None:
    CapacityPolicy(maximum=10).check(10)
    with pytest.raises(InvalidCapacityError):
        CapacityPolicy(maximum=10).check(11)


def test_host_needs_600_followers_by_default() -> None:
    HostEligibility().check(600)
    with pytest.raises(NotEligibleError):
        HostEligibility().check(599)
    HostEligibility(min_followers=10).check(10)


def test_a_room_starts_now_or_within_14_days() -> None:
    policy = SchedulePolicy()
    assert policy.resolve_start(None, NOW) == NOW
    assert policy.resolve_start(NOW + timedelta(days=14), NOW) == NOW + timedelta(days=14)
    with pytest.raises(InvalidScheduleError):
        policy.resolve_start(NOW + timedelta(days=14, seconds=1), NOW)
    with pytest.raises(InvalidScheduleError):
        policy.resolve_start(NOW - timedelta(minutes=5), NOW)


def test_a_start_a_few_seconds_ago_means_now() -> None:
    assert SchedulePolicy().resolve_start(NOW - timedelta(seconds=30), NOW) == NOW


def test_sales_end_must_be_in_the_future() -> None:
    with pytest.raises(InvalidScheduleError):
        SchedulePolicy().check_sales_end(NOW, NOW)


def test_split_gives_the_creator_97_percent_below_the_threshold_rounding_down() -> None:
    split = CommissionPolicy().split(Money(999, "USD"), lifetime_before=0)
    assert (split.creator_share, split.commission) == (969, 30)  # 969.03 rounds down
    assert split.gross == split.creator_share + split.commission


def test_split_gives_80_percent_beyond_the_threshold() -> None:
    split = CommissionPolicy().split(Money(1000, "USD"), lifetime_before=5_000_000)
    assert (split.creator_share, split.commission) == (800, 200)


def test_a_sale_crossing_the_threshold_is_split_at_it_to_the_cent() -> None:
    # 49,999.00 earned; a 999.00 sale: 1.00 at 97%, 998.00 at 80%.
    split = CommissionPolicy().split(Money(99_900, "USD"), lifetime_before=4_999_900)
    assert split.creator_share == 97 + 79_840
    assert split.commission == 99_900 - split.creator_share


def test_sixty_tickets_at_999_give_the_creator_5_645_200_minor_units() -> None:
    policy, lifetime, creator = CommissionPolicy(), 0, 0
    for _ in range(60):
        split = policy.split(Money(99_900, "USD"), lifetime)
        lifetime += split.gross
        creator += split.creator_share
    assert creator == 5_645_200  # 50,000.00 x 97% + 9,940.00 x 80% (ARCHITECTURE.md)


def test_the_threshold_counts_per_currency_in_its_own_minor_units() -> None:
    split = CommissionPolicy().split(Money(1000, "JPY"), lifetime_before=50_000)
    assert split.creator_share == 800


def test_a_full_refund_reverses_the_split_exactly_and_a_partial_one_proportionally() -> None:
    split = CommissionPolicy().split(Money(999, "USD"), 0)
    assert CommissionPolicy.reverse(split, 999) == (969, 30)
    creator, commission = CommissionPolicy.reverse(split, 500)
    assert (creator, commission) == (500 * 969 // 999, 500 - 500 * 969 // 999)


# --- stored timestamps -------------------------------------------------------------


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_stored_timestamps_are_exact_microseconds_and_read_back_equal(at: datetime) -> None:
    us = to_us(at)

    assert us == (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert from_us(us) == at and from_us(us).tzinfo is not None


def test_a_timestamp_a_float_would_round_one_microsecond_early_is_stored_exactly() -> None:
    at = datetime(2004, 10, 27, 3, 59, 33, 676633, tzinfo=UTC)
    assert int(at.timestamp() * 1_000_000) % 1_000_000 == 676632  # what the float version stored

    assert to_us(at) % 1_000_000 == 676633
