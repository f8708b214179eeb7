"""Why the refresh schedules hand their runs to a sensor (`tiktok_assets/refresh/handoff.py`).

A schedule has one target. Given an asset selection (`target=`), Dagster builds it into one
asset job, and an asset job's assets must share one partitions definition; the refresh runs
span seven. (The schedule daemon also creates every run on the schedule's own job: unlike a
sensor's, a schedule's `RunRequest.job_name` is not used.) When this test fails, the Dagster
in use accepts such a selection: the schedules could then launch the runs themselves, without
`refresh_requests` and `refresh_launch_sensor` in between.
"""

from __future__ import annotations

import pytest
from dagster import AssetSelection, DagsterInvalidDefinitionError, Definitions, schedule

from tiktok_assets.assets import api_assets
from tiktok_assets.resources import resources


def test_a_schedule_cannot_target_assets_of_several_partitions_definitions() -> None:
    @schedule(
        name="probe_schedule",
        cron_schedule="0 6 * * *",
        target=AssetSelection.assets(*api_assets),
    )
    def probe(_context):
        return []

    defs = Definitions(assets=api_assets, schedules=[probe], resources=resources())
    with pytest.raises(DagsterInvalidDefinitionError) as failure:
        defs.resolve_all_job_defs()  # what loading the code location does
    assert "same partitions definitions" in str(failure.value.__cause__)
