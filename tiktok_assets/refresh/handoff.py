"""How a refresh schedule hands its runs over: the `refresh_requests` asset records them,
`refresh_launch_sensor` launches them.

A schedule launches every run on its one target job, and the refresh runs span seven jobs
(one per partitions definition, `tiktok_assets.jobs`); Dagster 1.13 has no public job that
could hold them all (`tests/tracking/test_schedule_target.py`). So each refresh schedule
materializes its cadence's partition of `refresh_requests` (job `refresh_requests_job`): the
materialization decides the cadence's runs of the day (`refresh.daily.refresh_tick`) and
records them in its metadata, and `refresh_launch_sensor`, which may target every job,
launches them under their own job names. A refresh can also be started from the UI by
materializing a partition of `refresh_requests`. Recording costs no credit; the runs it
records are the ones that spend.
"""

# No `from __future__ import annotations`: Dagster reads the asset's `context` annotation.

import logging
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorResult,
    SkipReason,
    StaticPartitionsDefinition,
    asset,
    define_asset_job,
)

from tiktok_assets import clock
from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.names import (
    DEFERRED_CREDITS_TAG,
    DEFERRED_ROUTES_TAG,
    PLANNED_CREDITS_TAG,
    RECORDED_DAY_KEY,
    RECORDED_REQUESTS_KEY,
    REFRESH_REQUESTS,
    REQUESTS_RUN_TAG,
)
from tiktok_assets.refresh.settings import CADENCE_NAMES, RefreshSettings, refresh_settings
from tiktok_assets.warehouse.resource import Warehouse

if TYPE_CHECKING:
    from tiktok_assets.economy.pricing import Pricing

cadences_def = StaticPartitionsDefinition(list(CADENCE_NAMES))
"""One partition per refresh cadence (`daily`, `weekly`)."""


def request_as_json(request: RunRequest) -> dict[str, Any]:
    """A ranged run request as recorded in a `refresh_requests` materialization."""
    return {
        "job": request.job_name,
        "assets": [key.to_user_string() for key in request.asset_selection or []],
        "tags": dict(request.tags),
        "run_key": request.run_key,
    }


def request_from_json(data: Mapping[str, Any], recorded_by: str) -> RunRequest:
    """The run request `request_as_json` recorded, keyed by the recording run (`recorded_by`):
    a refresh recorded twice launches twice, each once."""
    assets = [AssetKey.from_user_string(a) for a in data["assets"]]
    return RunRequest(
        run_key=f"{data['run_key']}#{recorded_by}",
        job_name=data["job"],
        asset_selection=assets or None,
        tags={**data["tags"], REQUESTS_RUN_TAG: recorded_by},
    )


def requested_refresh(
    instance: DagsterInstance,
    *,
    cadence_name: str,
    pricing: "Pricing",
    settings: RefreshSettings,
    log: logging.Logger,
    run_id: str,
) -> MaterializeResult:
    """A `refresh_requests` materialization: the cadence's runs of today (`refresh_tick`,
    named after its schedule), for `refresh_launch_sensor` to launch."""
    from tiktok_assets.refresh.daily import refresh_tick

    name = settings.cadence(cadence_name).schedule_name
    outcome = refresh_tick(
        instance, cadence_name=cadence_name, pricing=pricing, settings=settings, log=log, name=name
    )
    if isinstance(outcome, SkipReason):
        requests: list[RunRequest] = []
        summary = outcome.skip_message or f"{name}: nothing to refresh"
    else:
        requests = outcome
        summary = f"{name}: {len(requests)} run(s) for refresh_launch_sensor to launch"
    log.info(f"{summary} (recorded by run {run_id})")
    by_job = Counter(r.job_name for r in requests)
    tags = requests[0].tags if requests else {}
    return MaterializeResult(
        metadata={
            RECORDED_DAY_KEY: clock.today().isoformat(),
            "summary": summary,
            "runs": len(requests),
            "runs_by_job": MetadataValue.json(dict(by_job)),
            "planned_credits": sum(int(r.tags.get(PLANNED_CREDITS_TAG, 0)) for r in requests),
            "deferred_routes": int(tags.get(DEFERRED_ROUTES_TAG, 0)),
            "deferred_credits": int(tags.get(DEFERRED_CREDITS_TAG, 0)),
            RECORDED_REQUESTS_KEY: MetadataValue.json([request_as_json(r) for r in requests]),
        }
    )


@asset(
    name=REFRESH_REQUESTS,
    partitions_def=cadences_def,
    group_name="refresh",
    kinds={"python"},
)
def refresh_requests(
    context: AssetExecutionContext,
    warehouse: Warehouse,
    api: TikTokShopAPI,
    credit_budget: CreditBudgetResource,
) -> MaterializeResult:
    """The runs one cadence's refresh asks for today (partition: the cadence), recorded for
    `refresh_launch_sensor` to launch: under `TIKTOK_REFRESH_POLICY=adaptive` the day's plan
    (`refresh_plan`), under `uniform` every tracked id of the cadence's periods, within the
    month's credits. No API call: the metadata lists the runs, their credits and what waits."""
    from tiktok_assets.economy.pricing import Pricing

    return requested_refresh(
        context.instance,
        cadence_name=context.partition_key,
        pricing=Pricing.from_resources(warehouse, api, credit_budget),
        settings=refresh_settings(),
        log=context.log,
        run_id=context.run_id,
    )


refresh_requests_job = define_asset_job(
    "refresh_requests_job",
    selection=[REFRESH_REQUESTS],
    partitions_def=cadences_def,
    description=(
        "Records the runs of one cadence's refresh (refresh_requests); refresh_launch_sensor "
        "launches them. The target of the refresh schedules."
    ),
)


RECORDS_PER_TICK = 50
"""`refresh_requests` materializations a launch tick reads: a sensor started on a long history
catches up 50 a tick (one a cadence and day)."""


def launch_refresh_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    log: logging.Logger,
    name: str = "refresh_launch_sensor",
) -> SensorResult:
    """Launch the runs of each new `refresh_requests` materialization of today (the cursor is
    the last one read). A recording of an earlier day is not launched: its day and its credits
    are gone, and the next schedule tick plans again."""
    after = int(cursor) if cursor else None
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(REFRESH_REQUESTS), after_storage_id=after),
        limit=RECORDS_PER_TICK,
        ascending=True,
    ).records
    today = clock.today().isoformat()
    requests: list[RunRequest] = []
    stale: list[str] = []
    unreadable: list[str] = []
    for record in records:
        after = record.storage_id
        materialization = record.asset_materialization
        if materialization is None:
            continue
        metadata = materialization.metadata
        day = str(getattr(metadata.get(RECORDED_DAY_KEY), "value", ""))
        recorded = getattr(metadata.get(RECORDED_REQUESTS_KEY), "value", None) or []
        if day != today:
            if recorded:
                stale.append(f"{materialization.partition} of {day or 'an unknown day'}")
            continue
        try:
            requests += [request_from_json(r, record.run_id) for r in recorded]
        except (KeyError, TypeError, ValueError) as exc:
            unreadable.append(
                f"{materialization.partition} recorded by run {record.run_id or '(none)'} "
                f"({type(exc).__name__}: {exc})"
            )
    if unreadable:
        log.error(
            f"{name}: not launched, requests unreadable: {'; '.join(unreadable)}; a recording "
            "is written by a refresh_requests run: materialize it again"
        )
    new_cursor = None if after is None else str(after)
    note = ""
    if stale:
        named = ", ".join(stale[-3:]) + (f" and {len(stale) - 3} older" if len(stale) > 3 else "")
        note = (
            f"; not launched, recorded for an earlier day: {named} (today is {today}; "
            "materialize refresh_requests again to refresh today)"
        )
        log.warning(f"{name}{note}")
    if not requests:
        return SensorResult(skip_reason=f"{name}: no new refresh requests{note}", cursor=new_cursor)
    log.info(f"{name}: launching {len(requests)} refresh run(s)")
    return SensorResult(run_requests=requests, cursor=new_cursor)
