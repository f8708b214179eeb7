"""The credit economy: a shared rate limit, the request journal, the monthly budget, the planner.

`open_economy(...)` returns the three hooks the API client takes, wired together (the
journal tells the budget of every recorded request), after journaling what the warehouse's
spool kept while it was away.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypedDict

from tiktok_assets.economy.assets import (
    api_credit_spend,
    budget_check_result,
    credit_budget_check,
    economy_assets,
    economy_checks,
    spend_summary,
)
from tiktok_assets.economy.budget import (
    BudgetSettings,
    MonthlyCreditBudget,
    budget_settings_from_env,
    month_reset_date,
)
from tiktok_assets.economy.errors import (
    CreditBudgetError,
    EconomyStoreError,
    RateLimiterError,
    RequestJournalError,
)
from tiktok_assets.economy.resource import CreditBudgetResource

if TYPE_CHECKING:
    import sqlalchemy as sa

    from tiktok_assets.economy.journal import SqlRequestJournal
    from tiktok_assets.economy.ratelimit import SqlRateLimiter

_LAZY = {
    "tiktok_assets.economy.journal": (
        "SqlRequestJournal",
        "credits_spent",
        "fresh_keys",
        "is_fresh",
        "known_totals",
        "last_known_total",
        "spend_by_day",
    ),
    "tiktok_assets.economy.planner": (
        "AssetCost",
        "CostPlan",
        "parse_partitions",
        "plan_partitions",
        "plan_selection",
    ),
    "tiktok_assets.economy.ratelimit": ("SqlRateLimiter", "rate_per_minute_from_env"),
    "tiktok_assets.economy.spool": ("JournalSpool",),
}
"""Names whose modules use SQLAlchemy at import: loaded on first use, so that the code
location (which needs only the resource, the spend asset and its check) loads without it."""


def __getattr__(name: str) -> Any:
    for module, names in _LAZY.items():
        if name in names:
            return getattr(import_module(module), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class EconomyHooks(TypedDict):
    """The client's hooks, by the keyword names `TikTokShopClient` takes."""

    limiter: SqlRateLimiter
    journal: SqlRequestJournal
    budget: MonthlyCreditBudget


def open_economy(
    warehouse_engine: sa.Engine,
    *,
    bucket: str,
    rate_per_minute: int,
    run_id: str | None,
    monthly_credit_limit: int,
    credit_reserve: int,
    max_age: dt.timedelta | None = None,
) -> EconomyHooks:
    """`{"limiter", "journal", "budget"}` for `TikTokShopAPI.client(**hooks)` in one run.

    `bucket` names the rate-limit window: one per API key (e.g. the resource's
    `key_fingerprint`), so every run and machine using that key shares it.
    """
    from tiktok_assets.economy.journal import SqlRequestJournal
    from tiktok_assets.economy.ratelimit import (
        ARRIVAL_MARGIN_SECONDS,
        WINDOW_SECONDS,
        SqlRateLimiter,
    )
    from tiktok_assets.economy.spool import JournalSpool
    from tiktok_assets.warehouse.engine import ensure_tables

    ensure_tables(warehouse_engine)
    spool = JournalSpool.for_engine(warehouse_engine)
    spool.replay(warehouse_engine)  # answers paid while the warehouse was away, before planning
    budget = MonthlyCreditBudget(
        warehouse_engine, monthly_credit_limit=monthly_credit_limit, credit_reserve=credit_reserve
    )
    journal = SqlRequestJournal(
        warehouse_engine,
        run_id=run_id,
        max_age=max_age,
        listeners=[budget.observe],
        spool=spool,
    )
    limiter = SqlRateLimiter(
        warehouse_engine,
        bucket,
        rate_per_minute,
        window=WINDOW_SECONDS + ARRIVAL_MARGIN_SECONDS,
    )
    return {"limiter": limiter, "journal": journal, "budget": budget}


__all__ = [
    "AssetCost",
    "BudgetSettings",
    "CostPlan",
    "CreditBudgetError",
    "CreditBudgetResource",
    "EconomyHooks",
    "EconomyStoreError",
    "JournalSpool",
    "MonthlyCreditBudget",
    "RateLimiterError",
    "RequestJournalError",
    "SqlRateLimiter",
    "SqlRequestJournal",
    "api_credit_spend",
    "budget_check_result",
    "budget_settings_from_env",
    "credit_budget_check",
    "credits_spent",
    "economy_assets",
    "economy_checks",
    "fresh_keys",
    "is_fresh",
    "known_totals",
    "last_known_total",
    "month_reset_date",
    "open_economy",
    "parse_partitions",
    "plan_partitions",
    "plan_selection",
    "rate_per_minute_from_env",
    "spend_by_day",
    "spend_summary",
]
