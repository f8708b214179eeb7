"""The baseline of the `loading` benchmark: a bare Dagster asset doing the same kind of work
as `shop_total` — one partition (`id|period`, dynamic ids × static periods), one HTTP request
to the simulator with httpx, one row written to a SQLite table — with nothing else: no
resources, no journal, no rate limiter, no credit budget, no checks.

`dagster asset materialize -m benchmarks.bare_asset --select bare_shop_total --partition K`
with `WH_API_KEY`, `TIKTOK_API_ORIGIN` and `BENCH_BARE_SQLITE` (a file path) set.
"""

import json
import os
import sqlite3

import httpx
from dagster import (
    AssetExecutionContext,
    Definitions,
    DynamicPartitionsDefinition,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
)

PARTITIONS = MultiPartitionsDefinition(
    {
        "id": DynamicPartitionsDefinition(name="shop_ids"),
        "period": StaticPartitionsDefinition(["1", "7", "30", "90"]),
    }
)


@asset(partitions_def=PARTITIONS)
def bare_shop_total(context: AssetExecutionContext) -> None:
    """One row: a shop's totals over a period, as the API answered them."""
    keys = context.partition_key.keys_by_dimension
    response = httpx.post(
        f"{os.environ['TIKTOK_API_ORIGIN']}/api/v1/tiktok-shop/shop-detail/total",
        json={"id": keys["id"], "period": int(keys["period"])},
        headers={"X-API-Key": os.environ["WH_API_KEY"]},
        timeout=30,
    )
    response.raise_for_status()
    with sqlite3.connect(os.environ["BENCH_BARE_SQLITE"]) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS shop_total (id TEXT, period INTEGER, raw TEXT, "
            "PRIMARY KEY (id, period))"
        )
        conn.execute(
            "INSERT OR REPLACE INTO shop_total VALUES (?, ?, ?)",
            (keys["id"], int(keys["period"]), json.dumps(response.json())),
        )


defs = Definitions(assets=[bare_shop_total])
