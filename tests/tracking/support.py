"""Helpers of the tracking tests: play the daemon's part (tick, apply, launch) in-process."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    PartitionKeyRange,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    build_schedule_context,
    build_sensor_context,
    partition_loading_context,
)
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._core.instance.types import CachingDynamicPartitionsLoader

from tiktok_assets import clock
from tiktok_assets.jobs import FAMILIES, JobFamily
from tiktok_assets.names import RANGE_END_TAG, RANGE_START_TAG, REFRESH_REQUESTS
from tiktok_assets.schedules import tracking_schedules
from tiktok_assets.sensors import refresh_launch_sensor, tracking_sensors
from tiktok_assets.settings import get_settings
from tiktok_assets.warehouse import Warehouse


def sensor_named(name: str) -> SensorDefinition:
    """The code location's sensor `name`, as the environment configures it."""
    return next(s for s in tracking_sensors(get_settings()) if s.name == name)


def schedule_named(name: str) -> ScheduleDefinition:
    """The code location's schedule `name`, as the environment configures it."""
    return next(s for s in tracking_schedules(get_settings()) if s.name == name)


def tick(
    sensor: SensorDefinition,
    instance: DagsterInstance,
    defs: Definitions,
    res: Mapping[str, Any],
    cursor: str | None = None,
) -> SensorExecutionData:
    """One evaluation of `sensor`, as the daemon runs it (run requests resolved)."""
    with build_sensor_context(
        instance=instance, definitions=defs, resources=dict(res), cursor=cursor
    ) as context:
        return sensor.evaluate_tick(context)


def apply(instance: DagsterInstance, data: SensorExecutionData) -> None:
    """What the daemon does with a tick's partition requests."""
    for request in data.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)


def family_of(request: RunRequest) -> JobFamily:
    """The job family a request launches."""
    assert request.job_name, request
    return FAMILIES[request.job_name]


def keys_of(
    request: RunRequest, instance: DagsterInstance | CachingDynamicPartitionsLoader
) -> list[str]:
    """The partition keys a ranged request covers, resolved against the instance."""
    family = family_of(request)
    with partition_loading_context(dynamic_partitions_store=instance):
        return list(
            family.partitions_def.get_partition_keys_in_range(
                PartitionKeyRange(request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG])
            )
        )


def launch(
    defs: Definitions, instance: DagsterInstance, request: RunRequest
) -> ExecuteInProcessResult:
    """Execute a requested run in-process on its job, as the run launcher would."""
    assert request.job_name, request
    return defs.resolve_job_def(request.job_name).execute_in_process(
        instance=instance,
        tags=dict(request.tags),
        asset_selection=list(request.asset_selection or []) or None,
        raise_on_error=False,
    )


@dataclasses.dataclass(frozen=True)
class Refresh:
    """What a refresh schedule's tick came to, the daemon's part played in-process: its
    `refresh_requests` run recorded runs, and `refresh_launch_sensor` requested them."""

    run_requests: list[RunRequest]
    skip_message: str | None
    """The schedule's skip reason, or what the recording said when it recorded no run."""
    recording: ExecuteInProcessResult | None = None


def scheduled(
    schedule: ScheduleDefinition,
    instance: DagsterInstance,
    defs: Definitions,
    res: Mapping[str, Any],
) -> Refresh:
    """Tick `schedule`, run what it requests (a partition of `refresh_requests`), then tick
    `refresh_launch_sensor` past the materializations read before."""
    with build_schedule_context(
        instance=instance, resources=dict(res), repository_def=defs.get_repository_def()
    ) as context:
        data = schedule.evaluate_tick(context)
    if data.skip_message:
        return Refresh([], data.skip_message)
    [request] = data.run_requests or []
    assert request.partition_key
    before = instance.fetch_materializations(AssetKey(REFRESH_REQUESTS), limit=1).records
    recording = defs.resolve_job_def(schedule.job_name).execute_in_process(
        instance=instance, partition_key=request.partition_key, tags=dict(request.tags)
    )
    cursor = str(before[0].storage_id) if before else None
    launched = tick(refresh_launch_sensor, instance, defs, res, cursor=cursor)
    [materialization] = recording.asset_materializations_for_node(REFRESH_REQUESTS)
    summary = str(materialization.metadata["summary"].value)
    requests = list(launched.run_requests or [])
    return Refresh(requests, None if requests else summary, recording)


def land_list(
    instance: DagsterInstance,
    warehouse_url: str,
    asset: str,
    owner_id: str,
    period: int,
    items: Sequence[tuple[str, float]],
    *,
    day: dt.date,
) -> None:
    """Write a ranked list (shop_products or creator_products) and report it materialized."""
    wh = Warehouse(url=warehouse_url)
    table = wh.table(asset)
    owner = "shop_id" if asset == "shop_products" else "creator_id"
    now = clock.now()
    rows = [
        {
            owner: owner_id,
            "period": period,
            "snapshot_date": day,
            "rank": rank,
            "product_id": product_id,
            "title": f"item {rank}",
            "revenue": revenue,
            "sales": 1,
            "fetched_at": now,
            "raw": {"id": product_id, "revenue": revenue},
        }
        for rank, (product_id, revenue) in enumerate(items, start=1)
    ]
    if "price" in table.c:
        for row in rows:
            row["price"] = 1.0
    with wh.engine.begin() as conn:
        conn.execute(
            table.delete().where(
                table.c[owner] == owner_id, table.c.period == period, table.c.snapshot_date == day
            )
        )
        if rows:
            conn.execute(sa.insert(table), rows)
    instance.add_dynamic_partitions(f"{owner.split('_')[0]}_ids", [owner_id])
    instance.report_runless_asset_event(
        AssetMaterialization(
            asset_key=asset,
            partition=f"{owner_id}|{period}",
            metadata={"snapshot_date": day.isoformat()},
        )
    )
