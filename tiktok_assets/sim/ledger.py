"""Per-key accounting of the simulator: monthly credits, the rate window and counters."""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 60.0

Month = tuple[int, int]
"""(year, month) the credits belong to."""


@dataclass
class KeyAccount:
    """What one API key has done: credits this month, its rate window and counters."""

    month: Month | None = None
    credits_used: int = 0
    requests: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    rate_limited: int = 0
    credit_limited: int = 0
    credits_by_route: Counter[str] = field(default_factory=Counter)
    window: deque[float] = field(default_factory=deque)

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly view (status codes become string keys)."""
        return {
            "month": f"{self.month[0]:04d}-{self.month[1]:02d}" if self.month else None,
            "credits_used": self.credits_used,
            "requests": self.requests,
            "responses": {str(status): n for status, n in sorted(self.responses.items())},
            "rate_limited": self.rate_limited,
            "credit_limited": self.credit_limited,
            "credits_by_route": dict(sorted(self.credits_by_route.items())),
            "in_rate_window": len(self.window),
        }


class Ledger:
    """Accounting for all keys; `clock` (seconds, monotonic) is injectable for tests.

    Credits: 1 per 2xx answer (`charge`), reset when the month of `today` changes.
    Rate limit: a rolling 60 s window of the requests the limiter admitted.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.accounts: dict[str, KeyAccount] = {}
        self.unauthorized = 0

    def account(self, key: str) -> KeyAccount:
        """The key's account, created on first use."""
        account = self.accounts.get(key)
        if account is None:
            account = self.accounts[key] = KeyAccount()
        return account

    def reset(self) -> None:
        """Forget everything (credits, windows, counters)."""
        self.accounts.clear()
        self.unauthorized = 0

    def record_request(self, key: str) -> None:
        """Count a request that passed authentication."""
        self.account(key).requests += 1

    def record_response(self, key: str | None, status: int) -> None:
        """Count an answer by status (`key=None` for an unauthenticated request)."""
        if key is None:
            self.unauthorized += 1
            return
        self.account(key).responses[status] += 1

    def admit(self, key: str, per_minute: int) -> float | None:
        """Take a slot in the key's rolling window.

        Returns `None` when admitted (the request is recorded), else the seconds until the
        oldest request leaves the window (and counts the key as rate limited). `per_minute`
        0 disables the limit.
        """
        account = self.account(key)
        now = self.clock()
        window = account.window
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if per_minute > 0 and len(window) >= per_minute:
            account.rate_limited += 1
            return max(window[len(window) - per_minute] + WINDOW_SECONDS - now, 0.0)
        window.append(now)
        return None

    def credits_used(self, key: str, month: Month) -> int:
        """Credits the key spent in `month` (rolls the account over to a new month)."""
        account = self.account(key)
        if account.month != month:
            account.month = month
            account.credits_used = 0
        return account.credits_used

    def credit_limited(self, key: str) -> None:
        """Count a 429 for the credit limit."""
        self.account(key).credit_limited += 1

    def charge(self, key: str, route: str, month: Month) -> None:
        """Spend one credit for a successful answer on `route`."""
        self.credits_used(key, month)
        account = self.account(key)
        account.credits_used += 1
        account.credits_by_route[route] += 1

    def to_json(self) -> dict[str, Any]:
        """Every key's account (the `/_sim/ledger` answer)."""
        return {
            "keys": {key: account.to_json() for key, account in self.accounts.items()},
            "unauthorized": self.unauthorized,
        }


def retry_after_seconds(wait: float) -> int:
    """Whole seconds to send in `Retry-After` (at least 1)."""
    return max(1, math.ceil(wait))
