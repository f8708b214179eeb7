"""Pacing: the month's usable credits spread over its remaining days."""

from __future__ import annotations

import datetime as dt

import pytest

from tiktok_assets.economy.pacing import day_share, days_left


def test_the_first_day_of_a_30_day_month_gets_a_thirtieth() -> None:
    assert days_left(dt.date(2026, 11, 1)) == 30
    assert day_share(20_000, 0, dt.date(2026, 11, 1)) == 666


def test_what_an_earlier_day_left_is_spread_over_the_days_left() -> None:
    # the 1st spent 566 of its 666: the 2nd may spend more than a thirtieth
    second = day_share(20_000, 566, dt.date(2026, 11, 2))
    assert second == (20_000 - 566) // 29 and second > 666
    # a day that spent its share in full leaves the next one the same share, give or take
    assert day_share(20_000, 666, dt.date(2026, 11, 2)) == 666


def test_the_last_day_may_spend_all_that_is_left() -> None:
    assert days_left(dt.date(2026, 11, 30)) == 1
    assert day_share(20_000, 19_000, dt.date(2026, 11, 30)) == 1_000


@pytest.mark.parametrize("spent", [20_000, 25_000, 10**9])
def test_a_spent_month_gives_nothing_never_a_negative_share(spent: int) -> None:
    assert day_share(20_000, spent, dt.date(2026, 11, 15)) == 0


def test_february_and_leap_years() -> None:
    assert days_left(dt.date(2028, 2, 1)) == 29
    assert days_left(dt.date(2027, 2, 1)) == 28
    assert day_share(2_800, 0, dt.date(2027, 2, 1)) == 100


def test_no_day_of_a_month_spent_at_its_share_goes_over_the_month() -> None:
    spent = 0
    day = dt.date(2026, 12, 1)
    while day.month == 12:
        share = day_share(20_000, spent, day)
        assert share >= 0
        spent += share
        day += dt.timedelta(days=1)
    assert 20_000 - 31 < spent <= 20_000
