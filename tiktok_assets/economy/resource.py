"""`CreditBudgetResource`: the month's credit limit and reserve, as a Dagster resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import ConfigurableResource
from pydantic import Field

from tiktok_assets.economy.budget import (
    DEFAULT_MONTHLY_CREDIT_LIMIT,
    LIMIT_ENV,
    RESERVE_ENV,
    BudgetSettings,
    MonthlyCreditBudget,
    budget_settings_from_env,
)
from tiktok_assets.settings import Settings

if TYPE_CHECKING:
    import sqlalchemy as sa

DEFAULT_SAMPLE = 3
"""Partitions per source, asset and day paid for and compared before a source is trusted
(`tiktok_assets.economy.reconcile`)."""
SAMPLE_ENV = "TIKTOK_RECONCILE_SAMPLE"


class CreditBudgetResource(ConfigurableResource):
    """How many of the vendor's monthly credits runs may spend (`limit - reserve`)."""

    monthly_credit_limit: int = Field(
        default=DEFAULT_MONTHLY_CREDIT_LIMIT,
        description=f"Credits the API plan allows per calendar month ({LIMIT_ENV}).",
    )
    credit_reserve: int = Field(
        default=0,
        description=f"Credits runs must leave unspent, e.g. for manual calls ({RESERVE_ENV}).",
    )

    reconcile_sample: int = Field(
        default=DEFAULT_SAMPLE,
        ge=0,
        description=(
            "Partitions per source, asset and day paid for and compared before numbers derived "
            f"from lists and daily series are trusted ({SAMPLE_ENV}); 0 trusts them unchecked."
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

    def budget(self, engine: sa.Engine) -> MonthlyCreditBudget:
        """A `MonthlyCreditBudget` over the journal in `engine`, for one run."""
        s = self.settings
        return MonthlyCreditBudget(
            engine, monthly_credit_limit=s.monthly_credit_limit, credit_reserve=s.credit_reserve
        )
