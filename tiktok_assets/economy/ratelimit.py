"""`SqlRateLimiter`: a sliding 60-second window shared through the warehouse database.

Every process and machine that uses the same database and bucket (one bucket per API key)
shares one window. The bucket owns `per_minute` rows in `rate_limit_slots`, each holding
the send time of the request that last took it. A request takes the slot with the oldest
time, and only when that time is at least 60 seconds old: each slot is then taken at most
once in any 60-second window, so no window holds more than `per_minute` requests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tiktok_assets.warehouse.tables import rate_limit_slots

RATE_ENV = "TIKTOK_API_RATE_PER_MINUTE"
DEFAULT_RATE_PER_MINUTE = 60
WINDOW_SECONDS = 60.0
ARRIVAL_MARGIN_SECONDS = 0.5
"""Added to the window by `open_economy`: a request sent as a slot frees may reach the
server sooner after its predecessor than it left, by network jitter."""
NEVER = -1.0e12
"""`taken_at` of a slot nobody took yet (far in the past, whatever the clock)."""
_MIN_WAIT = 0.001


def rate_per_minute_from_env() -> int:
    """`TIKTOK_API_RATE_PER_MINUTE` (default 60; 0 disables pacing)."""
    raw = os.environ.get(RATE_ENV, "").strip()
    if not raw:
        return DEFAULT_RATE_PER_MINUTE
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(
            f"{RATE_ENV}={raw!r} is not a whole number of requests per minute "
            f"(the vendor allows {DEFAULT_RATE_PER_MINUTE}; 0 disables pacing)"
        )
    return value


class SqlRateLimiter:
    """Paces one API key across processes and machines through the `rate_limit_slots` table.

    Each `try_acquire` is one short transaction. On PostgreSQL the bucket's rows are locked
    with `SELECT ... FOR UPDATE` (missing slots are created first with `ON CONFLICT DO
    NOTHING`); on SQLite the warehouse engine's `BEGIN IMMEDIATE` serialises writers. The
    slot is then updated only if it still holds the time that was read, so a database
    without either guard can make a caller wait but never over-admit.

    When `per_minute` shrinks, the surplus slots still count until their times are older
    than the window (then they are deleted); when it grows, new slots are created.
    `clock` must be comparable across processes (wall-clock seconds); `window` may be
    raised above 60 s to leave a margin for network latency and clock skew.
    """

    def __init__(
        self,
        engine: sa.Engine,
        bucket: str,
        per_minute: int,
        clock: Callable[[], float] = time.time,
        *,
        window: float = WINDOW_SECONDS,
    ) -> None:
        if not bucket or len(bucket) > rate_limit_slots.c.bucket.type.length:
            raise ValueError(f"rate-limit bucket {bucket!r} must be 1 to 40 characters")
        self.engine = engine
        self.bucket = bucket
        self.per_minute = per_minute
        self.window = window
        self._clock = clock

    def __repr__(self) -> str:
        return f"SqlRateLimiter(bucket={self.bucket!r}, per_minute={self.per_minute})"

    def try_acquire(self) -> float:
        """Take a slot now and return 0.0, or return the seconds until one frees."""
        if self.per_minute <= 0:
            return 0.0
        with self.engine.begin() as conn:
            rows = self._locked_rows(conn)
            now = self._clock()
            wait, slot, taken_at = self._decide(rows, now)
            if wait > 0:
                return max(wait, _MIN_WAIT)
            taken = conn.execute(
                sa.update(rate_limit_slots)
                .where(
                    rate_limit_slots.c.bucket == self.bucket,
                    rate_limit_slots.c.slot == slot,
                    rate_limit_slots.c.taken_at == taken_at,
                )
                .values(taken_at=now)
            )
            if taken.rowcount != 1:  # another writer took it in between: ask again
                return _MIN_WAIT
            if len(rows) > self.per_minute:
                conn.execute(
                    sa.delete(rate_limit_slots).where(
                        rate_limit_slots.c.bucket == self.bucket,
                        rate_limit_slots.c.slot >= self.per_minute,
                        rate_limit_slots.c.taken_at <= now - self.window,
                    )
                )
        return 0.0

    def _locked_rows(self, conn: sa.Connection) -> dict[int, float]:
        """slot -> taken_at of every row of the bucket, locked, with missing slots created."""
        query = (
            sa.select(rate_limit_slots.c.slot, rate_limit_slots.c.taken_at)
            .where(rate_limit_slots.c.bucket == self.bucket)
            .order_by(rate_limit_slots.c.slot)
            .with_for_update()
        )
        rows = {slot: taken_at for slot, taken_at in conn.execute(query)}
        missing = [s for s in range(self.per_minute) if s not in rows]
        if missing:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            conn.execute(
                insert(rate_limit_slots)
                .values([{"bucket": self.bucket, "slot": s, "taken_at": NEVER} for s in missing])
                .on_conflict_do_nothing(index_elements=["bucket", "slot"])
            )
            rows = {slot: taken_at for slot, taken_at in conn.execute(query)}
        return rows

    def _decide(self, rows: dict[int, float], now: float) -> tuple[float, int, float]:
        """(seconds to wait, slot to take, its current time); wait <= 0 means take it."""
        own = [(taken_at, slot) for slot, taken_at in rows.items() if slot < self.per_minute]
        if not own:  # the slots vanished under us (a concurrent clean-up): ask again
            return _MIN_WAIT, -1, NEVER
        taken_at, slot = min(own)
        wait = taken_at + self.window - now
        recent = sorted(t for t in rows.values() if t > now - self.window)
        if len(recent) >= self.per_minute:  # surplus slots of a larger earlier rate still count
            wait = max(wait, recent[len(recent) - self.per_minute] + self.window - now)
        return wait, slot, taken_at
