"""Work for the rate limiter's multiprocessing tests (a module, so the forkserver imports it)."""

from __future__ import annotations

import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from tiktok_assets.economy.ratelimit import SqlRateLimiter
from tiktok_assets.warehouse.engine import get_engine


def hammer(
    url: str,
    bucket: str,
    phases: list[tuple[int, float]],
    window: float,
    barrier: Barrier,
    results: Queue,
) -> None:
    """Acquire as fast as allowed, at rate r for s seconds for each (r, s) in `phases`,
    all processes starting together; put (sends, refusals) on `results`, each send as
    (rate, send time on the limiter's clock: PostgreSQL's when the database is)."""
    engine = get_engine(url)
    sent: list[tuple[int, float]] = []
    refused = 0
    barrier.wait()
    until = time.time()
    for rate, seconds in phases:
        limiter = SqlRateLimiter(engine, bucket, rate, window=window)
        until += seconds
        while time.time() < until:
            wait = limiter.try_acquire()
            if wait == 0.0:
                assert limiter.last_taken_at is not None
                sent.append((rate, limiter.last_taken_at))
            else:
                refused += 1
                time.sleep(min(wait, 0.005))
    engine.dispose()
    results.put((sent, refused))
