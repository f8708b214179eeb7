"""Instance: what the daily refresh does to the Dagster instance, and how fast the UI reads it.

Two settings, measured by the same code in one run: `before` (Dagster's default SQLite event
storage, one file per run plus an index holding a second copy of every asset event, and the
seven metadata entries each partition's materialization carried) and `after` (the project's
`dagster_home/dagster.yaml`, one consolidated event log, and the three entries of
`FetchRun._materialization_metadata`).
PostgreSQL (`deploy/dagster.yaml`) stores each event once either way; only the metadata differs.

- `bytes` (real runs against the simulator over HTTP, in one process per setting and storage):
  one day's refresh of `shop_products` (every shop × 4 periods) and `product_total` (every
  listed product × 4 periods, derived from the day's lists after a paid sample, as the daily
  refresh does). Reported: instance bytes (SQLite: every file of `DAGSTER_HOME`; PostgreSQL:
  `pg_database_size`) after the day minus the empty instance's, per partition materialization.
- `history` (synthetic: real fetches of 90 days at 5,000 products would take days here, and
  Dagster's `store_event` takes about 6 ms an event on this machine, 3 hours for 1.8 M events):
  `product_total` of P products × 4 periods materialized once a day for D days. Each day is
  runs of 1,000 products (`add_run`, as the refresh chunks them), the planned and materialized
  events of every partition built from a real run's events (same text, same metadata: the
  `template` the `bytes` case captured, with the run id and the partition key replaced),
  inserted in batches into Dagster's event table through its own storage connection; the
  day's last event is stored with `store_event` so that the asset's index row is Dagster's
  own. With the `before` setting the synthetic events go to the index only (the copy the UI
  reads; the per-run files are not written). Then, on day 1, 30 and 90 (and at 25,000 and
  100,000 products on day 1): a `dagster-webserver` on the instance is asked the GraphQL
  queries of the asset page and the launchpad — partition statuses and stats (first call
  builds Dagster's status cache: *cold*; then *warm*), the partition keys, and the
  materialization history of one partition — and `product_discovery_sensor` ticks once on
  it, after `shop_products` of 5 shops (20 lists) was materialized from the simulator.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks.support import (
    HOST,
    INSTANCE_YAML,
    PYTHON,
    ROOT,
    Params,
    Result,
    api_resources,
    free_port,
    postgres_database,
    run_case,
    simulator,
    sqlite_url,
    stop_process,
    table,
    wait_until,
)

PERIODS = (1, 7, 30, 90)
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
RUN_IDS = 1000
"""Products per run, as `TIKTOK_REFRESH_CHUNK_IDS` chunks the refresh."""
MARKET = {"seed": 11, "creators": 10, "videos": 10}
FULL = {
    "bytes_shops": 6,
    "products_per_shop": [80, 120],
    "history_products": 5000,
    "history_days": [1, 30, 90],
    "scale_products": [25_000, 100_000],
    "prune_keep_days": 30,
}
QUICK = {
    "bytes_shops": 4,
    "products_per_shop": [40, 60],
    "history_products": 1000,
    "history_days": [1, 3],
    "scale_products": [5_000],
    "prune_keep_days": 1,
}
SIM = {"latency_ms": 0, "rate_limit_per_minute": 0, "monthly_credit_limit": 100_000_000}
REFRESH_PER_DAY = 16_224
"""Partition materializations of the issue's measured day (60 shops, 4,056 products)."""
GOAL_BYTES = 2048
GOAL_YEAR_BYTES = 5 * 10**9

BEFORE_SQLITE_YAML = """telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 2
    granularity: op
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 60
"""
"""`dagster_home/dagster.yaml` before issue #24: Dagster's default SQLite storage."""


def _before_metadata(self: Any, f: Any, s: Any, day: Any) -> dict[str, Any]:
    """Each partition's materialization metadata before issue #24 (`FetchRun`'s method)."""
    metadata: dict[str, Any] = {
        "dagster/row_count": len(s.rows),
        "snapshot_date": day.isoformat(),
        "tiktok/credits": f.usage.credits,
        "tiktok/requests": f.usage.requests,
        "tiktok/cache_hits": f.usage.cache_hits,
    }
    if self.derivable:
        metadata["tiktok/source"] = f.source
        if f.answer is not None:
            metadata["tiktok/source_call_id"] = f.answer.call_id
    return metadata


def _use_setting(setting: str) -> None:
    """Patch this process to write the `before` metadata (the child runs one setting);
    `one_planned` also asks Dagster for one planned event per run instead of one per
    partition (`DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`, measured, not adopted:
    the partitions of a failed run are then not shown as failed)."""
    if setting == "before":
        from tiktok_assets.assets.fetch import FetchRun

        FetchRun._materialization_metadata = _before_metadata  # type: ignore[method-assign]
    if setting == "one_planned":
        os.environ["DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"] = "1"


@contextlib.contextmanager
def _home(setting: str, storage: str, pg_env: dict[str, str] | None) -> Iterator[Path]:
    """A fresh DAGSTER_HOME for the setting and storage, exported for this process."""
    base = Path(os.environ.get("BENCH_TMP") or tempfile.gettempdir())
    home = Path(tempfile.mkdtemp(prefix="dagster-home-", dir=base))
    if storage == "sqlite" and setting == "before":
        (home / "dagster.yaml").write_text(BEFORE_SQLITE_YAML)
    else:
        shutil.copy(INSTANCE_YAML[storage], home / "dagster.yaml")
    os.environ.update({"DAGSTER_HOME": str(home), **(pg_env or {})})
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _instance_bytes(home: Path, storage: str, pg_env: dict[str, str] | None) -> int:
    """Bytes the instance takes: its files (SQLite) or its database (PostgreSQL)."""
    if storage == "sqlite":
        return sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    import sqlalchemy as sa

    assert pg_env is not None
    url = sa.engine.URL.create(
        "postgresql+psycopg",
        username=pg_env["DAGSTER_POSTGRES_USER"],
        password=pg_env["DAGSTER_POSTGRES_PASSWORD"] or None,
        host=pg_env["DAGSTER_POSTGRES_HOST"],
        port=int(pg_env["DAGSTER_POSTGRES_PORT"]),
        database=pg_env["DAGSTER_POSTGRES_DB"],
    )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return int(size)


def _sqlite_objects(home: Path) -> dict[str, int]:
    """Bytes of each table and index over the instance's SQLite files (`dbstat`)."""
    import sqlite3

    sizes: dict[str, int] = {}
    for path in home.rglob("*.db"):
        with contextlib.closing(sqlite3.connect(path)) as conn:
            for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                sizes[name] = sizes.get(name, 0) + int(size)
    return sizes


def _world(params: Params) -> Any:
    from tiktok_assets.sim import SimConfig, World

    return World.from_config(
        SimConfig(
            shops=params["bytes_shops"], products_per_shop=params["products_per_shop"], **MARKET
        )
    )


def _ranged(asset: Any, instance: Any, res: dict[str, Any], keys: list[str]) -> Any:
    from dagster import materialize

    return materialize(
        [asset],
        instance=instance,
        resources=res,
        tags={RANGE_START: keys[0], RANGE_END: keys[-1]},
        raise_on_error=False,
    )


def _templates(instance: Any, run_id: str) -> dict[str, Any]:
    """One planned and one materialization event of `product_total` as Dagster stored them."""
    from dagster import DagsterEventType
    from dagster._serdes import serialize_value

    out: dict[str, Any] = {}
    kinds = {
        "planned": DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
        "materialization": DagsterEventType.ASSET_MATERIALIZATION,
    }
    for name, kind in kinds.items():
        records = instance.get_records_for_run(run_id, of_type=kind, limit=1).records
        entry = records[0].event_log_entry
        partition = entry.dagster_event.partition
        text = serialize_value(entry)
        out[name] = {
            "text": text.replace(run_id, "{RUN}").replace(json.dumps(partition)[1:-1], "{KEY}"),
            "step_key": entry.step_key,
        }
    return out


def bytes_case(params: Params) -> Result:
    """One real day of refresh on a fresh instance; bytes per partition materialization."""
    setting, storage = params["setting"], params["storage"]
    _use_setting(setting)
    with contextlib.ExitStack() as stack:
        pg_env = None
        if storage == "postgres":
            pg_env = stack.enter_context(postgres_database())
            if pg_env is None:
                return {"error": "no PostgreSQL server answers"}
        home = stack.enter_context(_home(setting, storage, pg_env))
        return _bytes_day(params, home, storage, pg_env)


def _bytes_day(params: Params, home: Path, storage: str, pg_env: dict[str, str] | None) -> Result:
    from dagster import DagsterInstance

    from tiktok_assets.assets import product_total, shop_products
    from tiktok_assets.partitions import product_period, shop_period

    world = _world(params)
    shops, products = world.shop_ids(), world.product_ids()
    res = api_resources(params["url"], params["key"], sqlite_url("warehouse.sqlite"))
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("shop_ids", shops)
        instance.add_dynamic_partitions("product_ids", products)
        empty = _instance_bytes(home, storage, pg_env)
        empty_objects = _sqlite_objects(home) if storage == "sqlite" else {}
        started = time.perf_counter()
        lists = _ranged(
            shop_products,
            instance,
            res,
            shop_period.get_partition_keys(dynamic_partitions_store=instance),
        )
        totals = _ranged(
            product_total,
            instance,
            res,
            product_period.get_partition_keys(dynamic_partitions_store=instance),
        )
        seconds = time.perf_counter() - started
        if not (lists.success and totals.success):
            raise RuntimeError("the day's refresh failed")
        count = sum(len(r.get_asset_materialization_events()) for r in (lists, totals))
        templates = _templates(instance, totals.run_id)
        event_text = {name: len(t["text"].encode()) for name, t in templates.items()}
    day = _instance_bytes(home, storage, pg_env) - empty
    objects = {
        name: round((size - empty_objects.get(name, 0)) / count)
        for name, size in (_sqlite_objects(home) if storage == "sqlite" else {}).items()
        if size - empty_objects.get(name, 0) > 0
    }
    return {
        "bytes_per_materialization_by_object": dict(sorted(objects.items(), key=lambda kv: -kv[1])),
        "shops": len(shops),
        "products": len(products),
        "materializations": count,
        "refresh_seconds": round(seconds, 1),
        "instance_bytes_day": day,
        "bytes_per_materialization": round(day / count),
        "event_text_bytes": event_text,
        "template": templates,
    }


def _insert_day(
    instance: Any, templates: dict[str, Any], ids: list[str], day_timestamp: float
) -> int:
    """One synthetic day of `product_total`: runs of RUN_IDS products, each partition's
    planned and materialization events; returns the events written."""
    from dagster import DagsterRun, DagsterRunStatus
    from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
    from dagster._serdes import deserialize_value

    storage = instance.event_log_storage
    written = 0
    for start in range(0, len(ids), RUN_IDS):
        run = DagsterRun(job_name="__ephemeral_asset_job__", status=DagsterRunStatus.SUCCESS)
        instance.add_run(run)
        keys = [f"{i}|{p}" for i in ids[start : start + RUN_IDS] for p in PERIODS]
        for kind, type_name in (
            ("planned", "ASSET_MATERIALIZATION_PLANNED"),
            ("materialization", "ASSET_MATERIALIZATION"),
        ):
            text = templates[kind]["text"].replace("{RUN}", run.run_id)
            rows = [
                {
                    "run_id": run.run_id,
                    "event": text.replace("{KEY}", key),
                    "dagster_event_type": type_name,
                    "timestamp": _utc(day_timestamp + n * 0.001),
                    "step_key": templates[kind]["step_key"],
                    "asset_key": '["product_total"]',
                    "partition": key,
                }
                for n, key in enumerate(keys[:-1] if kind == "materialization" else keys)
            ]
            with storage.index_connection() as conn:
                conn.execute(SqlEventLogStorageTable.insert(), rows)
            written += len(rows)
        last = templates["materialization"]["text"]
        last = last.replace("{RUN}", run.run_id).replace("{KEY}", keys[-1])
        instance.store_event(deserialize_value(last))  # the asset's index row, Dagster's own
        written += 1
    return written


def _utc(timestamp: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)


STATUS_QUERY = """
query Health($key: AssetKeyInput!) {
  assetNodes(assetKeys: [$key]) {
    partitionStats { numMaterialized numPartitions numFailed numMaterializing }
    assetPartitionStatuses {
      ... on MultiPartitionStatuses {
        primaryDimensionName
        ranges {
          primaryDimStartKey primaryDimEndKey
          secondaryDim {
            ... on DefaultPartitionStatuses { materializedPartitions failedPartitions }
          }
        }
      }
    }
  }
}"""
KEYS_QUERY = """
query Keys($key: AssetKeyInput!) {
  assetNodes(assetKeys: [$key]) { partitionKeysByDimension { name partitionKeys } }
}"""
HISTORY_QUERY = """
query History($key: AssetKeyInput!, $partition: String!) {
  assetOrError(assetKey: $key) {
    ... on Asset {
      assetMaterializations(partitions: [$partition], limit: 100) {
        runId timestamp partition metadataEntries { label }
      }
    }
  }
}"""


@contextlib.contextmanager
def _webserver(home: Path) -> Iterator[str]:
    """`dagster-webserver` on the instance at `home`, on a free port."""
    port = free_port()
    log = home / "webserver.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "dagster-webserver"),
                "-m",
                "tiktok_assets.definitions",
                "-h",
                HOST,
                "-p",
                str(port),
            ],
            cwd=ROOT,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://{HOST}:{port}"
    try:
        if not wait_until(lambda: httpx.get(f"{url}/server_info").status_code == 200, timeout=120):
            raise RuntimeError(f"the webserver did not start: {log.read_text()[-500:]}")
        yield f"{url}/graphql"
    finally:
        stop_process(proc)


def _ask(client: httpx.Client, url: str, query: str, variables: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = client.post(url, json={"query": query, "variables": variables})
    seconds = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed: {str(body)[:300]}")
    return round(seconds, 3)


def _timings(home: Path, partition: str) -> Result:
    """The asset page's and the launchpad's GraphQL queries for `product_total`."""
    key = {"path": ["product_total"]}
    with _webserver(home) as url, httpx.Client(timeout=600) as client:
        _ask(client, url, KEYS_QUERY, {"key": {"path": ["shop_total"]}})  # load the location
        cold = _ask(client, url, STATUS_QUERY, {"key": key})
        warm = [_ask(client, url, STATUS_QUERY, {"key": key}) for _ in range(3)]
        keys = [_ask(client, url, KEYS_QUERY, {"key": key}) for _ in range(3)]
        history = [
            _ask(client, url, HISTORY_QUERY, {"key": key, "partition": partition}) for _ in range(3)
        ]
    return {
        "status_cold_s": cold,
        "status_warm_s": statistics.median(warm),
        "keys_s": statistics.median(keys),
        "partition_history_s": statistics.median(history),
    }


def _sensor_tick(instance: Any, params: Params) -> tuple[float, int]:
    """One `product_discovery_sensor` tick after 20 new lists (5 shops × 4 periods)."""
    from dagster import build_sensor_context

    from tiktok_assets.assets.shops import shop_products
    from tiktok_assets.definitions import defs as code_location

    shops = params["tick_shops"]
    instance.add_dynamic_partitions("shop_ids", shops)
    res = api_resources(params["url"], params["key"], params["warehouse_url"])
    feed = _ranged(shop_products, instance, res, [f"{shops[0]}|1", f"{shops[-1]}|90"])
    if not feed.success:
        raise RuntimeError("materializing shop_products failed")
    defs = code_location()
    product_discovery_sensor = defs.get_repository_def().get_sensor_def("product_discovery_sensor")
    started = time.perf_counter()
    with build_sensor_context(
        instance=instance, definitions=defs, resources=dict(defs.resources)
    ) as ctx:
        data = product_discovery_sensor.evaluate_tick(ctx)
    seconds = round(time.perf_counter() - started, 2)
    return seconds, sum(len(r.partition_keys) for r in data.dynamic_partitions_requests or [])


def history_case(params: Params) -> Result:
    """Synthetic history at `products`, timed on each day of `days`."""
    from dagster import DagsterInstance

    setting = params["setting"]
    ids = [str(7_100_000_000_000_000 + i * 7919) for i in range(params["products"])]
    warehouse_url = sqlite_url("warehouse.sqlite")
    os.environ.update(
        {
            "WH_API_KEY": params["key"],
            "TIKTOK_API_ORIGIN": params["url"],
            "TIKTOK_WAREHOUSE_URL": warehouse_url,
            "TIKTOK_API_RATE_PER_MINUTE": "0",
            "TIKTOK_MONTHLY_CREDIT_LIMIT": "100000000",
        }
    )
    params = {**params, "warehouse_url": warehouse_url}
    _use_setting(setting)
    out: Result = {"products": len(ids), "days": {}}
    with _home(setting, "sqlite", None) as home, DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("product_ids", ids)
        last_day = max(params["days"])
        start = time.time() - last_day * 86400
        built = 0
        events = 0
        build_seconds = 0.0
        made: dict[int, Any] = {}  # day -> the moment its runs were all created
        for day in sorted(params["days"]):
            t0 = time.perf_counter()
            while built < day:
                events += _insert_day(instance, params["template"], ids, start + built * 86400)
                built += 1
                made[built] = _now()
            build_seconds += time.perf_counter() - t0
            point: Result = {
                "events": events,
                "instance_bytes": _instance_bytes(home, "sqlite", None),
            }
            point.update(_timings(home, f"{ids[len(ids) // 2]}|7"))
            point["discovery_tick_s"], point["discovery_new_ids"] = _sensor_tick(instance, params)
            out["days"][str(day)] = point
            print(f"day {day}: {json.dumps(point)}", flush=True)
        out["build_seconds"] = round(build_seconds, 1)
        keep = params.get("prune_keep_days")
        if keep and built > keep:
            out["prune"] = _prune(instance, home, made[built - keep], keep)
    return out


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def _prune(instance: Any, home: Path, cutoff: Any, keep: int) -> Result:
    """`prune_runs` keeping the last `keep` synthetic days; time and space it frees."""
    import sqlite3

    from tiktok_assets.housekeeping import prune_runs

    started = time.perf_counter()
    report = prune_runs(instance, before=cutoff)
    seconds = time.perf_counter() - started
    free = 0
    for path in home.rglob("*.db"):
        with contextlib.closing(sqlite3.connect(path)) as conn:
            pages = conn.execute("PRAGMA freelist_count").fetchone()[0]
            free += pages * conn.execute("PRAGMA page_size").fetchone()[0]
    return {
        "keep_days": keep,
        "seconds": round(seconds, 1),
        "runs_deleted": len(report.deleted_run_ids),
        "runs_kept_newest": len(report.kept_run_ids),
        "instance_bytes": _instance_bytes(home, "sqlite", None),
        "free_bytes_for_reuse": free,
    }


CASES = {"bytes": bytes_case, "history": history_case}


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """Bytes per setting and storage, then timings per setting and size."""
    size = QUICK if quick else FULL
    results: Result = {"config": {**size, "simulator": SIM}, "bytes": {}, "history": {}}
    world = {"shops": size["bytes_shops"], "products_per_shop": size["products_per_shop"]}
    log = ROOT / "benchmarks" / "results" / "logs" / "instance-sim.log"
    with simulator(log, **SIM, **MARKET, **world) as sim:
        templates: dict[str, Any] = {}
        for storage in ("sqlite", "postgres"):
            for setting in ("before", "after", "one_planned"):
                key = sim.add_key(f"bench-instance-{storage}-{setting}")
                params = {**size, "url": sim.url, "key": key, "setting": setting}
                result = run_case(
                    "instance",
                    "bytes",
                    {**params, "storage": storage},
                    timeout=1800 * timeout_scale,
                )
                if storage == "sqlite" and "template" in result:
                    templates[setting] = result["template"]
                result.pop("template", None)
                results["bytes"][f"{storage}/{setting}"] = result
                print(f"bytes {storage}/{setting}: {json.dumps(result)}", flush=True)
        shops = _world(size).shop_ids()[:5]
        sizes = [(size["history_products"], size["history_days"])]
        sizes += [(n, [1]) for n in size["scale_products"]]
        for setting in ("before", "after"):
            if setting not in templates:
                continue
            for products, days in sizes:
                key = sim.add_key(f"bench-instance-history-{setting}-{products}")
                params = {
                    "url": sim.url,
                    "key": key,
                    "setting": setting,
                    "products": products,
                    "days": days,
                    "template": templates[setting],
                    "tick_shops": shops,
                    "prune_keep_days": size["prune_keep_days"] if len(days) > 1 else None,
                }
                result = run_case("instance", "history", params, timeout=3600 * timeout_scale)
                results["history"][f"{setting}/{products}"] = result
                print(f"history {setting}/{products}: {json.dumps(result)}", flush=True)
    return results


def report(results: Result) -> str:
    """The bytes table and the timings table."""
    rows: list[list[Any]] = []
    for name, r in results.get("bytes", {}).items():
        if "error" in r:
            rows.append([name, r["error"], "", "", "", ""])
            continue
        per = r["bytes_per_materialization"]
        year = per * REFRESH_PER_DAY * 91
        rows.append(
            [
                name,
                f"{r['materializations']:,}",
                f"{r['instance_bytes_day'] / 1e6:,.1f} MB",
                f"{per:,} B ({'≤' if per <= GOAL_BYTES else '>'} 2 KB)",
                f"{per * REFRESH_PER_DAY / 1e6:,.0f} MB",
                f"{year / 1e9:,.2f} GB ({'<' if year < GOAL_YEAR_BYTES else '≥'} 5 GB)",
            ]
        )
    out = table(
        [
            "storage/setting",
            "materializations (one day)",
            "instance growth",
            "per materialization",
            "per day of 16,224",
            "a year, pruned at 90 days (91 days kept)",
        ],
        rows,
    )
    trows: list[list[Any]] = []
    for name, r in results.get("history", {}).items():
        if "error" in r:
            trows.append([name, "", r["error"], "", "", "", "", "", ""])
            continue
        for day, p in r["days"].items():
            trows.append(
                [
                    name,
                    day,
                    f"{p['events']:,}",
                    f"{p['instance_bytes'] / 1e9:,.2f} GB",
                    p["status_cold_s"],
                    p["status_warm_s"],
                    p["keys_s"],
                    p["partition_history_s"],
                    f"{p['discovery_tick_s']} ({p['discovery_new_ids']} new ids)",
                ]
            )
    timings = table(
        [
            "setting/products",
            "day",
            "events",
            "instance",
            "statuses+stats cold (s)",
            "warm (s)",
            "partition keys (s)",
            "one partition's history (s)",
            "discovery tick (s)",
        ],
        trows,
    )
    prows = [
        [
            name,
            f"{p['keep_days']} days",
            p["seconds"],
            p["runs_deleted"],
            p["runs_kept_newest"],
            f"{p['instance_bytes'] / 1e9:,.2f} GB",
            f"{p['free_bytes_for_reuse'] / 1e9:,.2f} GB",
        ]
        for name, r in results.get("history", {}).items()
        if (p := r.get("prune"))
    ]
    pruning = table(
        [
            "setting/products",
            "kept",
            "prune (s)",
            "runs deleted",
            "old runs kept (newest of a partition)",
            "instance file",
            "of which free for reuse",
        ],
        prows,
    )
    split = [
        f"{name}: "
        + ", ".join(f"{o} {b:,} B" for o, b in r["bytes_per_materialization_by_object"].items())
        for name, r in results.get("bytes", {}).items()
        if r.get("bytes_per_materialization_by_object")
    ]
    return "\n\n".join(
        [out, "Per materialization, by table and index:\n" + "\n".join(split), timings, pruning]
    )
