"""The refresh automation under the adaptive policy: the daily schedule launches the day's
plan (lists first), the weekly one skips, and `derived_refresh_sensor` launches the plan's
product totals once the day's list runs have finished."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.test_utils import create_run_for_test

from tests.refresh.conftest import make_defs, resources_for
from tests.simserver import RunningSim
from tests.tracking.support import family_of, keys_of, launch, schedule_named, sensor_named, tick
from tests.tracking.support import scheduled as refresh
from tiktok_assets.names import DEFERRED_ROUTES_TAG, LAUNCHED_BY_TAG, PLAN_TAG, POLICY_TAG
from tiktok_assets.warehouse import Warehouse

daily_refresh_schedule = schedule_named("daily_refresh_schedule")
weekly_refresh_schedule = schedule_named("weekly_refresh_schedule")
derived_refresh_sensor = sensor_named("derived_refresh_sensor")

pytestmark = pytest.mark.e2e


def test_the_daily_schedule_launches_the_plan_and_the_sensor_its_totals_after_the_lists(
    living: RunningSim, instance: DagsterInstance, tracked: dict, wh_url: str, today: dt.date
) -> None:
    res = resources_for(living, wh_url)
    defs = make_defs(res)
    scheduled = refresh(daily_refresh_schedule, instance, defs, res).run_requests
    assert scheduled
    for request in scheduled:
        assert request.tags[PLAN_TAG] == today.isoformat()
        assert request.tags[POLICY_TAG] == "adaptive"
        assert request.tags[DEFERRED_ROUTES_TAG] == "0"
    selected = {k.to_user_string() for r in scheduled for k in r.asset_selection or []}
    assert "shop_products" in selected and "product_total" not in selected  # lists first

    # while a run of the day goes on, the totals wait
    lists = next(r for r in scheduled if family_of(r).name == "shop_period_job")
    started = create_run_for_test(
        instance, job_name=lists.job_name, tags=lists.tags, status=DagsterRunStatus.STARTED
    )
    waiting = tick(derived_refresh_sensor, instance, defs, res)
    assert not waiting.run_requests and "waiting for" in (waiting.skip_message or "")
    instance.report_run_failed(instance.get_run_by_id(started.run_id))

    for request in scheduled:
        assert launch(defs, instance, request).success, request.tags
    launched = tick(derived_refresh_sensor, instance, defs, res, cursor=waiting.cursor)
    later = list(launched.run_requests or [])
    assert later and {family_of(r).name for r in later} == {"product_period_job"}
    assert {r.tags[PLAN_TAG] for r in later} == {today.isoformat()}
    assert {r.tags[LAUNCHED_BY_TAG] for r in later} == {"derived_refresh_sensor"}
    assert all("tiktok/planned_credits" in r.tags for r in later)  # what the plan priced
    covered = {k for r in later for k in keys_of(r, instance)}
    assert {f"{p}|{n}" for p in tracked["product"] for n in (1, 7, 30, 90)} <= covered
    for request in later:
        assert launch(defs, instance, request).success, request.tags
    totals = Warehouse(url=wh_url).read_table("product_total")
    assert len(totals) == 3 * 4 and "shop_products" in set(totals["source"])

    again = tick(derived_refresh_sensor, instance, defs, res, cursor=launched.cursor)
    assert not again.run_requests  # once a day


def test_the_weekly_schedule_skips_and_names_the_policy(
    living: RunningSim, instance: DagsterInstance, tracked: dict, wh_url: str
) -> None:
    res = resources_for(living, wh_url)
    data = refresh(weekly_refresh_schedule, instance, make_defs(res), res)
    assert not data.run_requests
    assert "TIKTOK_REFRESH_POLICY" in (data.skip_message or "")


def test_uniform_brings_the_weekly_cadence_back(
    living: RunningSim,
    instance: DagsterInstance,
    tracked: dict,
    wh_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    monkeypatch.setenv("TIKTOK_REFRESH_POLICY", "uniform")
    res = resources_for(living, wh_url)
    requests = refresh(weekly_refresh_schedule, instance, make_defs(res), res).run_requests
    assert requests and all(PLAN_TAG not in r.tags for r in requests)
