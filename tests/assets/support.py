"""Helpers for asset tests: resources pointed at the simulator, runs, and what the world says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from dagster import AssetsDefinition, DagsterInstance, ExecuteInProcessResult, materialize

from tests.conftest import KEY
from tests.simserver import RunningSim
from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.economy import CreditBudgetResource
from tiktok_assets.sim import World
from tiktok_assets.warehouse import Warehouse

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def resources(
    sim: RunningSim, warehouse_url: str, *, key: str = KEY, credit_limit: int = 20_000, **api: Any
) -> dict[str, Any]:
    """The three resources the API assets need, pointed at the simulator."""
    settings: dict[str, Any] = {"rate_per_minute": 0, "backoff_seconds": 0.01}
    settings.update(api)
    return {
        "api": TikTokShopAPI(api_key=key, origin=sim.url, **settings),
        "warehouse": Warehouse(url=warehouse_url),
        "credit_budget": CreditBudgetResource(monthly_credit_limit=credit_limit),
    }


def run(
    assets: Sequence[AssetsDefinition],
    instance: DagsterInstance,
    res: dict[str, Any],
    *,
    partition_key: str | None = None,
    key_range: tuple[str, str] | None = None,
    tags: dict[str, str] | None = None,
    run_config: dict[str, Any] | None = None,
) -> ExecuteInProcessResult:
    """One in-process run of `assets` for a partition or a partition range."""
    all_tags = dict(tags or {})
    if key_range is not None:
        all_tags[RANGE_START], all_tags[RANGE_END] = key_range
    return materialize(
        assets,
        instance=instance,
        resources=res,
        partition_key=partition_key,
        tags=all_tags,
        run_config=run_config,
        raise_on_error=False,
    )


def table(warehouse_url: str, name: str) -> pd.DataFrame:
    """A whole warehouse table, ordered by its primary key."""
    return Warehouse(url=warehouse_url).read_table(name)


def count_rows(warehouse_url: str, name: str) -> int:
    wh = Warehouse(url=warehouse_url)
    with wh.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(wh.table(name))).scalar_one()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def assert_row_matches(row: pd.Series | dict[str, Any], expected: dict[str, Any]) -> None:
    """Every documented field the API answered is stored under its own name, unchanged."""
    for name, value in expected.items():
        if name in ("id", "period"):
            continue
        got = row.get(name)
        assert _plain(got) == _plain(value), f"{name}: stored {got!r}, API said {value!r}"


def expected_payload(world: World, asset: str, entity_id: str, period: int | None, today: dt.date):
    """What the simulator answers for one partition (lists and series: all rows)."""
    calls = {
        "shop_detail": lambda: world.shop_detail(entity_id),
        "shop_total": lambda: world.shop_total(entity_id, period, today),
        "shop_products": lambda: world.shop_products(entity_id, period, today),
        "product_detail": lambda: world.product_detail(entity_id, today),
        "product_total": lambda: world.product_total(entity_id, period, today),
        "product_history": lambda: world.product_history(entity_id, period, today),
        "creator_total": lambda: world.creator_total(entity_id, period, today),
        "creator_products": lambda: world.creator_products(entity_id, period, today),
        "video_detail": lambda: world.video_detail(entity_id),
        "video_metrics": lambda: world.video_metrics(entity_id, period, today),
    }
    return calls[asset]()
