"""What the UI shows of the credit economy: the `api_credit_spend` asset and its budget check."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    asset,
    asset_check,
)

from tiktok_assets import clock
from tiktok_assets.economy.budget import BudgetSettings, month_reset_date
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.warehouse.resource import Warehouse

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

WARN_FRACTION = 0.8
"""Share of the monthly limit past which `credit_budget_check` warns."""
DAYS_SHOWN = 31

SPEND_SCHEMA = TableSchema(
    columns=[
        TableColumn("date", "date", description="UTC day (call_date)"),
        TableColumn("requests", "int", description="HTTP requests sent, retries included"),
        TableColumn("credits", "int", description="Credits spent (successful requests)"),
        TableColumn("cache_hits", "int", description="Requests served free by the journal"),
        TableColumn("errors", "int", description="HTTP requests that failed"),
    ]
)


@dataclasses.dataclass(frozen=True)
class SpendSummary:
    """The month's credit spend as the request journal records it."""

    today: dt.date
    settings: BudgetSettings
    credits_this_month: int
    by_day: pd.DataFrame

    @property
    def credits_today(self) -> int:
        return int(self.by_day.loc[self.by_day["date"] == self.today, "credits"].sum())

    def _this_month(self, column: str) -> int:
        first = self.today.replace(day=1)
        return int(self.by_day.loc[self.by_day["date"] >= first, column].sum())

    @property
    def requests_this_month(self) -> int:
        return self._this_month("requests")

    @property
    def cache_hits_this_month(self) -> int:
        return self._this_month("cache_hits")

    @property
    def errors_this_month(self) -> int:
        return self._this_month("errors")

    @property
    def credits_remaining(self) -> int:
        """Usable credits left this month (limit - reserve - spent)."""
        return self.settings.usable - self.credits_this_month


def spend_summary(
    engine: sa.Engine, settings: BudgetSettings, today: dt.date | None = None
) -> SpendSummary:
    """Read this month's spend and the last `DAYS_SHOWN` days from the journal."""
    from tiktok_assets.economy.journal import credits_spent, spend_by_day

    today = today or clock.today()
    since = min(today.replace(day=1), today - dt.timedelta(days=DAYS_SHOWN - 1))
    return SpendSummary(
        today=today,
        settings=settings,
        credits_this_month=credits_spent(engine, today),
        by_day=spend_by_day(engine, since),
    )


def spend_metadata(summary: SpendSummary) -> dict[str, object]:
    """The asset's metadata: ints the UI plots across materializations, and a per-day table."""
    s = summary.settings
    records = [
        TableRecord(
            {
                "date": row.date.isoformat(),
                "requests": int(row.requests),
                "credits": int(row.credits),
                "cache_hits": int(row.cache_hits),
                "errors": int(row.errors),
            }
        )
        for row in summary.by_day.itertuples(index=False)
    ]
    return {
        "credits_this_month": summary.credits_this_month,
        "credits_today": summary.credits_today,
        "credits_remaining": summary.credits_remaining,
        "monthly_credit_limit": s.monthly_credit_limit,
        "credit_reserve": s.credit_reserve,
        "requests_this_month": summary.requests_this_month,
        "cache_hits_this_month": summary.cache_hits_this_month,
        "errors_this_month": summary.errors_this_month,
        "month_resets_on": MetadataValue.text(month_reset_date(summary.today).isoformat()),
        "spend_by_day": MetadataValue.table(records, schema=SPEND_SCHEMA),
    }


def budget_check_result(summary: SpendSummary) -> AssetCheckResult:
    """Pass below 80% of the limit; WARN above; ERROR once the usable budget is spent."""
    s = summary.settings
    spent = summary.credits_this_month
    share = spent / s.monthly_credit_limit if s.monthly_credit_limit else 1.0
    metadata = {
        "credits_this_month": spent,
        "monthly_credit_limit": s.monthly_credit_limit,
        "credit_reserve": s.credit_reserve,
        "share_of_limit": MetadataValue.float(round(share, 4)),
        "month_resets_on": MetadataValue.text(month_reset_date(summary.today).isoformat()),
    }
    if spent >= s.usable:
        return AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            description=(
                f"{spent:,} credits spent this month: the usable budget "
                f"({s.usable:,} = limit - reserve) is used up; paid requests are refused "
                f"until {month_reset_date(summary.today).isoformat()}"
            ),
            metadata=metadata,
        )
    if spent > WARN_FRACTION * s.monthly_credit_limit:
        return AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.WARN,
            description=(
                f"{spent:,} credits spent this month, over {WARN_FRACTION:.0%} of the "
                f"{s.monthly_credit_limit:,} limit"
            ),
            metadata=metadata,
        )
    return AssetCheckResult(
        passed=True,
        description=f"{spent:,} of {s.monthly_credit_limit:,} credits spent this month",
        metadata=metadata,
    )


@asset(group_name="economy", kinds={"python", "sql"})
def api_credit_spend(
    warehouse: Warehouse, credit_budget: CreditBudgetResource
) -> MaterializeResult:
    """The API credits spent this month and per day, read from the request journal.

    No table is written: the numbers are this materialization's metadata, so the UI plots
    `credits_this_month` and `credits_today` across materializations. Credits count by the
    UTC day of each request; the vendor resets them on the 1st of each month.
    """
    summary = spend_summary(warehouse.engine, credit_budget.settings)
    return MaterializeResult(metadata=spend_metadata(summary))


@asset_check(asset=api_credit_spend, name="credit_budget_check")
def credit_budget_check(
    warehouse: Warehouse, credit_budget: CreditBudgetResource
) -> AssetCheckResult:
    """Warns past 80% of the monthly limit; errors once limit - reserve is spent."""
    return budget_check_result(spend_summary(warehouse.engine, credit_budget.settings))


economy_assets = [api_credit_spend]
economy_checks = [credit_budget_check]
