"""`MonthlyCreditBudget`: refuse a paid request before it would exceed the month's credits.

The usable budget is `monthly_credit_limit - credit_reserve` (the reserve is kept for
manual calls). The month's spend is read from the request journal (one SUM), then kept
current in memory: each `ensure_available` reserves one credit before the request is sent,
and the journal tells the budget (`observe`) when a paid answer was recorded, turning the
reservation into recorded spend. The SUM is re-read every `refresh_seconds`, at a new month,
and before refusing, so other processes' spend is seen within that delay.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tiktok_assets import clock
from tiktok_assets.api.endpoints import ApiRequest
from tiktok_assets.api.errors import CreditBudgetExceeded
from tiktok_assets.api.hooks import CallRecord
from tiktok_assets.economy.errors import CreditBudgetError
from tiktok_assets.settings import Settings, get_settings

if TYPE_CHECKING:  # the journal and SQLAlchemy load when a budget reads them, not at load
    import sqlalchemy as sa

DEFAULT_MONTHLY_CREDIT_LIMIT = 20_000
DEFAULT_SAMPLE = 3
"""Partitions per source, asset and day paid for and compared before a source is trusted
(`tiktok_assets.economy.reconcile`)."""
PLAN_ROUTE = "run plan"
"""The `route` named by a `check_run` refusal, which concerns no single request."""


def month_reset_date(today: dt.date) -> dt.date:
    """The day the vendor's credits reset: the 1st of the month after `today`."""
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@dataclasses.dataclass(frozen=True)
class BudgetSettings:
    """The month's credit limit and the part of it runs must leave unspent."""

    monthly_credit_limit: int = DEFAULT_MONTHLY_CREDIT_LIMIT
    credit_reserve: int = 0

    def __post_init__(self) -> None:
        if self.monthly_credit_limit < 0:
            raise ValueError(f"monthly_credit_limit must be >= 0, not {self.monthly_credit_limit}")
        if not 0 <= self.credit_reserve <= self.monthly_credit_limit:
            raise ValueError(
                f"credit_reserve must be between 0 and monthly_credit_limit "
                f"({self.monthly_credit_limit}), not {self.credit_reserve}"
            )

    @property
    def usable(self) -> int:
        """Credits runs may spend in a month: limit minus reserve."""
        return self.monthly_credit_limit - self.credit_reserve


@dataclasses.dataclass(frozen=True)
class CreditTerms:
    """What prices a plan of requests: the API's page size and rate, the month's credit limit
    and reserve, and the reconciliation sample (None: derivable partitions are priced as paid).

    These numbers always travel together (planner, pricing, pacing); one value carries them."""

    page_size: int
    rate_per_minute: int
    monthly_credit_limit: int = DEFAULT_MONTHLY_CREDIT_LIMIT
    credit_reserve: int = 0
    reconcile_sample: int | None = DEFAULT_SAMPLE

    def __post_init__(self) -> None:
        self.budget  # noqa: B018 -- validates the limit and the reserve

    @property
    def budget(self) -> BudgetSettings:
        return BudgetSettings(self.monthly_credit_limit, self.credit_reserve)

    @property
    def usable(self) -> int:
        """Credits runs may spend in a month: limit minus reserve."""
        return self.monthly_credit_limit - self.credit_reserve


def budget_settings_from_env(settings: Settings | None = None) -> BudgetSettings:
    """`TIKTOK_MONTHLY_CREDIT_LIMIT` (default 20000) and `TIKTOK_CREDIT_RESERVE` (default 0)."""
    s = settings or get_settings()
    return BudgetSettings(s.tiktok_monthly_credit_limit, s.tiktok_credit_reserve)


def _is_final_failure(status: int | None) -> bool:
    """A 4xx the client never retries (429 may be a rate limit, which it retries)."""
    return status is not None and 400 <= status < 500 and status != 429


class MonthlyCreditBudget:
    """The client's `CreditBudget`: at most `limit - reserve` credits a month from this process.

    Spend = the journal's SUM for the month (re-read at most every `refresh_seconds`)
    + paid answers recorded since that read (told by `observe`)
    + reservations of requests sent or about to be sent and not yet answered.
    Every term only over-counts transiently, so the process never sends more than the
    usable budget. A reservation whose request failed for good is released when the client
    records a non-retried 4xx, and any other after `reservation_ttl_seconds`.
    """

    def __init__(
        self,
        engine: sa.Engine,
        *,
        monthly_credit_limit: int = DEFAULT_MONTHLY_CREDIT_LIMIT,
        credit_reserve: int = 0,
        refresh_seconds: float = 60.0,
        reservation_ttl_seconds: float = 3600.0,
        today: Callable[[], dt.date] = clock.today,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.settings = BudgetSettings(monthly_credit_limit, credit_reserve)
        self.refresh_seconds = refresh_seconds
        self.reservation_ttl_seconds = reservation_ttl_seconds
        self._today = today
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._month: tuple[int, int] | None = None
        self._read_at = 0.0
        self._db_spent = 0
        self._recorded_since_read = 0
        self._pending: collections.defaultdict[ApiRequest, collections.deque[float]] = (
            collections.defaultdict(collections.deque)
        )
        self._pending_count = 0

    @property
    def monthly_credit_limit(self) -> int:
        return self.settings.monthly_credit_limit

    @property
    def credit_reserve(self) -> int:
        return self.settings.credit_reserve

    def __repr__(self) -> str:
        s = self.settings
        return f"MonthlyCreditBudget(limit={s.monthly_credit_limit}, reserve={s.credit_reserve})"

    # -- the client's hook -------------------------------------------------------------------

    def ensure_available(self, request: ApiRequest) -> None:
        """Reserve one credit for `request`, or raise `CreditBudgetExceeded` (nothing sent)."""
        with self._lock:
            today = self._today()
            self._refresh_if_stale(today)
            if self._spent() + 1 > self.settings.usable:
                self._refresh(today)
                if self._spent() + 1 > self.settings.usable:
                    raise CreditBudgetExceeded(
                        self._exhausted_message(today, needed=1),
                        route=request.route,
                        id=request.id,
                    )
            self._pending[request].append(self._monotonic())
            self._pending_count += 1

    def observe(self, call: CallRecord) -> None:
        """Journal listener: a recorded attempt settles its reservation."""
        with self._lock:
            settled = call.credits > 0 or _is_final_failure(call.status)
            if settled:
                self._release(call.request)
            if call.credits > 0 and self._month == self._month_of(self._today()):
                self._recorded_since_read += call.credits

    # -- plans and reports -------------------------------------------------------------------

    def spent(self) -> int:
        """This month's spend as the budget counts it (including reservations in flight)."""
        with self._lock:
            self._refresh_if_stale(self._today())
            return self._spent()

    def remaining(self) -> int:
        """Credits still usable this month."""
        return max(self.settings.usable - self.spent(), 0)

    def check_run(self, planned_credits: int) -> int:
        """Raise `CreditBudgetExceeded` if a run's planned credits exceed what remains.

        Reads the journal afresh; returns the credits remaining before the run.
        """
        with self._lock:
            today = self._today()
            self._refresh(today)
            remaining = self.settings.usable - self._spent()
            if planned_credits > remaining:
                raise CreditBudgetExceeded(
                    self._exhausted_message(today, needed=planned_credits), route=PLAN_ROUTE
                )
            return remaining

    # -- internals (called with the lock held) -----------------------------------------------

    @staticmethod
    def _month_of(day: dt.date) -> tuple[int, int]:
        return day.year, day.month

    def _spent(self) -> int:
        return self._db_spent + self._recorded_since_read + self._pending_count

    def _refresh_if_stale(self, today: dt.date) -> None:
        stale = self._monotonic() - self._read_at >= self.refresh_seconds
        if stale or self._month != self._month_of(today):
            self._refresh(today)

    def _refresh(self, today: dt.date) -> None:
        import sqlalchemy as sa

        from tiktok_assets.economy.journal import credits_spent

        try:
            self._db_spent = credits_spent(self.engine, today)
        except sa.exc.SQLAlchemyError as exc:
            doing = f"reading the credits spent in {today:%Y-%m}"
            raise CreditBudgetError(self.engine, exc, doing=doing) from exc
        self._recorded_since_read = 0
        self._month = self._month_of(today)
        self._read_at = now = self._monotonic()
        for request, times in list(self._pending.items()):
            while times and now - times[0] > self.reservation_ttl_seconds:
                times.popleft()
                self._pending_count -= 1
            if not times:
                del self._pending[request]

    def _release(self, request: ApiRequest) -> None:
        times = self._pending.get(request)
        if times:
            times.popleft()
            self._pending_count -= 1
            if not times:
                del self._pending[request]

    def _exhausted_message(self, today: dt.date, *, needed: int) -> str:
        s = self.settings
        spent = self._spent()
        remaining = max(s.usable - spent, 0)
        return (
            f"credit budget exceeded: {needed:,} credit(s) needed but only {remaining:,} remain "
            f"this month ({today:%Y-%m}): limit {s.monthly_credit_limit:,} - reserve "
            f"{s.credit_reserve:,} = {s.usable:,} usable, {spent:,} spent; credits reset on "
            f"{month_reset_date(today).isoformat()}"
        )
