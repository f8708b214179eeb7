"""`CreditBudgetResource`: the month's credit limit and reserve, as a Dagster resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import ConfigurableResource
from pydantic import Field

from tiktok_assets.economy.budget import (
    DEFAULT_MONTHLY_CREDIT_LIMIT,
    DEFAULT_SAMPLE,
    BudgetSettings,
    CreditTerms,
    MonthlyCreditBudget,
    budget_settings_from_env,
)
from tiktok_assets.settings import Settings

if TYPE_CHECKING:
    import sqlalchemy as sa

    from tiktok_assets.api.resource import TikTokShopAPI


class CreditBudgetResource(ConfigurableResource):
    """How many of the vendor's monthly credits runs may spend (`limit - reserve`)."""

    monthly_credit_limit: int = Field(
        default=DEFAULT_MONTHLY_CREDIT_LIMIT,
        description="Credits the API plan allows per calendar month (TIKTOK_MONTHLY_CREDIT_LIMIT).",
    )
    credit_reserve: int = Field(
        default=0,
        description=(
            "Credits runs must leave unspent, e.g. for manual calls (TIKTOK_CREDIT_RESERVE)."
        ),
    )

    reconcile_sample: int = Field(
        default=DEFAULT_SAMPLE,
        ge=0,
        description=(
            "Partitions per source, asset and day paid for and compared before numbers derived "
            "from lists and daily series are trusted (TIKTOK_RECONCILE_SAMPLE); 0 trusts them "
            "unchecked."
        ),
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> CreditBudgetResource:
        """The resource as `TIKTOK_MONTHLY_CREDIT_LIMIT`, `TIKTOK_CREDIT_RESERVE` and
        `TIKTOK_RECONCILE_SAMPLE` set it."""
        s = budget_settings_from_env(settings)
        return cls(
            monthly_credit_limit=s.monthly_credit_limit,
            credit_reserve=s.credit_reserve,
            reconcile_sample=settings.tiktok_reconcile_sample,
        )

    @property
    def settings(self) -> BudgetSettings:
        """The validated settings (a reserve above the limit is an error)."""
        return BudgetSettings(self.monthly_credit_limit, self.credit_reserve)

    def terms(self, api: TikTokShopAPI) -> CreditTerms:
        """The credit terms of runs that use `api` and this budget."""
        return CreditTerms(
            page_size=api.page_size,
            rate_per_minute=api.rate_per_minute,
            monthly_credit_limit=self.monthly_credit_limit,
            credit_reserve=self.credit_reserve,
            reconcile_sample=self.reconcile_sample,
        )

    def budget(self, engine: sa.Engine) -> MonthlyCreditBudget:
        """A `MonthlyCreditBudget` over the journal in `engine`, for one run."""
        s = self.settings
        return MonthlyCreditBudget(
            engine, monthly_credit_limit=s.monthly_credit_limit, credit_reserve=s.credit_reserve
        )
