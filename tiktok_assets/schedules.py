"""The refresh schedules: one per cadence, each refreshing every tracked id in a few runs.

| schedule | default cron (UTC) | refreshes |
| --- | --- | --- |
| `daily_refresh_schedule` | `0 6 * * *` (`TIKTOK_DAILY_CRON`) | periods 1 and 7, and the profiles |
| `weekly_refresh_schedule` | `0 7 * * 1` (`TIKTOK_WEEKLY_CRON`) | periods 30 and 90 |

A tick materializes its cadence's partition of `refresh_requests` (job
`refresh_requests_job`). That run decides the day's runs (`TIKTOK_REFRESH_POLICY=adaptive`:
the refresh policy's plan; `uniform`: each job's tracked ids in contiguous chunks of
`TIKTOK_REFRESH_CHUNK_IDS`, grown so a job gets at most `TIKTOK_REFRESH_MAX_RUNS_PER_JOB`
runs), keeps those the month's usable credits cover (the rest is in its log) and records them;
`refresh_launch_sensor` launches each on its own job (`tiktok_assets.refresh.handoff` says
why). Runs carry `tiktok/launched_by` (the schedule) and the plan's tags.

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

from tiktok_assets.refresh.handoff import refresh_requests_job
from tiktok_assets.refresh.settings import Cadence, refresh_settings
from tiktok_assets.settings import Settings


def _describe(cadence: Cadence) -> str:
    what = [f"periods {', '.join(map(str, cadence.periods))}"] if cadence.periods else []
    if cadence.details:
        what.append("the profiles (shop, product, video detail)")
    adaptive = "the day's plan of every route" if cadence.name == "daily" else "nothing (skips)"
    return (
        f"Materializes refresh_requests ({cadence.name}): the day's refresh runs, which "
        f"refresh_launch_sensor launches. TIKTOK_REFRESH_POLICY=adaptive: {adaptive}; uniform: "
        f"{' and '.join(what) or 'nothing'} of every tracked id. Within the month's credits."
    )


def refresh_schedule(cadence: Cadence, status: DefaultScheduleStatus) -> ScheduleDefinition:
    """The schedule of one cadence: materializes its partition of `refresh_requests`."""

    @schedule(
        name=cadence.schedule_name,
        cron_schedule=cadence.cron,
        execution_timezone=cadence.timezone,
        job=refresh_requests_job,
        default_status=status,
        description=_describe(cadence),
    )
    def _refresh(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        from tiktok_assets.refresh.daily import daily_refresh

        idle = daily_refresh(refresh_settings()).idle(cadence.name, cadence.schedule_name)
        if idle is not None:
            return idle
        return RunRequest(partition_key=cadence.name)

    return _refresh


def tracking_schedules(settings: Settings) -> list[ScheduleDefinition]:
    """One refresh schedule per cadence, with the crons, time zone and default status of
    `settings`."""
    status = (
        DefaultScheduleStatus.RUNNING
        if settings.automation_running
        else DefaultScheduleStatus.STOPPED
    )
    return [refresh_schedule(c, status) for c in refresh_settings(settings).cadences]
