"""Test doubles of the economy tests: a controllable clock and API answers."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from tiktok_assets.api import endpoints as ep
from tiktok_assets.api.hooks import CallRecord


class FakeClock:
    """Seconds that only move when told to; thread-safe."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class TickingClock:
    """Moves forward by `tick` at every reading, and remembers each thread's last reading.

    The limiter reads the clock once per `try_acquire`, inside its transaction, so a
    thread's last reading after a successful acquire is the send time it recorded.
    """

    def __init__(self, tick: float, start: float = 1_000_000.0) -> None:
        self.tick = tick
        self._now = start
        self._lock = threading.Lock()
        self._local = threading.local()

    def __call__(self) -> float:
        with self._lock:
            self._now += self.tick
            value = self._now
        self._local.last = value
        return value

    @property
    def last(self) -> float:
        return self._local.last


def max_in_window(times: list[float], window: float = 60.0) -> int:
    """The most send times any half-open `window`-second interval holds."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


SHOP = "7493920192384910"
BODY = {"success": True, "data": {"revenue": 10.5, "sales": 3, "period": 30}}
T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def call(
    request: ep.ApiRequest,
    *,
    status: int | None = 200,
    body: Any | None = BODY,
    error: str | None = None,
    attempt: int = 1,
) -> CallRecord:
    """One HTTP attempt as the client would record it (1 credit when 2xx)."""
    ok = status is not None and 200 <= status < 300
    return CallRecord(
        request=request,
        status=status,
        duration_s=0.012,
        credits=1 if ok else 0,
        body=body,
        error=error,
        attempt=attempt,
        fetched_at=T0,
    )
