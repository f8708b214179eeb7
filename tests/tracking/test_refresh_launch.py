"""The refresh hand-off: a refresh schedule's tick materializes its cadence's partition of
`refresh_requests`, which records the day's runs; `refresh_launch_sensor` launches each
recording's runs on their own jobs, once, and never a recording of an earlier day."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import (
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    MetadataValue,
    RunRequest,
    build_schedule_context,
)

from tests.conftest import TODAY
from tests.simserver import RunningSim
from tests.tracking.support import launch, schedule_named, scheduled, tick
from tiktok_assets.jobs import FAMILIES
from tiktok_assets.names import REFRESH_REQUESTS, REQUESTS_RUN_TAG
from tiktok_assets.refresh.handoff import request_as_json, request_from_json
from tiktok_assets.sensors import refresh_launch_sensor

daily_refresh_schedule = schedule_named("daily_refresh_schedule")


@pytest.fixture(autouse=True)
def _uniform_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixed cadences: their runs are known in advance (tests/refresh covers adaptive)."""
    monkeypatch.setenv("TIKTOK_REFRESH_POLICY", "uniform")


def test_the_schedule_materializes_its_cadence_and_launches_nothing_itself(
    instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    instance.add_dynamic_partitions("shop_ids", ["11"])
    with build_schedule_context(
        instance=instance, resources=res, repository_def=defs.get_repository_def()
    ) as context:
        data = daily_refresh_schedule.evaluate_tick(context)
    [request] = data.run_requests or []
    assert request.partition_key == "daily" and request.job_name is None  # the schedule's job
    assert daily_refresh_schedule.job_name == "refresh_requests_job"


def test_each_recording_is_launched_once_on_the_jobs_it_names(
    sim: RunningSim, instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    instance.add_dynamic_partitions("shop_ids", sim.world.shop_ids()[:2])
    first = scheduled(daily_refresh_schedule, instance, defs, res)
    assert first.recording is not None and first.run_requests
    assert {r.job_name for r in first.run_requests} == {"shop_detail_job", "shop_period_job"}
    [materialization] = first.recording.asset_materializations_for_node(REFRESH_REQUESTS)
    metadata = materialization.metadata
    assert metadata["day"].value == TODAY.isoformat()
    assert metadata["runs"].value == len(first.run_requests)
    assert metadata["planned_credits"].value == sum(
        int(r.tags["tiktok/planned_credits"]) for r in first.run_requests
    )
    for request in first.run_requests:
        assert request.tags[REQUESTS_RUN_TAG] == first.recording.run_id
        assert launch(defs, instance, request).success

    # the sensor's cursor is past the recording: a second tick launches nothing
    once = tick(refresh_launch_sensor, instance, defs, res)
    again = tick(refresh_launch_sensor, instance, defs, res, cursor=once.cursor)
    assert not again.run_requests and "no new refresh requests" in (again.skip_message or "")

    # a second recording (a user's materialization) launches its own runs, under other keys
    second = scheduled(daily_refresh_schedule, instance, defs, res)
    assert len(second.run_requests) == len(first.run_requests)
    first_keys = {r.run_key for r in first.run_requests}
    assert not first_keys & {r.run_key for r in second.run_requests}


def test_a_recording_of_an_earlier_day_is_not_launched(
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance.add_dynamic_partitions("shop_ids", ["11"])
    monkeypatch.setenv("TIKTOK_TODAY", (TODAY - dt.timedelta(days=1)).isoformat())
    recorded = scheduled(daily_refresh_schedule, instance, defs, res)
    assert recorded.run_requests  # launched that day
    monkeypatch.setenv("TIKTOK_TODAY", TODAY.isoformat())
    late = tick(refresh_launch_sensor, instance, defs, res)  # e.g. the sensor was off
    assert not late.run_requests
    assert f"daily of {(TODAY - dt.timedelta(days=1)).isoformat()}" in (late.skip_message or "")
    assert "materialize refresh_requests again" in (late.skip_message or "")


def test_nothing_tracked_records_no_run_and_says_why(
    instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    refresh = scheduled(daily_refresh_schedule, instance, defs, res)
    assert not refresh.run_requests
    assert "nothing to refresh" in (refresh.skip_message or "")


def test_a_request_survives_its_recording() -> None:
    request = RunRequest(
        run_key="product_period_job:1",
        job_name="product_period_job",
        asset_selection=None,
        tags={"dagster/asset_partition_range_start": "1|1", "tiktok/batch": "x 1/1"},
    )
    back = request_from_json(request_as_json(request), "run-1")
    assert back.job_name == "product_period_job" and back.job_name in FAMILIES
    assert back.asset_selection is None
    assert back.tags == {**request.tags, REQUESTS_RUN_TAG: "run-1"}
    assert back.run_key == "product_period_job:1#run-1"


def test_an_unreadable_recording_is_named_and_skipped(
    instance: DagsterInstance, defs: Definitions, res: dict, capfd: pytest.CaptureFixture
) -> None:

    instance.report_runless_asset_event(
        AssetMaterialization(
            REFRESH_REQUESTS,
            partition="daily",
            metadata={"day": TODAY.isoformat(), "requests": MetadataValue.json([{"job": "x"}])},
        )
    )
    data = tick(refresh_launch_sensor, instance, defs, res)
    assert not data.run_requests and data.cursor  # read, and not read again
    err = capfd.readouterr().err
    assert "requests unreadable: daily recorded by run" in err and "KeyError" in err
