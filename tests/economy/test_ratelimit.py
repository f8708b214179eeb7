"""The shared sliding window: never more than `per_minute` sends in any 60 seconds."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.economy.conftest import other_engine
from tests.economy.fakes import FakeClock, TickingClock, max_in_window
from tiktok_assets.economy.ratelimit import SqlRateLimiter, rate_per_minute_from_env
from tiktok_assets.warehouse.tables import rate_limit_slots


def _bucket() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _slots(engine: sa.Engine, bucket: str) -> dict[int, float]:
    query = sa.select(rate_limit_slots.c.slot, rate_limit_slots.c.taken_at).where(
        rate_limit_slots.c.bucket == bucket
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def test_takes_per_minute_then_waits_for_the_oldest(engine: sa.Engine) -> None:
    clock = FakeClock(start=100.0)
    limiter = SqlRateLimiter(engine, _bucket(), 3, clock=clock)
    for _ in range(3):
        assert limiter.try_acquire() == 0.0
        clock.advance(1.0)
    assert limiter.try_acquire() == pytest.approx(57.0)  # first send at 100, now 103
    clock.advance(56.5)
    assert limiter.try_acquire() == pytest.approx(0.5)
    clock.advance(0.5)
    assert limiter.try_acquire() == 0.0
    assert limiter.try_acquire() == pytest.approx(1.0)  # the send at 101 frees at 161
    assert sorted(_slots(engine, limiter.bucket).values()) == [101.0, 102.0, 160.0]


def test_zero_or_negative_rate_disables_pacing(engine: sa.Engine) -> None:
    for rate in (0, -5):
        limiter = SqlRateLimiter(engine, _bucket(), rate, clock=FakeClock())
        assert all(limiter.try_acquire() == 0.0 for _ in range(100))
        assert _slots(engine, limiter.bucket) == {}


def test_buckets_are_independent(engine: sa.Engine) -> None:
    clock = FakeClock()
    first = SqlRateLimiter(engine, _bucket(), 1, clock=clock)
    second = SqlRateLimiter(engine, _bucket(), 1, clock=clock)
    assert first.try_acquire() == 0.0
    assert second.try_acquire() == 0.0
    assert first.try_acquire() > 0 and second.try_acquire() > 0


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    per_minute=st.integers(min_value=1, max_value=6),
    steps=st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=40.0), st.booleans()),
        min_size=1,
        max_size=40,
    ),
)
def test_no_window_ever_holds_more_than_the_rate(
    engine: sa.Engine, per_minute: int, steps: list[tuple[float, bool]]
) -> None:
    """Random schedules: the window holds; a caller who waits as told gets a slot."""
    clock = FakeClock()
    limiter = SqlRateLimiter(engine, _bucket(), per_minute, clock=clock)
    sent: list[float] = []
    for pause, obey in steps:
        clock.advance(round(pause, 3))
        wait = limiter.try_acquire()
        if wait == 0.0:
            sent.append(clock())
            continue
        assert 0.0 < wait <= 60.0
        if obey:
            for _ in range(3):  # float rounding may leave a millisecond to wait
                clock.advance(wait)
                if (wait := limiter.try_acquire()) == 0.0:
                    break
            assert wait == 0.0
            sent.append(clock())
    assert max_in_window(sent) <= per_minute


@pytest.mark.parametrize(("before", "after"), [(5, 2), (2, 5)])
def test_change_of_rate_keeps_the_window(engine: sa.Engine, before: int, after: int) -> None:
    clock = FakeClock()
    bucket = _bucket()
    sent_before: list[float] = []
    limiter = SqlRateLimiter(engine, bucket, before, clock=clock)
    for _ in range(20):
        if limiter.try_acquire() == 0.0:
            sent_before.append(clock())
        clock.advance(4.0)
    limiter = SqlRateLimiter(engine, bucket, after, clock=clock)
    sent_after: list[float] = []
    for _ in range(60):
        if limiter.try_acquire() == 0.0:
            sent_after.append(clock())
        clock.advance(2.0)
    everything = sent_before + sent_after
    for t in sent_after:  # every window ending at a new send holds at most the new rate
        assert sum(1 for s in everything if t - 60.0 < s <= t) <= after
    assert max_in_window(sent_after) == after  # the new rate is reached, not just respected
    clock.advance(60.0)
    limiter.try_acquire()
    assert set(_slots(engine, bucket)) == set(range(after))  # stale surplus removed


def _hammer(limiters: list[SqlRateLimiter], clock: TickingClock, attempts: int) -> list[float]:
    sent: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(limiter: SqlRateLimiter) -> None:
        try:
            for _ in range(attempts):
                if limiter.try_acquire() == 0.0:
                    with lock:
                        sent.append(clock.last)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return sent


def test_threads_sharing_one_engine_never_exceed_the_rate(engine: sa.Engine) -> None:
    clock = TickingClock(tick=0.5)
    bucket = _bucket()
    limiters = [SqlRateLimiter(engine, bucket, 4, clock=clock) for _ in range(6)]
    sent = _hammer(limiters, clock, attempts=30)
    assert max_in_window(sent) == 4
    assert len(sent) >= 8  # 180 clock readings of 0.5 s span 90 s: at least two windows


def test_two_engines_on_one_database_never_exceed_the_rate(
    engine: sa.Engine, warehouse_url: str
) -> None:
    second = other_engine(warehouse_url)
    assert second is not engine
    clock = TickingClock(tick=0.5)
    bucket = _bucket()
    limiters = [SqlRateLimiter(e, bucket, 3, clock=clock) for e in (engine, second) * 3]
    sent = _hammer(limiters, clock, attempts=30)
    assert max_in_window(sent) == 3
    assert len(sent) >= 6


def test_rate_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOK_API_RATE_PER_MINUTE", raising=False)
    assert rate_per_minute_from_env() == 60
    monkeypatch.setenv("TIKTOK_API_RATE_PER_MINUTE", "30")
    assert rate_per_minute_from_env() == 30
    monkeypatch.setenv("TIKTOK_API_RATE_PER_MINUTE", "0")
    assert rate_per_minute_from_env() == 0
    for bad in ("sixty", "-1", "2.5"):
        monkeypatch.setenv("TIKTOK_API_RATE_PER_MINUTE", bad)
        with pytest.raises(ValueError, match="TIKTOK_API_RATE_PER_MINUTE"):
            rate_per_minute_from_env()


def test_bucket_name_is_checked(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="bucket"):
        SqlRateLimiter(engine, "x" * 41, 60)
