"""A peer: the same pull done by dlt's REST API source, against the same rate-limited simulator.

Work: `product_total` for `products` products × 4 periods (one POST each) and `shop_products`
for `shops` shops × 4 periods (POST queryList, paged 10 at a time, about 3 pages each),
from the simulator over HTTP (50 ms latency, rate limit 60 per minute, no `Retry-After`,
as the vendor does not document one; list pages capped at 10 items).

- `project`: this project's assets in process, `shop_products` then `product_total` (one
  ranged run each), resources with `rate_per_minute=60`, `page_size=10`, concurrency 8,
  into a SQLite warehouse.
- `dlt`: `dlt.sources.rest_api.rest_api_source` into the `sqlalchemy` destination on a
  SQLite file, `write_disposition="merge"` on the same keys. Tuned with dlt's documented
  knobs: 8 extract workers and `parallelized` resources (the project's concurrency), a
  `dlt.sources.helpers.requests.Client` retrying 429/5xx up to 10 attempts with exponential
  backoff (factor 1 s, at most 60 s per wait, honouring `Retry-After` when sent), and a
  10-line paginator that stops at the answer's `total` (dlt's `page_number` paginator reads
  a page count, not an item count, and would pay for one empty page per list).

Each runs twice the same day: the re-run of the project is served from its request journal;
dlt's re-run (on a fresh rate window, so that it is not slowed by the first run's) pays again.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.support import (
    ROOT,
    WORLD,
    Params,
    Result,
    api_resources,
    product_ids,
    run_case,
    simulator,
    table,
)

PERIODS = (1, 7, 30, 90)
PAGE_SIZE = 10
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

FULL = {"products": 20, "shops": 1}
QUICK = {"products": 20, "shops": 1}
SIM = {
    "latency_ms": 50,
    "rate_limit_per_minute": 60,
    "retry_after": False,
    "max_page_limit": PAGE_SIZE,
    "monthly_credit_limit": 10_000_000,
}


def _shop_ids(count: int) -> list[str]:
    from tiktok_assets.sim import SimConfig, World

    return World.from_config(SimConfig(**WORLD)).shop_ids()[:count]


def project(params: Params) -> Result:
    """This project: `shop_products` then `product_total`, one ranged run each."""
    import shutil

    from dagster import DagsterInstance, materialize

    from tiktok_assets.assets.products import product_total
    from tiktok_assets.assets.shops import shop_products

    home = Path(params["work"]) / "dagster_home"
    if not home.exists():
        home.mkdir(parents=True)
        shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    res = api_resources(
        params["url"],
        params["key"],
        f"sqlite:///{Path(params['work']) / 'project.sqlite'}",
        rate_per_minute=params["limit"],
        page_size=PAGE_SIZE,
    )
    shops, products = _shop_ids(params["shops"]), product_ids(params["products"])
    with DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("shop_ids", shops)
        instance.add_dynamic_partitions("product_ids", products)
        started = time.perf_counter()
        for asset, ids in ((shop_products, shops), (product_total, products)):
            tags = {RANGE_START: f"{ids[0]}|{PERIODS[0]}", RANGE_END: f"{ids[-1]}|{PERIODS[-1]}"}
            if not materialize([asset], instance=instance, resources=res, tags=tags).success:
                raise RuntimeError(f"{asset.key.to_user_string()} failed")
        wall = time.perf_counter() - started
    return {"seconds": round(wall, 2)}


def _dlt_source(url: str, key: str, shops: list[str], products: list[str]) -> Any:
    import dlt
    from dlt.sources.helpers.requests import Client
    from dlt.sources.helpers.rest_client.paginators import BasePaginator
    from dlt.sources.rest_api import rest_api_source

    class TotalItemsPaginator(BasePaginator):
        """`page` and `limit` in the JSON body; stop once `page × limit` reaches `total`."""

        def __init__(self, limit: int) -> None:
            super().__init__()
            self.limit = limit
            self.page = 1

        def init_request(self, request: Any) -> None:
            self.page = 1
            request.json = {**(request.json or {}), "page": 1, "limit": self.limit}

        def update_state(self, response: Any, data: list[Any] | None = None) -> None:
            total = int(response.json().get("total") or 0)
            self._has_next_page = bool(data) and self.page * self.limit < total

        def update_request(self, request: Any) -> None:
            self.page += 1
            request.json["page"] = self.page

    @dlt.resource(name="product_periods")
    def product_periods() -> Any:
        yield [{"id": p, "period": period} for p in products for period in PERIODS]

    @dlt.resource(name="shop_periods")
    def shop_periods() -> Any:
        yield [{"id": s, "period": period} for s in shops for period in PERIODS]

    session = Client(
        request_timeout=30,
        max_connections=8,
        raise_for_status=False,
        request_max_attempts=10,
        request_backoff_factor=1,
        request_max_retry_delay=60,
        respect_retry_after_header=True,
    ).session
    return rest_api_source(
        {
            "client": {
                "base_url": f"{url}/api/v1/tiktok-shop/",
                "headers": {"X-API-Key": key},
                "session": session,
            },
            "resource_defaults": {
                "write_disposition": "merge",
                "parallelized": True,
                "endpoint": {"method": "POST", "data_selector": "data"},
            },
            "resources": [
                product_periods,
                shop_periods,
                {
                    "name": "product_total",
                    "primary_key": ["_product_periods_id", "period"],
                    "include_from_parent": ["id"],
                    "endpoint": {
                        "path": "product-detail/total",
                        "json": {
                            "id": "{resources.product_periods.id}",
                            "period": "{resources.product_periods.period}",
                        },
                        "paginator": "single_page",
                    },
                },
                {
                    "name": "shop_products",
                    "primary_key": ["_shop_periods_id", "_shop_periods_period", "id"],
                    "include_from_parent": ["id", "period"],
                    "endpoint": {
                        "path": "shop-detail/product/queryList",
                        "json": {
                            "id": "{resources.shop_periods.id}",
                            "period": "{resources.shop_periods.period}",
                            "sort": "revenue",
                            "order": "desc",
                        },
                        "paginator": TotalItemsPaginator(PAGE_SIZE),
                    },
                },
            ],
        }
    )


def dlt_pull(params: Params) -> Result:
    """dlt: the REST API source into SQLite through the `sqlalchemy` destination."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ["EXTRACT__WORKERS"] = "8"
    import dlt

    work = Path(params["work"])
    source = _dlt_source(
        params["url"], params["key"], _shop_ids(params["shops"]), product_ids(params["products"])
    )
    pipeline = dlt.pipeline(
        pipeline_name="tiktok_peer",
        destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{work / 'dlt.sqlite'}"),
        dataset_name="main",
        pipelines_dir=str(work / "dlt_pipelines"),
    )
    started = time.perf_counter()
    info = pipeline.run(source)
    wall = time.perf_counter() - started
    if info.has_failed_jobs:
        raise RuntimeError(f"dlt load failed: {info}")
    rows = pipeline.last_trace.last_normalize_info.row_counts  # type: ignore[union-attr]
    return {
        "seconds": round(wall, 2),
        "rows": {k: v for k, v in rows.items() if not k.startswith("_")},
    }


CASES = {"project": project, "dlt": dlt_pull}


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """Both tools, twice each, against one simulator; credits and 429s from its ledger."""
    size = QUICK if quick else FULL
    results: Result = {"config": {**size, "periods": list(PERIODS), "simulator": SIM}}
    log = ROOT / "benchmarks" / "results" / "logs" / "peer-sim.log"
    with (
        simulator(log, **SIM) as sim,
        tempfile.TemporaryDirectory(prefix="tiktok-peer-") as work,
    ):
        base: Params = {"url": sim.url, "limit": SIM["rate_limit_per_minute"], "work": work}
        base |= size
        for name, case, key in (
            ("project_first", "project", "bench-peer-project"),
            ("project_rerun", "project", "bench-peer-project"),
            ("dlt_first", "dlt", "bench-peer-dlt-1"),
            ("dlt_rerun", "dlt", "bench-peer-dlt-2"),
        ):
            sim.add_key(key)
            before = sim.ledger(key)
            result = run_case("peer", case, {**base, "key": key}, timeout=420 * timeout_scale)
            after = sim.ledger(key)
            result |= {
                "requests": after["requests"] - before["requests"],
                "http_429": after["rate_limited"] - before["rate_limited"],
                "credits": after["credits_used"] - before["credits_used"],
            }
            results[name] = result
    return results


def report(results: Result) -> str:
    """The peer table."""
    rows = []
    for name, label in (
        ("project_first", "this project, first run"),
        ("project_rerun", "this project, re-run same day"),
        ("dlt_first", "dlt rest_api, first run"),
        ("dlt_rerun", "dlt rest_api, re-run same day"),
    ):
        r = results.get(name, {})
        if "error" in r:
            rows.append([label, r["error"], None, None, None])
            continue
        rows.append(
            [label, r.get("seconds"), r.get("requests"), r.get("http_429"), r.get("credits")]
        )
    return table(["peer (60/min)", "s", "HTTP requests", "429s", "credits"], rows)
