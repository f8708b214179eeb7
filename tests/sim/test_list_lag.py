"""`list_lag_days`: the two list routes answer windows that ended N days before the totals'."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sim._support import TODAY
from tiktok_assets.sim.world import World

DAYS = [TODAY - dt.timedelta(days=40), TODAY, TODAY + dt.timedelta(days=9)]
PERIODS = (1, 7, 30, 90)


@pytest.fixture(scope="module", params=["static", "living"])
def plain(request: pytest.FixtureRequest) -> World:
    """A world without lag, in each market."""
    return World(market=request.param)


@pytest.mark.parametrize("lag", [1, 3, 8])
def test_shop_lists_report_the_totals_of_lag_days_before(plain: World, lag: int) -> None:
    lagged = World(market=plain.market, list_lag_days=lag)
    differs = 0
    for today in DAYS:
        earlier = today - dt.timedelta(days=lag)
        for sid in plain.shop_ids()[:5]:
            for period in PERIODS:
                rows = lagged.shop_products(sid, period, today)
                keys = [(-r["revenue"], r["id"]) for r in rows]
                assert keys == sorted(keys)  # sorted by the lagged revenue, ties by id
                assert sorted(r["id"] for r in rows) == sorted(plain.products_of_shop(sid, today))
                for row in rows:
                    pid = row["id"]
                    if plain.is_launched(pid, earlier):
                        then = plain.product_total(pid, period, earlier)
                        expected = (then["revenue"], then["sales"])
                    else:  # launched since: it had sold nothing in that window
                        expected = (0, 0)
                    assert (row["revenue"], row["sales"]) == expected
                    assert row["price"] == plain.price_on(pid, today)
                    now = plain.product_total(pid, period, today)
                    differs += (now["revenue"], now["sales"]) != expected
                assert lagged.shop_total(sid, period, today) == plain.shop_total(sid, period, today)
                assert lagged.shop_detail(sid, today) == plain.shop_detail(sid, today)
    assert differs > 0  # the lists disagree with the totals


@pytest.mark.parametrize("lag", [2, 5])
def test_creator_lists_report_the_totals_of_lag_days_before(plain: World, lag: int) -> None:
    lagged = World(market=plain.market, list_lag_days=lag)
    differs = 0
    for today in DAYS:
        earlier = today - dt.timedelta(days=lag)
        for cid in plain.creator_ids()[:10]:
            for period in PERIODS:
                rows = lagged.creator_products(cid, period, today)
                promoted = plain.products_of_creator(cid, today)
                assert sorted(r["id"] for r in rows) == sorted(promoted)
                then = {r["id"]: r for r in plain.creator_products(cid, period, earlier)}
                now = {r["id"]: r for r in plain.creator_products(cid, period, today)}
                for row in rows:
                    old = then.get(row["id"], {"revenue": 0, "sales": 0})
                    assert (row["revenue"], row["sales"]) == (old["revenue"], old["sales"])
                    differs += row != now[row["id"]]
                total = lagged.creator_total(cid, period, today)
                assert total == plain.creator_total(cid, period, today)
    assert differs > 0


def test_no_lag_lists_match_the_totals(plain: World) -> None:
    for sid in plain.shop_ids()[:3]:
        for row in plain.shop_products(sid, 7, TODAY):
            total = plain.product_total(row["id"], 7, TODAY)
            assert (row["revenue"], row["sales"]) == (total["revenue"], total["sales"])


def test_lag_can_change_on_a_built_world() -> None:
    world = World()
    sid = world.shop_ids()[0]
    before = world.shop_products(sid, 7, TODAY)
    world.list_lag_days = 4
    lagged = world.shop_products(sid, 7, TODAY)
    assert lagged == World(list_lag_days=4).shop_products(sid, 7, TODAY)
    assert lagged != before
    world.list_lag_days = 0
    assert world.shop_products(sid, 7, TODAY) == before
    with pytest.raises(ValueError, match="list_lag_days"):
        world.list_lag_days = -3
    assert world.list_lag_days == 0
