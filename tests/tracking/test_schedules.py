"""The refresh schedules: every tracked id in a few ranged runs, fast, within the budget."""

from __future__ import annotations

import time

import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    RunRequest,
)
from dagster._core.instance.types import CachingDynamicPartitionsLoader

from tests.simserver import RunningSim
from tests.tracking.conftest import make_defs, make_resources
from tests.tracking.support import family_of, keys_of, launch, schedule_named, scheduled
from tiktok_assets.jobs import FAMILIES
from tiktok_assets.names import BATCH_TAG, LAUNCHED_BY_TAG, REQUESTS_RUN_TAG
from tiktok_assets.warehouse import Warehouse

daily_refresh_schedule = schedule_named("daily_refresh_schedule")
weekly_refresh_schedule = schedule_named("weekly_refresh_schedule")

PRODUCTS = 25_000


@pytest.fixture(autouse=True)
def _uniform_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check the fixed cadences: `TIKTOK_REFRESH_POLICY=uniform` (the default is
    the adaptive policy, tested in tests/refresh)."""
    monkeypatch.setenv("TIKTOK_REFRESH_POLICY", "uniform")


def covered(requests: list[RunRequest], instance: DagsterInstance) -> dict[str, list[str]]:
    """The keys each job's requests cover (the instance's key lists read once)."""
    store = CachingDynamicPartitionsLoader(instance)
    keys: dict[str, list[str]] = {}
    for request in requests:
        keys.setdefault(family_of(request).name, []).extend(keys_of(request, store))
    return keys


@pytest.fixture
def many_products(instance: DagsterInstance) -> list[str]:
    ids = [str(7_000_000_000_000_000 + i * 7919) for i in range(PRODUCTS)]
    instance.add_dynamic_partitions("product_ids", ids)
    return ids


def test_daily_tick_with_25000_products_is_a_few_dozen_runs_covering_every_id(
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    many_products: list[str],
    capsys: pytest.CaptureFixture,
) -> None:
    instance.add_dynamic_partitions("shop_ids", ["11", "12"])
    started = time.perf_counter()
    data = scheduled(daily_refresh_schedule, instance, defs, res)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\ndaily_refresh_schedule tick, {PRODUCTS:,} products: {seconds:.2f} s")
    requests = data.run_requests or []
    assert 2 <= len(requests) <= 36

    keys = covered(requests, instance)
    # Lists first: the product totals wait for the shop lists' runs (derived_refresh_sensor).
    assert sorted(keys) == ["product_detail_job", "shop_detail_job", "shop_period_job"]
    assert keys["product_detail_job"] == many_products
    assert keys["shop_period_job"] == ["11|1", "11|7", "12|1", "12|7"]
    for request in requests:
        assert request.tags[LAUNCHED_BY_TAG] == "daily_refresh_schedule"
        assert request.tags[REQUESTS_RUN_TAG] == data.recording.run_id
        assert request.job_name in FAMILIES
        assert int(request.tags["tiktok/planned_credits"]) > 0
        assert request.run_key


def test_weekly_tick_refreshes_periods_30_and_90_only(
    instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    instance.add_dynamic_partitions("video_ids", ["5", "6"])
    instance.add_dynamic_partitions("creator_ids", ["7"])
    data = scheduled(weekly_refresh_schedule, instance, defs, res)
    keys = covered(list(data.run_requests or []), instance)
    assert keys == {
        "creator_period_job": ["7|30", "7|90"],
        "video_period_job": ["5|30", "6|30"],
    }


def test_nothing_tracked_skips(instance: DagsterInstance, defs: Definitions, res: dict) -> None:
    data = scheduled(daily_refresh_schedule, instance, defs, res)
    assert not data.run_requests
    assert "nothing to refresh" in (data.skip_message or "")


def test_runs_the_month_cannot_pay_for_are_not_launched(
    sim: RunningSim,
    instance: DagsterInstance,
    wh_url: str,
    today,
    capfd: pytest.CaptureFixture,
) -> None:
    res = make_resources(sim, wh_url, credit_limit=3)
    defs = make_defs(res)
    instance.add_dynamic_partitions("shop_ids", ["11", "12"])
    data = scheduled(daily_refresh_schedule, instance, defs, res)
    # shop_detail (2 credits) fits; shop_period (2 shops x 2 periods x 2 assets) does not
    assert [r.tags[BATCH_TAG] for r in data.run_requests or []] == ["shop_detail_job 1/1"]
    assert "NOT launched" in capfd.readouterr().err
    res = make_resources(sim, wh_url, credit_limit=1)
    data = scheduled(daily_refresh_schedule, instance, make_defs(res), res)
    assert not data.run_requests and "NOT launched" in (data.skip_message or "")


def test_a_scheduled_run_executes_on_its_job(
    sim: RunningSim,
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
) -> None:
    shops = sim.world.shop_ids()[:2]
    instance.add_dynamic_partitions("shop_ids", shops)
    data = scheduled(daily_refresh_schedule, instance, defs, res)
    for request in data.run_requests or []:
        result = launch(defs, instance, request)
        assert result.success
    totals = Warehouse(url=wh_url).read_frame("SELECT id, period FROM shop_total")
    assert sorted(zip(totals["id"], totals["period"], strict=True)) == sorted(
        (s, p) for s in shops for p in (1, 7)
    )
    details = Warehouse(url=wh_url).read_frame("SELECT id FROM shop_detail")
    assert sorted(details["id"]) == sorted(shops)
