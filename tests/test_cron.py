"""Cron strings read through Dagster's public API (`tiktok_assets.cron`)."""

import datetime as dt
import zoneinfo

import pytest

from tiktok_assets.cron import is_cron, ticks

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "value", ["0 6 * * *", "0 7 * * 1", "0 7 * * MON", "@daily", "*/15 * * * *"]
)
def test_scheduler_grammar_is_accepted(value: str) -> None:
    assert is_cron(value)


@pytest.mark.parametrize("value", ["", "x", "0 6 * *", "61 * * * *", "0 25 * * *", "@reboot"])
def test_what_the_scheduler_refuses_is_refused(value: str) -> None:
    assert not is_cron(value)


def test_a_tick_at_the_start_counts_and_one_at_the_end_does_not() -> None:
    start = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)
    found = ticks("0 6 * * *", "UTC", start, start + dt.timedelta(days=3))
    assert found == [start + dt.timedelta(days=n) for n in range(3)]


def test_ticks_keep_the_wall_clock_of_their_time_zone_across_a_clock_change() -> None:
    # Berlin leaves summer time on 2026-10-25: 06:00 local is 04:00 UTC before, 05:00 after
    start = dt.datetime(2026, 10, 23, tzinfo=BERLIN)
    found = ticks("0 6 * * *", "Europe/Berlin", start, start + dt.timedelta(days=4))
    assert [t.astimezone(BERLIN).hour for t in found] == [6, 6, 6, 6]
    assert [t.astimezone(dt.UTC).hour for t in found] == [4, 4, 5, 5]


def test_a_start_in_another_zone_is_the_same_instant() -> None:
    # midnight UTC is 01:00 in Berlin: the Berlin tick at 00:30 that day is before the start
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    found = ticks("30 0 * * *", "Europe/Berlin", start, start + dt.timedelta(days=2))
    assert [t.astimezone(BERLIN) for t in found] == [
        dt.datetime(2026, 12, 2, 0, 30, tzinfo=BERLIN),
        dt.datetime(2026, 12, 3, 0, 30, tzinfo=BERLIN),
    ]
    assert all(t >= start for t in found)


def test_a_weekly_cron_ticks_once_a_week() -> None:
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # a Sunday
    found = ticks("0 7 * * 1", "UTC", start, start + dt.timedelta(days=28))
    assert [t.date() for t in found] == [dt.date(2026, 11, d) for d in (2, 9, 16, 23)]
    assert {t.weekday() for t in found} == {0}
