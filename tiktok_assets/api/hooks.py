"""What the client asks of the outside world around each request, as protocols.

The client itself keeps no state between runs: pacing (`RateLimiter`), the request
journal that makes re-runs free (`RequestJournal`) and the credit budget (`CreditBudget`)
are plugged in by whoever opens the client. `tiktok_assets.economy` provides the
database-backed implementations; a bare client has none (no pacing, no journal, no budget).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Protocol

from tiktok_assets.api.endpoints import ApiRequest


@dataclasses.dataclass(frozen=True)
class CallRecord:
    """One HTTP request as it happened: what the journal stores (never the key)."""

    request: ApiRequest
    status: int | None
    duration_s: float
    credits: int
    body: Any | None
    error: str | None
    attempt: int
    fetched_at: dt.datetime


class RateLimiter(Protocol):
    """Paces requests for one API key."""

    def try_acquire(self) -> float:
        """Take a request slot now and return 0, or return the seconds to wait before asking."""
        ...


class RequestJournal(Protocol):
    """Stores every request and serves identical successful ones again within a freshness window."""

    def lookup(self, request: ApiRequest) -> Any | None:
        """The body of a fresh successful identical request, or None."""
        ...

    def record(self, call: CallRecord) -> None:
        """Store one request as it happened, in its own transaction."""
        ...


class CreditBudget(Protocol):
    """Guards the month's credits before a paid request is sent."""

    def ensure_available(self, request: ApiRequest) -> None:
        """Raise `CreditBudgetExceeded` when one more credit would exceed the budget."""
        ...
