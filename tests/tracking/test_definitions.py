"""The code location carries the tracking jobs, sensors and schedules, off by default."""

from __future__ import annotations

import pytest
from dagster import DefaultScheduleStatus, DefaultSensorStatus

from tiktok_assets.definitions import defs as code_location
from tiktok_assets.jobs import FAMILIES


def test_jobs_one_per_partitions_definition() -> None:
    repo = code_location().get_repository_def()
    expected = {
        "shop_detail_job": ["shop_detail"],
        "shop_period_job": ["shop_total", "shop_products"],
        "product_detail_job": ["product_detail"],
        "product_period_job": ["product_total", "product_history"],
        "creator_period_job": ["creator_total", "creator_products"],
        "video_detail_job": ["video_detail"],
        "video_period_job": ["video_metrics"],
    }
    for name, assets in expected.items():
        job = repo.get_job(name)
        assert sorted(k.to_user_string() for k in job.asset_layer.executable_asset_keys) == sorted(
            assets
        )
        assert job.partitions_def is FAMILIES[name].partitions_def
    assert FAMILIES["video_period_job"].periods == (1, 7, 30)


def test_sensors_and_schedules_are_registered_and_stopped_by_default() -> None:
    repo = code_location().get_repository_def()
    # Two sensors ship RUNNING, spending nothing of their own: analytics_automation_sensor
    # targets the analytics assets only (tests/analytics/test_automation.py), and
    # refresh_launch_sensor launches what a started schedule recorded (below).
    running = {"analytics_automation_sensor", "refresh_launch_sensor"}
    tracking = [s for s in repo.sensor_defs if s.name not in running]
    assert {s.name for s in tracking} == {
        "tracked_ids_sensor",
        "product_discovery_sensor",
        "creator_discovery_sensor",
        "shop_discovery_sensor",
        "derived_refresh_sensor",
    }
    assert {s.name for s in repo.schedule_defs} == {
        "daily_refresh_schedule",
        "weekly_refresh_schedule",
    }
    assert all(s.default_status == DefaultSensorStatus.STOPPED for s in tracking)
    assert all(s.default_status == DefaultScheduleStatus.STOPPED for s in repo.schedule_defs)
    daily = repo.get_schedule_def("daily_refresh_schedule")
    assert (daily.cron_schedule, daily.execution_timezone) == ("0 6 * * *", "UTC")
    assert repo.get_schedule_def("weekly_refresh_schedule").cron_schedule == "0 7 * * 1"
    product = repo.get_sensor_def("product_discovery_sensor")
    assert sorted(t.job_name for t in product.targets) == [
        "product_detail_job",
        "product_period_job",
    ]


def test_the_schedules_record_their_runs_for_the_launch_sensor_which_runs_by_default() -> None:
    repo = code_location().get_repository_def()
    for schedule in repo.schedule_defs:
        assert schedule.job_name == "refresh_requests_job"
    job = repo.get_job("refresh_requests_job")
    assert [k.to_user_string() for k in job.asset_layer.executable_asset_keys] == [
        "refresh_requests"
    ]
    assert job.partitions_def is not None
    assert job.partitions_def.get_partition_keys() == ["daily", "weekly"]
    launcher = repo.get_sensor_def("refresh_launch_sensor")
    assert launcher.default_status == DefaultSensorStatus.RUNNING
    assert sorted(t.job_name for t in launcher.targets) == sorted(FAMILIES)


def test_the_environment_can_start_everything_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_AUTOMATION_DEFAULT_STATUS", "running")
    repo = code_location().get_repository_def()
    assert all(s.default_status == DefaultSensorStatus.RUNNING for s in repo.sensor_defs)
    assert all(s.default_status == DefaultScheduleStatus.RUNNING for s in repo.schedule_defs)
