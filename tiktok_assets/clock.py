"""The project's notion of "today" (UTC), which names daily snapshots and the credit month.

`TIKTOK_TODAY` (an ISO date) pins it, so that a replay, a test or the simulator's
configurable today agree on which day a fetch belongs to.
"""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    """The UTC date of a fetch, or `TIKTOK_TODAY` when set."""
    pinned = os.environ.get("TIKTOK_TODAY")
    if pinned:
        try:
            return dt.date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(f"TIKTOK_TODAY={pinned!r} is not an ISO date (YYYY-MM-DD)") from None
    return dt.datetime.now(dt.UTC).date()


def now() -> dt.datetime:
    """The current UTC time (for `fetched_at`)."""
    return dt.datetime.now(dt.UTC)
