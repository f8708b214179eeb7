"""New products, price changes and creator ↔ product links on a warehouse filled by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.analytics.support import history, insert, read
from tiktok_assets.analytics.build import refresh
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse import tables as t


def _day(today: dt.date, ago: int) -> dt.date:
    return today - dt.timedelta(days=ago)


def _listed(shop: str, day: dt.date, products: list[str], price: float = 10.0) -> list[dict]:
    return [
        {
            "shop_id": shop,
            "period": 7,
            "snapshot_date": day,
            "rank": rank,
            "product_id": pid,
            "title": f"T{pid}",
            "price": price,
            "revenue": 1.0,
            "sales": 1,
        }
        for rank, pid in enumerate(products, start=1)
    ]


def test_new_products_entries_and_first_sales(warehouse_url, today) -> None:
    rows = _listed("9", _day(today, 20), ["1", "2"])  # the list's first fetch: not new
    rows += _listed("9", _day(today, 5), ["1", "3", "2"])  # 3 enters at rank 2
    rows += _listed("8", _day(today, 3), ["4"])  # shop 8's first fetch: 4 is not an entry
    insert(warehouse_url, t.shop_products, rows)
    insert(
        warehouse_url,
        t.creator_products,
        [
            {
                "creator_id": "50",
                "period": 30,
                "snapshot_date": _day(today, 30),
                "rank": 1,
                "product_id": "1",
            },
            {
                "creator_id": "50",
                "period": 30,
                "snapshot_date": _day(today, 2),
                "rank": 3,
                "product_id": "6",
            },
        ],
    )
    # 5: zero sales for a while, first sale 4 days ago; 7: history starts with a sale
    history(warehouse_url, "5", _day(today, 10), [0.0] * 6 + [100.0, 100.0, 300.0, 300.0])
    history(warehouse_url, "7", _day(today, 4), [50.0] * 4)
    history(warehouse_url, "3", _day(today, 5), [10.0, 10.0, 30.0, 30.0, 30.0])

    result = refresh(Warehouse(url=warehouse_url), "new_products", today)
    new = read(warehouse_url, "new_products").set_index("product_id")

    assert sorted(new.index) == ["3", "5", "6"]
    assert new.loc["3", "first_seen_date"] == _day(today, 5)
    assert new.loc["3", "first_seen_in"] == "shop_products"
    assert (new.loc["3", "list_owner_id"], new.loc["3", "rank_on_entry"]) == ("9", 2)
    assert new.loc["3", "title"] == "T3"
    assert new.loc["3", "revenue_since_first_seen"] == 110.0
    assert new.loc["3", "early_growth"] == pytest.approx(30.0 / 10.0 - 1)  # halves of 2 days
    assert new.loc["5", "first_seen_in"] == "product_history"
    assert new.loc["5", "first_seen_date"] == _day(today, 4)
    assert pd.isna(new.loc["5", "rank_on_entry"])
    assert new.loc["5", "early_growth"] == pytest.approx(300.0 / 100.0 - 1)
    assert new.loc["6", "first_seen_in"] == "creator_products"
    assert (new.loc["6", "list_owner_id"], new.loc["6", "rank_on_entry"]) == ("50", 3)
    assert result.metadata["dagster/row_count"].value == 3


def test_price_changes_across_snapshot_dates(warehouse_url, today) -> None:
    insert(
        warehouse_url,
        t.product_total,
        [
            {"id": pid, "period": 7, "snapshot_date": today, "revenue": 1.0, "sales": 1}
            for pid in ("1", "2")
        ],
    )
    insert(
        warehouse_url,
        t.product_detail,
        [
            {"id": "1", "snapshot_date": _day(today, 3), "title": "Lamp", "price": 20.0},
            {"id": "1", "snapshot_date": _day(today, 1), "title": "Lamp", "price": 15.0},
            {"id": "1", "snapshot_date": today, "title": "Lamp", "price": 15.0},
        ],
    )
    rows = _listed("9", _day(today, 6), ["2", "3"], price=8.0)
    rows += _listed("9", _day(today, 2), ["2", "3"], price=10.0)  # 3 is not tracked
    rows += _listed("9", _day(today, 1), ["1"], price=99.0)  # product_detail's price wins
    insert(warehouse_url, t.shop_products, rows)

    refresh(Warehouse(url=warehouse_url), "price_changes", today)
    changes = read(warehouse_url, "price_changes").set_index("product_id")

    assert sorted(changes.index) == ["1", "2"]
    one = changes.loc["1"]
    assert (one["old_price"], one["new_price"]) == (20.0, 15.0)
    assert (one["previous_date"], one["change_date"]) == (_day(today, 3), _day(today, 1))
    assert one["change_pct"] == pytest.approx(-25.0)
    assert one["title"] == "Lamp"
    two = changes.loc["2"]
    assert (two["old_price"], two["new_price"], two["change_pct"]) == (8.0, 10.0, 25.0)


def test_creator_product_links_from_lists_and_videos(warehouse_url, today) -> None:
    insert(
        warehouse_url,
        t.creator_products,
        [
            {
                "creator_id": "50",
                "period": 7,
                "snapshot_date": today,
                "rank": 1,
                "product_id": "1",
                "revenue": 70.0,
                "sales": 7,
            },
            {
                "creator_id": "50",
                "period": 30,
                "snapshot_date": today,
                "rank": 1,
                "product_id": "1",
                "revenue": 300.0,
                "sales": 30,
            },
            {
                "creator_id": "50",
                "period": 30,
                "snapshot_date": _day(today, 9),
                "rank": 1,
                "product_id": "9",
                "revenue": 1.0,
                "sales": 1,
            },  # an older list: not the latest
        ],
    )
    insert(
        warehouse_url,
        t.video_detail,
        [
            {"id": "v1", "snapshot_date": today, "creator_id": "50", "product_id": "1"},
            {"id": "v2", "snapshot_date": today, "creator_id": "50", "product_id": "1"},
            {"id": "v3", "snapshot_date": today, "creator_id": "51", "product_id": "2"},
            {"id": "v4", "snapshot_date": today, "creator_id": "51", "product_id": None},
        ],
    )
    refresh(Warehouse(url=warehouse_url), "creator_product_links", today)
    links = read(warehouse_url, "creator_product_links").set_index(["creator_id", "product_id"])
    assert sorted(links.index) == [("50", "1"), ("51", "2")]
    a = links.loc[("50", "1")]
    assert (a["period"], a["attributed_revenue"], a["attributed_sales"], a["videos"]) == (
        30,
        300.0,
        30,
        2,
    )
    assert bool(a["in_creator_list"])
    b = links.loc[("51", "2")]
    assert not bool(b["in_creator_list"]) and b["videos"] == 1
    assert pd.isna(b["attributed_revenue"])
