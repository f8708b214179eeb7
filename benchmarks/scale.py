"""Scale: 25,000 tracked products × 4 periods in an instance's dynamic partitions.

`ticks` (one process, a persistent temporary `DAGSTER_HOME` and SQLite warehouse, the code
location's `tiktok_assets.definitions.defs` configured through its environment variables):

1. Setup, timed but not the point: add 25,000 synthetic product ids (and 20 shop ids of the
   simulator's world) to the instance; fill the request journal with 50,000 answers of today
   (periods 1 and 7 of every product, as after a daily refresh); materialize `shop_products`
   for the 20 shops × 4 periods from the simulator (80 new list materializations).
2. `product_discovery_sensor`: one tick from an empty cursor (reads the 80 materializations,
   picks new product ids, prices their first fetch), via `build_sensor_context`.
3. `daily_refresh_schedule` and `weekly_refresh_schedule`: one refresh each, timed whole:
   the tick (`build_schedule_context`), its `refresh_requests` run (chunks every tracked id
   into ranged runs, prices and records them) and the `refresh_launch_sensor` tick that
   requests those runs.
4. `tiktok-assets plan --select product_total` (100,000 partitions) as a CLI subprocess
   with `DAGSTER_HOME`, and the same for one partition (the CLI's fixed cost).

`memory`: one run of 2,000 partitions (500 products × 4) of `product_total` from the
simulator (50 ms latency, no rate limit), in a fresh process; peak RSS (`ru_maxrss`)
before and after the run.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.support import (
    PYTHON,
    ROOT,
    WORLD,
    Params,
    Result,
    api_resources,
    dagster_home,
    product_ids,
    run_case,
    simulator,
    sqlite_url,
    table,
)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PERIODS = (1, 7, 30, 90)

FULL = {"tracked": 25_000, "shops": 20, "memory_products": 500}
QUICK = {"tracked": 5_000, "shops": 5, "memory_products": 100}
SIM = {"latency_ms": 50, "rate_limit_per_minute": 0, "monthly_credit_limit": 10_000_000}
BIG_BUDGET = "100000000"


def _synthetic_ids(count: int) -> list[str]:
    return [str(7_000_000_000_000_000 + i * 7919) for i in range(count)]


def _fill_journal(engine: Any, ids: list[str], periods: tuple[int, ...]) -> int:
    """Journal rows as if `product_total` of `ids` × `periods` had been fetched today."""
    import sqlalchemy as sa

    from tiktok_assets import clock
    from tiktok_assets.catalog import SOURCES
    from tiktok_assets.warehouse.tables import api_calls

    source, today, now = SOURCES["product_total"], clock.today(), clock.now()
    rows = []
    for entity_id in ids:
        for period in periods:
            request = source.requests(entity_id, period, page_size=50, known_total=None)[0]
            body = {"success": True, "data": {"revenue": 1.0, "sales": 1, "avg_price": 1.0}}
            rows.append(
                {
                    "route": request.route,
                    "params": request.params_key,
                    "entity_id": entity_id,
                    "status": 200,
                    "duration_ms": 50.0,
                    "credits": 1,
                    "cache_hit": False,
                    "attempt": 1,
                    "run_id": "bench-prefill",
                    "error": None,
                    "body": body,
                    "called_at": now,
                    "call_date": today,
                }
            )
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(sa.insert(api_calls), rows[start : start + 5000])
    return len(rows)


def _timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - started, 2)


def ticks(params: Params) -> Result:
    """Setup, then the discovery sensor tick, both schedule ticks and the plan CLI."""
    warehouse_url = sqlite_url("warehouse.sqlite")
    with dagster_home() as home:
        env = {
            "DAGSTER_HOME": str(home),
            "WH_API_KEY": params["key"],
            "TIKTOK_API_ORIGIN": params["url"],
            "TIKTOK_WAREHOUSE_URL": warehouse_url,
            "TIKTOK_API_RATE_PER_MINUTE": "0",
            "TIKTOK_MONTHLY_CREDIT_LIMIT": BIG_BUDGET,
        }
        os.environ.update(env)  # read when the code location's definitions load
        return _ticks(params, home, warehouse_url, env)


def _ticks(params: Params, home: Path, warehouse_url: str, env: dict[str, str]) -> Result:
    from dagster import DagsterInstance, build_schedule_context, build_sensor_context, materialize

    from tiktok_assets.assets.shops import shop_products
    from tiktok_assets.definitions import defs as code_location
    from tiktok_assets.sim import SimConfig, World
    from tiktok_assets.warehouse import Warehouse

    out: Result = {"tracked_products": params["tracked"]}
    defs = code_location()
    repo = defs.get_repository_def()
    daily_refresh_schedule = repo.get_schedule_def("daily_refresh_schedule")
    weekly_refresh_schedule = repo.get_schedule_def("weekly_refresh_schedule")
    product_discovery_sensor = repo.get_sensor_def("product_discovery_sensor")
    refresh_launch_sensor = repo.get_sensor_def("refresh_launch_sensor")
    res = dict(defs.resources)
    shops = World.from_config(SimConfig(**WORLD)).shop_ids()[: params["shops"]]
    ids = _synthetic_ids(params["tracked"])
    with DagsterInstance.from_config(str(home)) as instance:
        _, out["setup_add_partitions_seconds"] = _timed(
            lambda: instance.add_dynamic_partitions("product_ids", ids)
        )
        instance.add_dynamic_partitions("shop_ids", shops)
        out["setup_journal_rows"], out["setup_journal_seconds"] = _timed(
            lambda: _fill_journal(Warehouse(url=warehouse_url).engine, ids, (1, 7))
        )
        feed = materialize(
            [shop_products],
            instance=instance,
            resources=api_resources(params["url"], params["key"], warehouse_url),
            tags={RANGE_START: f"{shops[0]}|1", RANGE_END: f"{shops[-1]}|90"},
        )
        if not feed.success:
            raise RuntimeError("materializing shop_products failed")

        def sensor_tick() -> Any:
            with build_sensor_context(instance=instance, definitions=defs, resources=res) as ctx:
                return product_discovery_sensor.evaluate_tick(ctx)

        data, out["discovery_tick_seconds"] = _timed(sensor_tick)
        out["discovery_new_ids"] = sum(
            len(r.partition_keys) for r in data.dynamic_partitions_requests or []
        )
        out["discovery_run_requests"] = len(data.run_requests or [])

        cursor: str | None = None
        for schedule in (daily_refresh_schedule, weekly_refresh_schedule):

            def refresh(schedule: Any = schedule, cursor: str | None = cursor) -> Any:
                with build_schedule_context(
                    instance=instance,
                    resources=res,
                    repository_def=defs.get_repository_def(),
                    scheduled_execution_time=dt.datetime.now(dt.UTC),
                ) as ctx:
                    tick = schedule.evaluate_tick(ctx)
                if tick.skip_message:
                    return tick
                [request] = tick.run_requests or []
                defs.resolve_job_def(schedule.job_name).execute_in_process(
                    instance=instance, partition_key=request.partition_key
                )
                with build_sensor_context(
                    instance=instance, definitions=defs, resources=res, cursor=cursor
                ) as ctx:
                    return refresh_launch_sensor.evaluate_tick(ctx)

            launched, seconds = _timed(refresh)
            cursor = getattr(launched, "cursor", None) or cursor
            out[f"{schedule.name}_seconds"] = seconds
            out[f"{schedule.name}_run_requests"] = len(launched.run_requests or [])
            out[f"{schedule.name}_skip"] = launched.skip_message

    cli = str(Path(PYTHON).parent / "tiktok-assets")
    child_env = {**os.environ, **env}
    for name, extra in (
        ("plan_cli_all", []),
        ("plan_cli_one_partition", ["--partitions", f"{ids[0]}|1"]),
    ):
        started = time.perf_counter()
        proc = subprocess.run(
            [cli, "plan", "--select", "product_total", *extra],
            env=child_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=params["cli_timeout"],
        )
        out[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
        out[f"{name}_exit"] = proc.returncode
        if name == "plan_cli_all":
            out["plan_cli_output"] = proc.stdout.strip().splitlines()[:12]
    return out


def memory(params: Params) -> Result:
    """One run of `memory_products` × 4 partitions; peak RSS before and after it."""
    from dagster import DagsterInstance, materialize

    from tiktok_assets.assets.products import product_total
    from tiktok_assets.partitions import product_period

    ids = product_ids(params["memory_products"])
    res = api_resources(params["url"], params["key"], sqlite_url("warehouse.sqlite"))
    with dagster_home() as home, DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("product_ids", ids)
        keys = product_period.get_partition_keys(dynamic_partitions_store=instance)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = materialize(
            [product_total],
            instance=instance,
            resources=res,
            tags={RANGE_START: keys[0], RANGE_END: keys[-1]},
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if not result.success:
        raise RuntimeError("the 2,000-partition run failed")
    return {
        "partitions": len(keys),
        "seconds": round(wall, 2),
        "peak_rss_mib_before_run": round(before / 1024, 1),
        "peak_rss_mib": round(after / 1024, 1),
        "rss_growth_mib": round((after - before) / 1024, 1),
    }


CASES = {"ticks": ticks, "memory": memory}


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """Both cases against one simulator."""
    size = QUICK if quick else FULL
    results: Result = {"config": {**size, "simulator": SIM}}
    log = ROOT / "benchmarks" / "results" / "logs" / "scale-sim.log"
    with simulator(log, **SIM) as sim:
        for case, timeout in (("ticks", 600), ("memory", 300)):
            key = sim.add_key(f"bench-scale-{case}")
            params = {**size, "url": sim.url, "key": key, "cli_timeout": 240 * timeout_scale}
            results[case] = run_case("scale", case, params, timeout=timeout * timeout_scale)
    return results


def report(results: Result) -> str:
    """The scale table."""
    t, m = results.get("ticks", {}), results.get("memory", {})
    tracked = t.get("tracked_products")
    rows: list[list[Any]] = []
    if "error" in t:
        rows.append(["ticks", t["error"]])
    else:
        rows += [
            [
                f"product_discovery_sensor tick ({tracked:,} tracked)",
                f"{t.get('discovery_tick_seconds')} s; {t.get('discovery_new_ids')} new ids, "
                f"{t.get('discovery_run_requests')} run requests",
            ],
            [
                "daily_refresh_schedule: tick, recording, launch",
                f"{t.get('daily_refresh_schedule_seconds')} s; "
                f"{t.get('daily_refresh_schedule_run_requests')} run requests",
            ],
            [
                "weekly_refresh_schedule: tick, recording, launch",
                f"{t.get('weekly_refresh_schedule_seconds')} s; "
                f"{t.get('weekly_refresh_schedule_run_requests')} run requests",
            ],
            [
                f"tiktok-assets plan --select product_total ({tracked * 4:,} partitions)",
                f"{t.get('plan_cli_all_seconds')} s (one partition: "
                f"{t.get('plan_cli_one_partition_seconds')} s)",
            ],
        ]
    if "error" in m:
        rows.append(["memory", m["error"]])
    else:
        rows.append(
            [
                f"one run of {m.get('partitions'):,} partitions",
                f"{m.get('seconds')} s; peak RSS {m.get('peak_rss_mib')} MiB "
                f"(+{m.get('rss_growth_mib')} MiB during the run)",
            ]
        )
    return table(["scale", "result"], rows)
