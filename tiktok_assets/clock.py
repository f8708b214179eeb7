"""The project's notion of "today" (UTC), which names daily snapshots and the credit month.

`TIKTOK_TODAY` (an ISO date) pins it, so that a replay, a test or the simulator's
configurable today agree on which day a fetch belongs to.

One rule for every date the project writes: **the pinned day rules, the real clock gives only
the time of day.** `now()` is today's date at the real UTC time, so a journal row's
`call_date` is its `called_at`'s date, and a snapshot row's `snapshot_date` is its
`fetched_at`'s date, whether or not the day is pinned and whatever the machine's date is.
The rate limiter alone reads the real clock (`time.time()`): it paces real requests.
"""

from __future__ import annotations

import datetime as dt

from tiktok_assets.settings import get_settings


def pinned_day() -> dt.date | None:
    """`TIKTOK_TODAY` as a date (read at every call), or None when it is not set."""
    return get_settings().tiktok_today


def today() -> dt.date:
    """The UTC date of a fetch, or `TIKTOK_TODAY` when set."""
    return pinned_day() or dt.datetime.now(dt.UTC).date()


def now() -> dt.datetime:
    """The current UTC time on `today()`'s date (for `fetched_at`, `called_at`)."""
    real = dt.datetime.now(dt.UTC)
    pinned = pinned_day()
    if pinned is None or pinned == real.date():
        return real
    return dt.datetime.combine(pinned, real.timetz())
