"""The resources of the code location, configured from the environment.

`WH_API_KEY` and `TIKTOK_WAREHOUSE_URL` are bound as `EnvVar`s, so the UI shows their names,
never their values. The numbers (rate, credits, concurrency) are read when the code location loads.
"""

from __future__ import annotations

from dagster import EnvVar

from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.economy.budget import CreditTerms
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.settings import Settings, get_settings
from tiktok_assets.warehouse import Warehouse, configured_url


def api_resource(settings: Settings) -> TikTokShopAPI:
    """The API resource: key and origin bound by name, the plan's numbers from `settings`."""
    return TikTokShopAPI(
        api_key=EnvVar("WH_API_KEY"),
        origin=EnvVar("TIKTOK_API_ORIGIN"),
        rate_per_minute=settings.tiktok_api_rate_per_minute,
        max_concurrency=settings.tiktok_api_concurrency,
    )


def warehouse_resource(settings: Settings) -> Warehouse:
    """The warehouse: `TIKTOK_WAREHOUSE_URL`, or SQLite in the project's data/ folder."""
    return Warehouse(url=configured_url(settings))


def resources(settings: Settings | None = None) -> dict[str, object]:
    """Every resource the assets, sensors and schedules use, by key."""
    settings = settings or get_settings()
    return {
        "api": api_resource(settings),
        "warehouse": warehouse_resource(settings),
        "credit_budget": CreditBudgetResource.from_settings(settings),
    }


def credit_terms(settings: Settings) -> CreditTerms:
    """The credit terms the resources of `settings` give runs (no key needed: the page size,
    rate and budget are configuration, not secrets)."""
    return CreditBudgetResource.from_settings(settings).terms(api_resource(settings))
