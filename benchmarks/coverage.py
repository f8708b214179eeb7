"""Coverage: how much of a market one day's 666 credits keep fresh (20,000 a month / 30).

The simulator serves a world of 50 shops of 80–150 products (about 5,700 products). Each case
runs in a fresh process with a fresh warehouse whose credit budget is 666, and materializes
in-process (an ephemeral Dagster instance):

- `resolved` (this project): every shop's product list for periods 1, 7, 30 and 90
  (`shop_products`, about 3 pages of 50 each), then `product_total` for every listed product ×
  the four periods: the run derives them from the day's lists after paying a sample of 3;
- `unresolved` (before source resolution): `product_total` paid per partition, for as many
  products as 666 credits buy (`TIKTOK_RECONCILE_SAMPLE` cannot turn resolution off, so this
  case simply has no lists of the day to derive from).

Reported: products whose four period totals are fresh (today's snapshot), product-periods per
credit, the credits of the samples, and EVERY stored total compared with the simulator's truth
of the day (computed in-process from the same seed).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.support import (
    ROOT,
    Params,
    Result,
    api_resources,
    run_case,
    simulator,
    sqlite_url,
    table,
)

PERIODS = (1, 7, 30, 90)
DAY_CREDITS = 666
FULL = {"seed": 7, "shops": 50, "products_per_shop": [80, 150]}
QUICK = {"seed": 7, "shops": 8, "products_per_shop": [80, 150]}
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def _world(size: Params) -> Any:
    from tiktok_assets.sim import SimConfig, World

    return World.from_config(SimConfig(creators=10, videos=10, **size))


def _materialize(asset: Any, instance: Any, res: dict[str, Any], first: str, last: str) -> Any:
    from dagster import materialize

    return materialize(
        [asset],
        instance=instance,
        resources=res,
        tags={RANGE_START: first, RANGE_END: last},
        raise_on_error=False,
    )


def _case(params: Params) -> Result:
    """One day's refresh on a 666-credit budget, with or without lists to derive from."""
    import datetime as dt

    from dagster import DagsterInstance

    from tiktok_assets.assets import product_total, shop_products
    from tiktok_assets.economy import CreditBudgetResource
    from tiktok_assets.warehouse import Warehouse

    size, mode = params["size"], params["mode"]
    world = _world(size)
    today = dt.date.fromisoformat(params["today"])
    shops = world.shop_ids()
    url = sqlite_url("coverage.sqlite")
    res = api_resources(params["url"], params["key"], url, max_concurrency=16)
    res["credit_budget"] = CreditBudgetResource(monthly_credit_limit=DAY_CREDITS)
    result: Result = {"mode": mode, "shops": len(shops), "products": len(world.product_ids())}
    started = time.monotonic()
    with DagsterInstance.ephemeral() as instance:
        if mode == "resolved":
            products = [p for shop in shops for p in world.products_of_shop(shop)]
            instance.add_dynamic_partitions("shop_ids", shops)
            lists = _materialize(shop_products, instance, res, f"{shops[0]}|1", f"{shops[-1]}|90")
            result["lists_ok"] = lists.success
        else:
            products = world.product_ids()[: DAY_CREDITS // len(PERIODS)]
        instance.add_dynamic_partitions("product_ids", products)
        totals = _materialize(
            product_total, instance, res, f"{products[0]}|1", f"{products[-1]}|90"
        )
        result["totals_ok"] = totals.success
    result["seconds"] = round(time.monotonic() - started, 1)
    frame = Warehouse(url=url).read_table("product_total")
    calls = Warehouse(url=url).read_table("api_calls")
    paid = calls[(calls["credits"] > 0)]
    credits = int(paid["credits"].sum())
    fresh = frame[frame["snapshot_date"] == today]
    per_product = fresh.groupby("id")["period"].nunique()
    wrong = 0
    for row in fresh.itertuples():
        truth = world.product_total(row.id, row.period, today)
        if (row.revenue, row.sales, row.avg_price) != (
            truth["revenue"],
            truth["sales"],
            truth["avg_price"],
        ):
            wrong += 1
    samples = int(Warehouse(url=url).read_table("source_reconciliation").shape[0])
    result.update(
        {
            "credits": credits,
            "list_credits": int(paid["route"].str.contains("queryList").sum()),
            "sample_credits": samples,
            "fresh_product_periods": len(fresh),
            "products_all_four_fresh": int((per_product == len(PERIODS)).sum()),
            "product_periods_per_credit": round(len(fresh) / credits, 2) if credits else None,
            "sample_share_of_day": round(samples / DAY_CREDITS, 4),
            "compared_with_truth": len(fresh),
            "wrong_values": wrong,
            "derived": int((fresh["source"] != "api").sum()),
        }
    )
    return result


CASES = {"day": _case}


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """Both modes, each against its own key (its own ledger) on one simulator."""
    import os

    size = QUICK if quick else FULL
    results: Result = {"config": {**size, "day_credits": DAY_CREDITS}}
    log = ROOT / "benchmarks" / "results" / "logs" / "coverage-sim.log"
    sim_config = {
        **size,
        "creators": 10,
        "videos": 10,
        "rate_limit_per_minute": 0,
        "today": os.environ["TIKTOK_TODAY"],
    }
    with simulator(log, **sim_config) as sim:
        for mode in ("resolved", "unresolved"):
            key = sim.add_key(f"bench-coverage-{mode}")
            params = {
                "size": size,
                "mode": mode,
                "url": sim.url,
                "key": key,
                "today": os.environ["TIKTOK_TODAY"],
            }
            results[mode] = run_case("coverage", "day", params, timeout=1800 * timeout_scale)
            results[mode]["simulator_credits"] = sim.ledger(key)["credits_used"]
    return results


def report(results: Result) -> str:
    """The coverage table: with and without source resolution, on one day's credits."""
    rows = []
    for mode, label in (("resolved", "with resolution"), ("unresolved", "without (before)")):
        r = results.get(mode, {})
        if "error" in r:
            rows.append([label, r["error"], "", "", "", "", "", ""])
            continue
        rows.append(
            [
                label,
                r.get("credits"),
                r.get("products_all_four_fresh"),
                r.get("fresh_product_periods"),
                r.get("product_periods_per_credit"),
                r.get("sample_credits"),
                r.get("wrong_values"),
                r.get("seconds"),
            ]
        )
    return table(
        [
            "one day, 666 credits",
            "credits spent",
            "products with 4 fresh totals",
            "fresh product-periods",
            "product-periods per credit",
            "sample credits",
            "values ≠ API truth",
            "wall s",
        ],
        rows,
    )
