"""Lists first: a refresh that fetches shop lists leaves the product totals to
`derived_refresh_sensor`, which launches them once the day's list runs have finished (once per
schedule and day), so the totals are derived from today's lists instead of paid."""

from __future__ import annotations

import json

import pytest
from dagster import DagsterInstance, DagsterRunStatus, Definitions, RunRequest
from dagster._core.test_utils import create_run_for_test

from tests.conftest import TODAY
from tests.tracking.support import (
    family_of,
    keys_of,
    schedule_named,
    scheduled,
    sensor_named,
    tick,
)
from tiktok_assets.names import DAY_TAG, LAUNCHED_BY_TAG

daily_refresh_schedule = schedule_named("daily_refresh_schedule")
weekly_refresh_schedule = schedule_named("weekly_refresh_schedule")
derived_refresh_sensor = sensor_named("derived_refresh_sensor")


@pytest.fixture(autouse=True)
def _uniform_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check the fixed cadences: `TIKTOK_REFRESH_POLICY=uniform` (the default is
    the adaptive policy, tested in tests/refresh)."""
    monkeypatch.setenv("TIKTOK_REFRESH_POLICY", "uniform")


def _daily(instance: DagsterInstance, defs: Definitions, res: dict) -> list[RunRequest]:
    return scheduled(daily_refresh_schedule, instance, defs, res).run_requests


def _record(instance: DagsterInstance, requests, status: DagsterRunStatus) -> list[str]:
    """What the daemon would do with the launched requests: runs, here in `status`."""
    return [
        create_run_for_test(instance, job_name=r.job_name, tags=r.tags, status=status).run_id
        for r in requests
    ]


def test_the_totals_wait_for_the_days_list_runs(
    instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    instance.add_dynamic_partitions("shop_ids", ["11", "12"])
    instance.add_dynamic_partitions("product_ids", ["21", "22", "23"])
    scheduled = _daily(instance, defs, res)
    assert "product_period_job" not in {family_of(r).name for r in scheduled}
    assert {r.tags[DAY_TAG] for r in scheduled} == {TODAY.isoformat()}

    run_ids = _record(instance, scheduled, DagsterRunStatus.STARTED)
    waiting = tick(derived_refresh_sensor, instance, defs, res)
    assert not waiting.run_requests
    assert "waiting for daily_refresh_schedule" in (waiting.skip_message or "")

    for run_id in run_ids:
        instance.report_run_failed(instance.get_run_by_id(run_id))  # finished, either way
    launched = tick(derived_refresh_sensor, instance, defs, res, cursor=waiting.cursor)
    requests = list(launched.run_requests or [])
    assert requests and {r.job_name for r in requests} == {"product_period_job"}
    assert sorted(k for r in requests for k in keys_of(r, instance)) == sorted(
        f"{i}|{p}" for i in ("21", "22", "23") for p in (1, 7)
    )
    assert {r.tags[LAUNCHED_BY_TAG] for r in requests} == {"derived_refresh_sensor"}
    assert json.loads(launched.cursor or "{}") == {"daily": TODAY.isoformat()}

    again = tick(derived_refresh_sensor, instance, defs, res, cursor=launched.cursor)
    assert not again.run_requests  # once per schedule and day


def test_without_lists_the_schedule_launches_the_totals_itself(
    instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    instance.add_dynamic_partitions("product_ids", ["21", "22"])
    scheduled = _daily(instance, defs, res)
    assert "product_period_job" in {family_of(r).name for r in scheduled}
    _record(instance, scheduled, DagsterRunStatus.SUCCESS)
    data = tick(derived_refresh_sensor, instance, defs, res)
    assert not data.run_requests


def test_nothing_scheduled_today_launches_nothing(
    instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    instance.add_dynamic_partitions("product_ids", ["21"])
    data = tick(derived_refresh_sensor, instance, defs, res)
    assert not data.run_requests and "nothing due" in (data.skip_message or "")


def test_the_weekly_refresh_fetches_seven_days_of_series_and_the_daily_none(
    instance: DagsterInstance, defs: Definitions, res: dict
) -> None:

    instance.add_dynamic_partitions("product_ids", ["21", "22"])
    weekly = scheduled(weekly_refresh_schedule, instance, defs, res).run_requests
    by_assets = {
        tuple(k.to_user_string() for k in r.asset_selection or []): keys_of(r, instance)
        for r in weekly
        if family_of(r).name == "product_period_job"
    }
    assert by_assets == {
        ("product_total",): ["21|30", "21|90", "22|30", "22|90"],
        ("product_history",): ["21|7", "22|7"],
    }
    daily = _daily(instance, defs, res)
    selected = {k.to_user_string() for r in daily for k in r.asset_selection or []}
    assert "product_history" not in selected and "product_total" in selected
