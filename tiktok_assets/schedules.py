"""The refresh schedules: one per cadence, each launching every tracked id in a few runs.

| schedule | default cron (UTC) | refreshes |
| --- | --- | --- |
| `daily_refresh_schedule` | `0 6 * * *` (`TIKTOK_DAILY_CRON`) | periods 1 and 7, and the profiles |
| `weekly_refresh_schedule` | `0 7 * * 1` (`TIKTOK_WEEKLY_CRON`) | periods 30 and 90 |

A tick cuts each job's tracked ids into contiguous chunks (`TIKTOK_REFRESH_CHUNK_IDS`, grown
so a job gets at most `TIKTOK_REFRESH_MAX_RUNS_PER_JOB` runs) and launches one ranged run per
chunk, in job order, while the month's usable credits cover the planned cost; the rest is
reported in the tick's log. Runs carry `tiktok/launched_by` and the plan's tags.

Each run selects the assets of one job family (`tiktok_assets.jobs`), whose partitions
definitions differ, and a schedule launches every run on its one target job. Dagster 1.13
offers no public target for that: `target=` an asset selection becomes one asset job, which
needs a single partitions definition (`tests/tracking/test_schedule_target.py` fails once a
Dagster accepts it), and the schedule daemon creates each run on the schedule's job whatever
the request's `job_name` (only sensors honour it). So these schedules name Dagster's implicit
asset job, the one job holding every asset, and the UI lists their runs under `__ASSET_JOB`,
with the family in the `tiktok/batch` tag. Sensors, which may target several jobs, launch the
named jobs.

Both are STOPPED by default (they spend credits): start them in the UI (Automation), with
`dagster schedule start`, or set `TIKTOK_AUTOMATION_DEFAULT_STATUS=running`.
"""

from __future__ import annotations

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.tracking.settings import (
    Cadence,
    automation_running_by_default,
    settings_from_env,
)
from tiktok_assets.warehouse import Warehouse

IMPLICIT_ASSET_JOB = "__ASSET_JOB"
"""Dagster's implicit job holding every asset, whatever its partitions (the UI launches
materializations on it): the only job a schedule can name whose runs may select the assets of
any job family (see the module docstring)."""


def _default_status() -> DefaultScheduleStatus:
    if automation_running_by_default():
        return DefaultScheduleStatus.RUNNING
    return DefaultScheduleStatus.STOPPED


def _describe(cadence: Cadence) -> str:
    what = [f"periods {', '.join(map(str, cadence.periods))}"] if cadence.periods else []
    if cadence.details:
        what.append("the profiles (shop, product, video detail)")
    return (
        f"Refreshes {' and '.join(what) or 'nothing'} of every tracked id, as a few ranged runs "
        "per job that fit the month's credits."
    )


def refresh_schedule(cadence: Cadence) -> ScheduleDefinition:
    """The schedule of one cadence."""

    @schedule(
        name=cadence.schedule_name,
        cron_schedule=cadence.cron,
        execution_timezone=cadence.timezone,
        job_name=IMPLICIT_ASSET_JOB,
        default_status=_default_status(),
        description=_describe(cadence),
    )
    def _refresh(
        context: ScheduleEvaluationContext,
        warehouse: Warehouse,
        api: TikTokShopAPI,
        credit_budget: CreditBudgetResource,
    ) -> list[RunRequest] | SkipReason:
        # The tick (SQLAlchemy, the economy) loads when the schedule evaluates, not at load.
        from tiktok_assets.tracking.batches import Pricing
        from tiktok_assets.tracking.ticks import refresh_tick

        return refresh_tick(
            context.instance,
            cadence_name=cadence.name,
            pricing=Pricing.from_resources(warehouse, api, credit_budget),
            settings=settings_from_env(),
            log=context.log,
            name=cadence.schedule_name,
        )

    return _refresh


_SETTINGS = settings_from_env()
daily_refresh_schedule = refresh_schedule(_SETTINGS.cadence("daily"))
weekly_refresh_schedule = refresh_schedule(_SETTINGS.cadence("weekly"))

tracking_schedules = [daily_refresh_schedule, weekly_refresh_schedule]
