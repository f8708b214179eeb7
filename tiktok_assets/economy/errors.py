"""Typed errors of the economy's stores: which one failed, on which database, and what to do.

Each wraps the database error (kept as `__cause__`), so a run's failure names the rate
limiter, the request journal or the credit budget instead of "the warehouse".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiktok_assets.warehouse.resource import safe_url

if TYPE_CHECKING:
    import sqlalchemy as sa


def _first_line(error: BaseException) -> str:
    """An error's first line: SQLAlchemy appends the SQL and its parameters after it."""
    lines = str(error).splitlines()
    return lines[0][:300] if lines else type(error).__name__


class EconomyStoreError(Exception):
    """A store of the credit economy could not read or write its table(s) in the warehouse."""

    store = "the credit economy"
    tables = ""
    remedy = "Check the database, then re-run."

    def __init__(self, engine: sa.Engine, error: BaseException, *, doing: str) -> None:
        self.url = safe_url(engine.url.render_as_string(hide_password=False))
        self.doing = doing
        super().__init__(
            f"{self.store} failed while {doing} on {self.url} (tables {self.tables}): "
            f"{type(error).__name__}: {_first_line(error)}. {self.remedy}"
        )


class RateLimiterError(EconomyStoreError):
    store = "the shared rate limiter"
    tables = "rate_limit_buckets, rate_limit_slots"
    remedy = (
        "Check that the database answers and that these tables exist (they are created on "
        "first use; restore them or let the next run create them), then re-run: nothing was "
        "sent for the request that could not be paced."
    )


class RequestJournalError(EconomyStoreError):
    store = "the request journal"
    tables = "api_calls"
    remedy = (
        "Check that the database answers and that the table exists, then re-run: answers "
        "already journaled are not paid again."
    )


class CreditBudgetError(EconomyStoreError):
    store = "the credit budget"
    tables = "api_calls"
    remedy = (
        "Check that the database answers and that the journal's table exists, then re-run: "
        "the month's spend is read from it before requests are sent."
    )
