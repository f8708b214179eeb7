"""How a refresh schedule hands its runs over: the `refresh_requests` asset records them,
`refresh_launch_sensor` launches them.

A schedule launches every run on its one target job, and the refresh runs span seven jobs
(one per partitions definition, `tiktok_assets.jobs`); Dagster 1.13 has no public job that
could hold them all (`tests/tracking/test_schedule_target.py`). So each refresh schedule
materializes its cadence's partition of `refresh_requests` (job `refresh_requests_job`): the
materialization decides the cadence's runs of the day (`tiktok_assets.tracking.ticks`) and
records them in its metadata, and `refresh_launch_sensor`, which may target every job,
launches them under their own job names. A refresh can also be started from the UI by
materializing a partition of `refresh_requests`. Recording costs no credit; the runs it
records are the ones that spend.
"""

from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    StaticPartitionsDefinition,
    asset,
    define_asset_job,
)

from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.tracking.settings import settings_from_env
from tiktok_assets.warehouse.resource import Warehouse

REFRESH_REQUESTS = "refresh_requests"
REQUESTS_KEY = "requests"
"""Metadata of a `refresh_requests` materialization: its runs (JSON, `ticks.request_as_json`)."""
DAY_KEY = "day"
"""Metadata of a `refresh_requests` materialization: the day its runs are for."""

cadences_def = StaticPartitionsDefinition([c.name for c in settings_from_env().cadences])
"""One partition per refresh cadence (`daily`, `weekly`)."""


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
    from tiktok_assets.tracking.batches import Pricing
    from tiktok_assets.tracking.ticks import requested_refresh

    return requested_refresh(
        context.instance,
        cadence_name=context.partition_key,
        pricing=Pricing.from_resources(warehouse, api, credit_budget),
        settings=settings_from_env(),
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
