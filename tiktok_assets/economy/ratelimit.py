"""`SqlRateLimiter`: a sliding 60-second window shared through the warehouse database.

Every process and machine that uses the same database and bucket (one bucket per API key)
shares one window. The bucket is a ring of `per_minute` slots in `rate_limit_slots`, each
holding the send time of the request that last took it, in send order; its head row in
`rate_limit_buckets` names the slot with the oldest time. A request takes that slot only
when its time is at least 60 seconds old, so no 60-second window holds more than
`per_minute` requests, and taking a slot costs the same few statements at any rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tiktok_assets.economy.errors import RateLimiterError
from tiktok_assets.settings import Settings, get_settings
from tiktok_assets.warehouse.tables import rate_limit_buckets, rate_limit_slots

WINDOW_SECONDS = 60.0
ARRIVAL_MARGIN_SECONDS = 0.5
"""Added to the window by `open_economy`: a request sent as a slot frees may reach the
server sooner after its predecessor than it left, by network jitter."""
NEVER = -1.0e12
"""The time of a slot nobody took yet (far in the past, whatever the clock)."""
_MIN_WAIT = 0.001


def rate_per_minute_from_env(settings: Settings | None = None) -> int:
    """`TIKTOK_API_RATE_PER_MINUTE` (default 60; 0 disables pacing)."""
    return (settings or get_settings()).tiktok_api_rate_per_minute


class SqlRateLimiter:
    """Paces one API key across processes and machines through a ring of slots per bucket.

    Each `try_acquire` is one short transaction of a constant number of statements: lock the
    bucket's head row (`SELECT ... FOR UPDATE` on PostgreSQL; the warehouse engine's
    `BEGIN IMMEDIATE` on SQLite), read the time of the head's slot and "now", and, when that
    time is a window old, write now into the slot and advance the head. The head is only
    advanced if it still names the slot that was read, so a database without either guard
    can make a caller wait but never over-admit.

    A limiter configured with another rate than the ring's re-lays the ring once (O(rate)):
    the most recent min(old, new) send times in order, the older ones parked until the next
    send frees them, so no send still in the window is forgotten; from then on it admits at
    the new rate exactly, even while processes at two rates take turns. A bucket with slot
    rows but no head (written by an earlier release) is laid out the same way. "Now" is
    PostgreSQL's `clock_timestamp()`, read after the lock, so machines with skewed clocks
    agree; on SQLite it is `time.time()`. A `clock` given replaces both (tests). `window` may
    be raised above 60 s to leave a margin for latency.
    """

    def __init__(
        self,
        engine: sa.Engine,
        bucket: str,
        per_minute: int,
        clock: Callable[[], float] | None = None,
        *,
        window: float = WINDOW_SECONDS,
    ) -> None:
        if not bucket or len(bucket) > rate_limit_buckets.c.bucket.type.length:
            raise ValueError(f"rate-limit bucket {bucket!r} must be 1 to 40 characters")
        self.engine = engine
        self.bucket = bucket
        self.per_minute = per_minute
        self.window = window
        self._clock = clock
        self.last_taken_at: float | None = None
        """The send time written by the last successful `try_acquire` (the limiter's clock)."""

    def __repr__(self) -> str:
        return f"SqlRateLimiter(bucket={self.bucket!r}, per_minute={self.per_minute})"

    def try_acquire(self) -> float:
        """Take a slot now and return 0.0, or return the seconds until one frees."""
        if self.per_minute <= 0:
            return 0.0
        try:
            return self._acquire()
        except sa.exc.SQLAlchemyError as exc:
            raise RateLimiterError(self.engine, exc, doing="taking a request slot") from exc

    def _acquire(self) -> float:
        with self.engine.begin() as conn:
            size, slot = self._locked_head(conn)
            if size != self.per_minute:
                size, slot = self._relay(conn)
            now, taken_at = self._now_and_slot_time(conn, slot)
            if taken_at > now - self.window:
                return max(taken_at + self.window - now, _MIN_WAIT)
            moved = conn.execute(
                sa.update(rate_limit_buckets)
                .where(
                    rate_limit_buckets.c.bucket == self.bucket,
                    rate_limit_buckets.c.size == size,
                    rate_limit_buckets.c.next_slot == slot,
                )
                .values(next_slot=(slot + 1) % size)
            )
            if moved.rowcount != 1:  # another writer took it in between: ask again
                return _MIN_WAIT
            self._write_slots(conn, [{"bucket": self.bucket, "slot": slot, "taken_at": now}])
            conn.execute(  # parked times (a re-lay's) are older than the slot just taken
                sa.delete(rate_limit_slots).where(
                    rate_limit_slots.c.bucket == self.bucket, rate_limit_slots.c.slot >= size
                )
            )
        self.last_taken_at = now
        return 0.0

    def _locked_head(self, conn: sa.Connection) -> tuple[int, int]:
        """(ring size, next slot) of the bucket, its head row locked and created if missing."""
        query = (
            sa.select(rate_limit_buckets.c.size, rate_limit_buckets.c.next_slot)
            .where(rate_limit_buckets.c.bucket == self.bucket)
            .with_for_update()
        )
        row = conn.execute(query).first()
        if row is None:
            conn.execute(
                _insert(conn)(rate_limit_buckets)
                .values(bucket=self.bucket, size=0, next_slot=0)
                .on_conflict_do_nothing(index_elements=["bucket"])
            )
            row = conn.execute(query).one()
        return row.size, row.next_slot

    def _relay(self, conn: sa.Connection) -> tuple[int, int]:
        """Lay the ring out for `per_minute`: the most recent times in order in slots 0..,
        older ones parked after the ring until the next send (they may still be in the window,
        and a later, larger ring needs them)."""
        times = conn.execute(
            sa.select(rate_limit_slots.c.taken_at)
            .where(rate_limit_slots.c.bucket == self.bucket, rate_limit_slots.c.taken_at > NEVER)
            .order_by(rate_limit_slots.c.taken_at.desc())
        ).scalars()
        ordered = list(times)
        ring = ordered[: self.per_minute][::-1]
        parked = ordered[self.per_minute :]
        rows = [{"bucket": self.bucket, "slot": i, "taken_at": t} for i, t in enumerate(ring)]
        rows += [
            {"bucket": self.bucket, "slot": self.per_minute + i, "taken_at": t}
            for i, t in enumerate(parked)
        ]
        conn.execute(sa.delete(rate_limit_slots).where(rate_limit_slots.c.bucket == self.bucket))
        if rows:
            self._write_slots(conn, rows)
        next_slot = len(ring) % self.per_minute
        conn.execute(
            sa.update(rate_limit_buckets)
            .where(rate_limit_buckets.c.bucket == self.bucket)
            .values(size=self.per_minute, next_slot=next_slot)
        )
        return self.per_minute, next_slot

    def _now_and_slot_time(self, conn: sa.Connection, slot: int) -> tuple[float, float]:
        """(now, the time held by `slot`), now read after the head's lock was taken."""
        held = (
            sa.select(rate_limit_slots.c.taken_at)
            .where(rate_limit_slots.c.bucket == self.bucket, rate_limit_slots.c.slot == slot)
            .scalar_subquery()
        )
        if self._clock is None and conn.dialect.name == "postgresql":
            db_now = sa.cast(sa.func.extract("epoch", sa.func.clock_timestamp()), sa.Float)
            now, taken_at = conn.execute(sa.select(db_now, held)).one()
        else:
            taken_at = conn.execute(sa.select(held)).scalar_one()
            now = (self._clock or time.time)()
        return float(now), NEVER if taken_at is None else float(taken_at)

    @staticmethod
    def _write_slots(conn: sa.Connection, rows: list[dict[str, object]]) -> None:
        """Upsert slot rows (one statement, executed once per row for many rows)."""
        stmt = _insert(conn)(rate_limit_slots)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["bucket", "slot"], set_={"taken_at": stmt.excluded.taken_at}
            ),
            rows,
        )


def _insert(conn: sa.Connection) -> Callable[..., sqlite.Insert | postgresql.Insert]:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
