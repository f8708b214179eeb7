"""The resources of the code location, configured from the environment.

`WH_API_KEY` and `TIKTOK_WAREHOUSE_URL` are bound as `EnvVar`s, so the UI shows their names,
never their values. The numbers (rate, credits, concurrency) are read when the code location loads.
"""

from __future__ import annotations

import os

from dagster import EnvVar

from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.economy import CreditBudgetResource
from tiktok_assets.warehouse import Warehouse, configured_url


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None


def api_resource() -> TikTokShopAPI:
    """The API resource: key and origin from the environment, the plan's numbers too."""
    return TikTokShopAPI(
        api_key=EnvVar("WH_API_KEY"),
        origin=EnvVar("TIKTOK_API_ORIGIN"),
        rate_per_minute=_int_env("TIKTOK_API_RATE_PER_MINUTE", 60),
        max_concurrency=_int_env("TIKTOK_API_CONCURRENCY", 8),
    )


def warehouse_resource() -> Warehouse:
    """The warehouse: `TIKTOK_WAREHOUSE_URL`, or SQLite in the project's data/ folder."""
    return Warehouse(url=configured_url())


def resources() -> dict[str, object]:
    """Every resource the assets, sensors and schedules use, by key."""
    return {
        "api": api_resource(),
        "warehouse": warehouse_resource(),
        "credit_budget": CreditBudgetResource.from_env(),
    }
