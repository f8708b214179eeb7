"""Cron strings, read the way Dagster's scheduler reads them, through Dagster's public API.

A `TimeWindowPartitionsDefinition` on a cron string has one window a tick, each starting at
its tick: its windows are the ticks the scheduler fires, in the same time zone and with the
same grammar (`@daily`, `MON`, ranges and steps).
"""

import datetime as dt
import zoneinfo

from dagster import DagsterInvalidDefinitionError, TimeWindowPartitionsDefinition

_KEY_FORMAT = "%Y-%m-%dT%H:%M%z"
"""Minutes and UTC offset: one key a tick, even for a tick repeated when clocks go back."""


def is_cron(value: str) -> bool:
    """True when Dagster's scheduler accepts `value` as a cron string."""
    try:
        _windows(value, "UTC", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    except DagsterInvalidDefinitionError:
        return False
    return True


def ticks(cron: str, timezone: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The ticks of `cron` in `timezone` from `start` (included) to `end` (excluded)."""
    # the definition reads its start as a wall-clock time in its own time zone
    windows = _windows(cron, timezone, start.astimezone(zoneinfo.ZoneInfo(timezone)))
    found: list[dt.datetime] = []
    for key in windows.get_partition_keys(current_time=end):
        tick = windows.time_window_for_partition_key(key).start
        if tick >= end:
            break
        if tick >= start:
            found.append(tick)
    return found


def _windows(cron: str, timezone: str, start: dt.datetime) -> TimeWindowPartitionsDefinition:
    """One window a tick from `start`, the last one still open included."""
    return TimeWindowPartitionsDefinition(
        start=start, cron_schedule=cron, fmt=_KEY_FORMAT, timezone=timezone, end_offset=1
    )
