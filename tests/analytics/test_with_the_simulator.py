"""The analytics on a warehouse filled by the API assets from the simulator over HTTP: the
numbers are what the API's own answers imply, recomputed here independently."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DagsterInstance

from tests.analytics.support import read
from tests.assets.support import resources, run
from tiktok_assets.analytics import analytics_assets
from tiktok_assets.assets import product_detail, product_history, product_total, shop_products
from tiktok_assets.warehouse import Warehouse


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def test_leaderboard_and_movers_match_the_apis_answers(sim, today, warehouse_url, instance) -> None:
    world = sim.world
    shop = world.shop_ids()[0]
    products = world.products_of_shop(shop)[:4]
    instance.add_dynamic_partitions("shop_ids", [shop])
    instance.add_dynamic_partitions("product_ids", products)
    res = resources(sim, warehouse_url)
    assert run([shop_products], instance, res, partition_key=f"{shop}|7").success
    for pid in products:
        assert run([product_detail], instance, res, partition_key=pid).success
        for period in (7, 30):
            assert run([product_total], instance, res, partition_key=f"{pid}|{period}").success
        assert run([product_history], instance, res, partition_key=f"{pid}|30").success

    result = run(analytics_assets, instance, {"warehouse": Warehouse(url=warehouse_url)})
    assert result.success

    board = read(warehouse_url, "product_leaderboard")
    for period in (7, 30):
        totals = {pid: world.product_total(pid, period, today) for pid in products}
        expected = sorted(products, key=lambda p: (-totals[p]["revenue"], -totals[p]["sales"], p))
        rows = board[board["period"] == period].sort_values("rank")
        assert list(rows["product_id"]) == expected
        assert list(rows["revenue"]) == [totals[p]["revenue"] for p in expected]
        assert list(rows["sales"]) == [totals[p]["sales"] for p in expected]
        assert list(rows["title"]) == [world.product(p).title for p in expected]
        assert list(rows["shop_id"]) == [shop] * len(expected)
        assert set(rows["data_age_days"]) == {0}

    movers = read(warehouse_url, "product_movers").set_index("product_id")
    assert sorted(movers.index) == sorted(products)
    for pid in products:
        daily = {
            dt.date.fromisoformat(d["date"]): d["revenue"]
            for d in world.product_history(pid, 30, today)
        }
        last = sum(daily[today - dt.timedelta(days=i)] for i in range(1, 8))
        prev = sum(daily[today - dt.timedelta(days=i)] for i in range(8, 15))
        assert movers.loc[pid, "revenue_7d"] == pytest.approx(last)
        assert movers.loc[pid, "revenue_prev_7d"] == pytest.approx(prev)
        if prev:
            growth = last / prev - 1
            assert movers.loc[pid, "growth"] == pytest.approx(growth)
            trend = "up" if growth >= 0.15 else "down" if growth <= -0.15 else "stable"
            assert movers.loc[pid, "trend"] == trend
        # the 7-day total the API answers is the same week
        assert world.product_total(pid, 7, today)["revenue"] == pytest.approx(last)

    preview = read(warehouse_url, "shop_leaderboard")
    assert preview.empty  # no shop_total fetched: nothing to rank, not an error
