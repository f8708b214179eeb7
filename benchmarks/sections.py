"""Where a run's time goes: cumulative seconds of the project's functions, patched in place.

Only the benchmark's child process is patched. Sections that run concurrently (HTTP,
journal, limiter: up to `max_concurrency` at once) add up to more than the wall clock;
`fetch phase`, `store batch`, `warehouse write`, `materialization events` and `step body` are
wall times (a run fetches the next batch while it stores one, so `fetch phase` overlaps
`store batch`).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any


class Sections:
    """Seconds and calls per named section, from any thread."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._undo: list[tuple[object, str, Any]] = []

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.seconds[name] += seconds
            self.calls[name] += 1

    @contextlib.contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def _patch(self, owner: object, attr: str, wrapper: Callable[..., Any]) -> None:
        self._undo.append((owner, attr, owner.__dict__[attr]))  # type: ignore[attr-defined]
        setattr(owner, attr, wrapper)

    def wrap(self, owner: object, attr: str, name: str) -> None:
        """Time every call of a plain function or method."""
        fn = getattr(owner, attr)

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timed(name):
                return fn(*args, **kwargs)

        self._patch(owner, attr, timed)

    def wrap_async(self, owner: object, attr: str, name: str) -> None:
        """Time every await of a coroutine function or method."""
        fn = getattr(owner, attr)

        @functools.wraps(fn)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timed(name):
                return await fn(*args, **kwargs)

        self._patch(owner, attr, timed)

    def wrap_generator(self, owner: object, attr: str, name: str) -> None:
        """Time a generator function from its first step to its end."""
        fn = getattr(owner, attr)

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with self.timed(name):
                yield from fn(*args, **kwargs)

        self._patch(owner, attr, timed)

    def restore(self) -> None:
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)
        self._undo.clear()

    def per_partition_ms(self, partitions: int) -> dict[str, dict[str, float]]:
        """{section: {"ms_per_partition", "seconds", "calls"}}, for a report."""
        return {
            name: {
                "ms_per_partition": round(total * 1000 / max(partitions, 1), 3),
                "seconds": round(total, 3),
                "calls": self.calls[name],
            }
            for name, total in self.seconds.most_common()
        }


def instrument_project() -> Sections:
    """Patch the project's per-request and per-run functions to time them."""
    import httpx
    from dagster import AssetExecutionContext

    from tiktok_assets.assets import fetch
    from tiktok_assets.economy.budget import MonthlyCreditBudget
    from tiktok_assets.economy.journal import SqlRequestJournal
    from tiktok_assets.economy.ratelimit import SqlRateLimiter

    sections = Sections()
    sections.wrap_async(httpx.AsyncClient, "request", "HTTP request (sum, concurrent)")
    sections.wrap(SqlRequestJournal, "lookup", "journal lookup (sum, concurrent)")
    sections.wrap(SqlRequestJournal, "record", "journal record (sum, concurrent)")
    sections.wrap(SqlRateLimiter, "try_acquire", "rate limiter (sum, concurrent)")
    sections.wrap(MonthlyCreditBudget, "ensure_available", "credit budget (sum, concurrent)")
    sections.wrap(fetch, "open_economy", "open economy (wall)")
    sections.wrap(fetch, "plan_partitions", "cost plan (wall)")
    sections.wrap_async(fetch, "fetch_partitions", "fetch phase (wall)")
    sections.wrap(fetch.FetchRun, "write", "store batch (wall)")
    sections.wrap(fetch, "_write", "warehouse write (wall)")
    sections.wrap(AssetExecutionContext, "log_event", "materialization events (wall)")
    sections.wrap_generator(fetch, "run_fetch", "step body (wall)")
    return sections
