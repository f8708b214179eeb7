"""The shared sliding window: never more than `per_minute` sends in any 60 seconds."""

from __future__ import annotations

import bisect
import multiprocessing
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.assets.support import resources, run, table
from tests.economy.conftest import other_engine
from tests.economy.fakes import FakeClock, TickingClock, max_in_window
from tests.economy.ratelimit_workers import hammer
from tiktok_assets.assets.shops import shop_total as shop_total_asset
from tiktok_assets.economy import ratelimit
from tiktok_assets.economy.ratelimit import NEVER, SqlRateLimiter, rate_per_minute_from_env
from tiktok_assets.warehouse.engine import ensure_tables, get_engine
from tiktok_assets.warehouse.tables import rate_limit_buckets, rate_limit_slots


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


def _statements_per_acquire(engine: sa.Engine, rate: int) -> list[int]:
    clock = FakeClock()
    limiter = SqlRateLimiter(engine, _bucket(), rate, clock=clock)
    assert limiter.try_acquire() == 0.0  # the first one lays the ring out
    counts: list[int] = []
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for i in range(6):
            clock.advance(120.0 if i % 2 else 0.0)  # admitted and refused in turn (rate 1)
            statements.clear()
            limiter.try_acquire()
            counts.append(len(statements))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return counts


def test_an_acquisition_costs_the_same_statements_at_any_rate(engine: sa.Engine) -> None:
    at_60 = _statements_per_acquire(engine, 60)
    at_100k = _statements_per_acquire(engine, 100_000)
    assert at_60 == at_100k
    assert max(at_60) <= 6
    at_1 = _statements_per_acquire(engine, 1)  # refusals read, do not write
    assert at_1[0] < at_1[1] == at_60[1]


def test_a_hundred_thousand_a_minute_on_sqlite(tmp_path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'fast.sqlite'}")
    ensure_tables(engine)
    limiter = SqlRateLimiter(engine, _bucket(), 100_000)
    assert all(limiter.try_acquire() == 0.0 for _ in range(3_000))
    limiter = SqlRateLimiter(engine, limiter.bucket, 99_999)  # re-laid with 3,000 times
    assert limiter.try_acquire() == 0.0
    assert len(_slots(engine, limiter.bucket)) == 3_001


def test_a_bucket_written_by_an_earlier_release_keeps_its_window(engine: sa.Engine) -> None:
    bucket = _bucket()
    with engine.begin() as conn:  # one row per slot, no head row
        conn.execute(
            rate_limit_slots.insert(),
            [
                {"bucket": bucket, "slot": 0, "taken_at": 102.0},
                {"bucket": bucket, "slot": 1, "taken_at": 100.0},
                {"bucket": bucket, "slot": 2, "taken_at": 101.0},
                {"bucket": bucket, "slot": 3, "taken_at": NEVER},
            ],
        )
    clock = FakeClock(start=103.0)
    limiter = SqlRateLimiter(engine, bucket, 3, clock=clock)
    assert limiter.try_acquire() == pytest.approx(57.0)  # 100, 101, 102 fill the window
    clock.advance(57.0)
    assert limiter.try_acquire() == 0.0
    assert limiter.try_acquire() == pytest.approx(1.0)
    with engine.connect() as conn:
        head = conn.execute(sa.select(rate_limit_buckets)).one()
    assert (head.bucket, head.size) == (bucket, 3)
    assert sorted(_slots(engine, bucket).values()) == [101.0, 102.0, 160.0]


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=30.0),
            st.integers(min_value=1, max_value=6),
        ),
        min_size=1,
        max_size=50,
    ),
)
def test_after_a_change_of_rate_every_window_holds_the_new_rate(
    engine: sa.Engine, steps: list[tuple[float, int]]
) -> None:
    """Random rates in turn: a window ending at a send made at rate r holds at most r."""
    clock = FakeClock()
    bucket = _bucket()
    sent: list[float] = []
    for pause, rate in steps:
        clock.advance(round(pause, 3))
        if SqlRateLimiter(engine, bucket, rate, clock=clock).try_acquire() != 0.0:
            continue
        now = clock()
        sent.append(now)
        assert sum(1 for s in sent if now - 60.0 < s <= now) <= rate


WINDOW = 0.5
"""The multiprocessing tests' window, on the real clocks: a rate of 25 per window is 3,000
sends a minute, shared by four processes (more than the machine sends under `faketime`)."""


def _run_processes(
    url: str, bucket: str, phases: list[tuple[int, float]], n: int
) -> tuple[list[tuple[float, int]], int]:
    """(every (send time, rate) in time order, refusals) of `n` processes running `hammer`."""
    ensure_tables(get_engine(url))
    context = multiprocessing.get_context("forkserver")  # children of a clean process
    context.set_forkserver_preload(["tests.economy.ratelimit_workers"])  # imported once
    barrier = context.Barrier(n)
    results = context.Queue()
    processes = [
        context.Process(target=hammer, args=(url, bucket, phases, WINDOW, barrier, results))
        for _ in range(n)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    sent = sorted((t, rate) for sends, _ in outcomes for rate, t in sends)
    return sent, sum(refused for _, refused in outcomes)


def _assert_each_window_holds_its_senders_rate(sent: list[tuple[float, int]]) -> None:
    times = [t for t, _ in sent]
    for t, rate in sent:
        assert bisect.bisect_right(times, t) - bisect.bisect_right(times, t - WINDOW) <= rate


def test_processes_at_a_high_rate_never_exceed_it(warehouse_url: str) -> None:
    rate = 25
    sent, refused = _run_processes(warehouse_url, _bucket(), [(rate, 2.5)], 4)
    _assert_each_window_holds_its_senders_rate(sent)
    assert len(sent) > rate and refused > 0  # the limit was reached and held


@pytest.mark.parametrize(("before", "after"), [(25, 5), (5, 25)])
def test_a_change_of_rate_while_processes_acquire(
    warehouse_url: str, before: int, after: int
) -> None:
    sent, refused = _run_processes(warehouse_url, _bucket(), [(before, 1.5), (after, 3.0)], 4)
    _assert_each_window_holds_its_senders_rate(sent)
    last_before = max(t for t, rate in sent if rate == before)
    later = [t for t, rate in sent if rate == after and t >= last_before + WINDOW]
    assert later and max_in_window(later, WINDOW) <= after
    assert len(sent) > before + after and refused > 0


def test_postgresql_paces_with_its_own_clock(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not warehouse_url.startswith("postgresql"):
        pytest.skip("SQLite has no server clock: its limiter reads time.time()")
    engine = get_engine(warehouse_url)
    ensure_tables(engine)
    bucket = _bucket()
    first = SqlRateLimiter(engine, bucket, 3)
    assert all(first.try_acquire() == 0.0 for _ in range(3))
    real = time.time
    monkeypatch.setattr(ratelimit.time, "time", lambda: real() + 3_600.0)  # a pod an hour ahead
    skewed = SqlRateLimiter(other_engine(warehouse_url), bucket, 3)
    wait = skewed.try_acquire()
    assert 59.0 < wait <= 60.0
    with engine.connect() as conn:  # the times written are the database's, not the pod's
        db_now = conn.execute(sa.select(sa.func.extract("epoch", sa.func.clock_timestamp())))
        server = float(db_now.scalar_one())
    assert all(abs(t - server) < 30.0 for t in _slots(engine, bucket).values())


def test_an_asset_runs_at_a_hundred_thousand_a_minute(sim, warehouse_url, monkeypatch) -> None:
    shops = sim.world.shop_ids()[:3]
    res = resources(sim, warehouse_url, rate_per_minute=100_000)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("shop_ids", shops)
        result = run(
            [shop_total_asset], instance, res, key_range=(f"{shops[0]}|1", f"{shops[-1]}|90")
        )
    assert result.success, result.get_step_failure_events()
    assert len(table(warehouse_url, "shop_total")) == 12
    engine = get_engine(warehouse_url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(rate_limit_buckets.c.size)).scalars().all() == [100_000]
