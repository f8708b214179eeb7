"""The discovery rules (`Selector`) and the reading of a feed's rows (`find_ids`)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tiktok_assets import clock
from tiktok_assets.tracking.discovery import (
    PRODUCT_FEEDS,
    Feed,
    Found,
    ListEvent,
    Selector,
    dump_cursor,
    find_ids,
    parse_cursor,
)
from tiktok_assets.warehouse import Warehouse

SHOP_LIST = PRODUCT_FEEDS[0]
DAY = dt.date(2026, 11, 24)


def found(storage_id: int, *values: object, feed: Feed = SHOP_LIST) -> Found:
    event = ListEvent(feed, storage_id, f"9|{storage_id}", "9", 30, DAY)
    return Found(event, values)


def test_selector_skips_tracked_and_repeated_ids_and_advances_the_cursor() -> None:
    s = Selector(tracked={"1"}, cursors={"video_detail": 4}, cap=10, allowance=None)
    assert s.offer(found(10, "1", "2", "3"))
    assert s.offer(found(11, "3", "4"))
    assert s.new_ids == ["2", "3", "4"]
    assert s.cursors == {"video_detail": 4, "shop_products": 11}
    assert "3 new product id(s) (3 from shop_products)" in s.describe("product")


def test_selector_cap_keeps_the_cursor_before_the_unfinished_event() -> None:
    s = Selector(tracked=set(), cursors={"shop_products": 7}, cap=3, allowance=None)
    assert s.offer(found(10, "1", "2"))
    assert not s.offer(found(11, "3", "4", "5"))
    assert s.new_ids == ["1", "2", "3"]
    assert s.capped and s.cursors["shop_products"] == 10
    assert not s.offer(found(12, "6"))
    # the next tick reads event 11 again: 3 is tracked by then
    again = Selector(tracked={"1", "2", "3"}, cursors=s.cursors, cap=3, allowance=None)
    assert again.offer(found(11, "3", "4", "5")) and again.offer(found(12, "6"))
    assert again.new_ids == ["4", "5", "6"] and not again.capped
    assert again.cursors["shop_products"] == 12


def test_selector_reports_malformed_ids_and_never_takes_them() -> None:
    s = Selector(tracked=set(), cursors={}, cap=10, allowance=None)
    bad = ["12a", "1" * 21, "", 123, None, "١٢٣"]
    assert s.offer(found(3, "5", *bad))
    assert s.new_ids == ["5"]
    assert [m.value for m in s.malformed] == bad
    assert {(m.asset, m.partition) for m in s.malformed} == {("shop_products", "9|3")}
    assert "6 malformed id(s) skipped: '12a' (shop_products 9|3)" in s.describe("product")


def test_selector_allowance_drops_ids_past_the_budget_and_moves_on() -> None:
    s = Selector(tracked=set(), cursors={}, cap=10, allowance=2)
    assert s.offer(found(1, "1", "2", "3", "4"))
    assert s.offer(found(2, "4", "5"))
    assert s.new_ids == ["1", "2"]
    assert s.over_budget == ["3", "4", "5"]
    assert s.cursors["shop_products"] == 2 and not s.capped
    assert "3 id(s) NOT tracked" in s.describe("product")


def test_cursor_round_trip() -> None:
    assert parse_cursor(None) == {}
    assert parse_cursor(dump_cursor({"b": 2, "a": 1})) == {"a": 1, "b": 2}
    with pytest.raises(ValueError, match="unreadable discovery cursor"):
        parse_cursor("not json")


def _insert(wh: Warehouse, table: str, rows: list[dict]) -> None:
    now = clock.now()
    with wh.engine.begin() as conn:
        conn.execute(sa.insert(wh.table(table)), [{"fetched_at": now, **r} for r in rows])


def test_find_ids_takes_the_top_n_by_revenue_of_the_event_snapshot(warehouse_url: str) -> None:
    wh = Warehouse(url=warehouse_url)
    base = {"creator_id": "7", "period": 30, "title": "t", "sales": 1}
    rows = [
        # the API's order is not by revenue for creator lists
        {**base, "snapshot_date": DAY, "rank": 1, "product_id": "101", "revenue": 5.0},
        {**base, "snapshot_date": DAY, "rank": 2, "product_id": "102", "revenue": 50.0},
        {**base, "snapshot_date": DAY, "rank": 3, "product_id": "103", "revenue": None},
        {**base, "snapshot_date": DAY, "rank": 4, "product_id": "104", "revenue": 20.0},
        {**base, "period": 7, "snapshot_date": DAY, "rank": 1, "product_id": "201", "revenue": 1},
        {
            **base,
            "snapshot_date": DAY - dt.timedelta(days=1),
            "rank": 1,
            "product_id": "301",
            "revenue": 9.0,
        },
    ]
    _insert(wh, "creator_products", [{**r, "raw": {"id": r["product_id"]}} for r in rows])
    feed = PRODUCT_FEEDS[1]
    events = [
        ListEvent(feed, 1, "7|30", "7", 30, DAY),
        ListEvent(feed, 2, "7|7", "7", 7, None),  # no snapshot date: the newest day
        ListEvent(feed, 3, "8|30", "8", 30, DAY),  # no rows
    ]
    got = find_ids(wh.engine, feed, events, top_n=2)
    assert [f.values for f in got] == [("102", "104"), ("201",), ()]
    assert [f.values for f in find_ids(wh.engine, feed, events[:1], top_n=10)] == [
        ("102", "104", "101", "103")
    ]


def test_find_ids_reads_video_details_and_vendor_extensions(warehouse_url: str) -> None:
    wh = Warehouse(url=warehouse_url)
    _insert(
        wh,
        "video_detail",
        [
            {"id": "55", "snapshot_date": DAY, "creator_id": "7", "product_id": "101", "raw": {}},
            {"id": "56", "snapshot_date": DAY, "creator_id": None, "product_id": "x", "raw": {}},
        ],
    )
    _insert(
        wh,
        "shop_products",
        [
            {
                "shop_id": "9",
                "period": 30,
                "snapshot_date": DAY,
                "rank": 1,
                "product_id": "101",
                "revenue": 3.0,
                "raw": {"id": "101", "creator_ids": ["7", "8"], "creator_id": "6"},
            }
        ],
    )
    video = Feed("video_detail", owner="id", column="creator_id")
    events = [
        ListEvent(video, 1, "55", "55", None, DAY),
        ListEvent(video, 2, "56", "56", None, DAY),
    ]
    assert [f.values for f in find_ids(wh.engine, video, events, top_n=1)] == [("7",), ()]
    listed = Feed(
        "shop_products", owner="shop_id", raw_keys=("creator_id", "creator_ids"), ranked=True
    )
    event = ListEvent(listed, 3, "9|30", "9", 30, DAY)
    assert find_ids(wh.engine, listed, [event], top_n=5)[0].values == ("6", "7", "8")


def test_selector_prices_each_id_at_its_own_cost() -> None:
    listed = {"1", "2", "3"}
    s = Selector(
        tracked=set(),
        cursors={},
        cap=10,
        allowance=250.0,
        cost_of=lambda i: 100.0 if i in listed else 170.0,
    )
    assert s.offer(found(1, "1", "9", "2", "3"))
    # "1" (100) fits, "9" (170) would pass 250, "2" (100) fits, "3" would pass it too.
    assert s.new_ids == ["1", "2"] and s.over_budget == ["9", "3"]
    assert s.spent == 200.0
