"""Leaderboards on a warehouse filled by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.support import insert, product_total, read
from tiktok_assets.analytics.build import refresh
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse import tables as t


@pytest.fixture
def wh(warehouse_url: str) -> Warehouse:
    return Warehouse(url=warehouse_url)


def test_products_ranked_by_revenue_from_their_latest_snapshot(wh, warehouse_url, today) -> None:
    old = today - dt.timedelta(days=3)
    product_total(warehouse_url, old, {("1", 7): (999.0, 9), ("2", 7): (50.0, 5)})
    product_total(warehouse_url, today, {("1", 7): (100.0, 10), ("3", 7): (300.0, 30)})
    product_total(warehouse_url, today, {("4", 7): (100.0, 12), ("1", 30): (400.0, 40)})
    insert(
        warehouse_url,
        t.product_detail,
        [
            {"id": "1", "snapshot_date": old, "title": "Old title", "shop_id": "77", "price": 10.0},
            {"id": "1", "snapshot_date": today, "title": "Lamp", "shop_id": "77", "price": 10.0},
        ],
    )
    insert(
        warehouse_url,
        t.shop_products,
        [
            {
                "shop_id": "88",
                "period": 7,
                "snapshot_date": today,
                "rank": 1,
                "product_id": "3",
                "title": "Desk",
                "price": 10.0,
                "revenue": 300.0,
                "sales": 30,
            },
        ],
    )

    result = refresh(wh, "product_leaderboard", today)

    board = read(warehouse_url, "product_leaderboard")
    week = board[board["period"] == 7].sort_values("rank")
    # 3 (300) > 2 (50, three days old)?  no: 1 (100, 10 sales) < 4 (100, 12 sales) by sales
    assert list(week["product_id"]) == ["3", "4", "1", "2"]
    assert list(week["rank"]) == [1, 2, 3, 4]
    assert list(week["revenue"]) == [300.0, 100.0, 100.0, 50.0]
    assert list(week["data_age_days"]) == [0, 0, 0, 3]
    assert list(week["title"].fillna("")) == ["Desk", "", "Lamp", ""]
    assert list(week["shop_id"].fillna("")) == ["88", "", "77", ""]
    assert week["rank_change"].isna().all()
    month = board[board["period"] == 30]
    assert list(month["product_id"]) == ["1"] and list(month["rank"]) == [1]
    assert result.metadata["dagster/row_count"].value == 5
    preview = result.metadata["preview"].value
    assert "| 1 | new | 3 | Desk | 300.00 | 30 |" in preview
    assert "data:image/png;base64," in preview
    assert result.metadata["total_revenue_7d"].value == 550.0


def test_rank_change_across_two_days_and_same_day_rerun_replaces(
    wh, warehouse_url, today, monkeypatch
) -> None:
    yesterday = today - dt.timedelta(days=1)
    product_total(warehouse_url, yesterday, {("1", 1): (10.0, 1), ("2", 1): (20.0, 2)})
    refresh(wh, "product_leaderboard", yesterday)
    refresh(wh, "product_leaderboard", yesterday)  # same day again: replaced, not doubled
    product_total(
        warehouse_url, today, {("1", 1): (50.0, 5), ("2", 1): (30.0, 3), ("3", 1): (40.0, 4)}
    )
    refresh(wh, "product_leaderboard", today)

    board = read(warehouse_url, "product_leaderboard")
    assert len(board[board["snapshot_date"] == yesterday]) == 2
    now = board[board["snapshot_date"] == today].set_index("product_id")
    assert now.loc["1", "rank"] == 1 and now.loc["1", "rank_change"] == 1
    assert now.loc["2", "rank"] == 3 and now.loc["2", "rank_change"] == -2
    assert now.loc["3", "rank"] == 2 and now["rank_change"].isna()["3"]


def test_empty_warehouse_gives_an_empty_table_and_says_why(wh, warehouse_url, today) -> None:
    for name in (
        "product_leaderboard",
        "product_movers",
        "new_products",
        "price_changes",
        "shop_leaderboard",
        "creator_leaderboard",
        "creator_product_links",
    ):
        result = refresh(wh, name, today)
        assert result.metadata["dagster/row_count"].value == 0, name
        assert result.metadata["preview"].value.startswith("**No rows.**"), name
        assert read(warehouse_url, name).empty, name


def test_shop_and_creator_leaderboards(wh, warehouse_url, today) -> None:
    insert(
        warehouse_url,
        t.shop_total,
        [
            {"id": "10", "period": 7, "snapshot_date": today, "revenue": 5.0, "sales": 1},
            {"id": "11", "period": 7, "snapshot_date": today, "revenue": 9.0, "sales": 2},
        ],
    )
    insert(warehouse_url, t.shop_detail, [{"id": "11", "snapshot_date": today, "name": "Eleven"}])
    insert(
        warehouse_url,
        t.shop_products,
        [
            {"shop_id": "11", "period": 7, "snapshot_date": today, "rank": r, "product_id": str(r)}
            for r in (1, 2, 3)
        ],
    )
    insert(
        warehouse_url,
        t.creator_total,
        [
            {
                "id": "20",
                "period": 30,
                "snapshot_date": today,
                "revenue": 7.0,
                "sales": 3,
                "videos": 4,
                "followers": 1000,
            },
        ],
    )
    insert(
        warehouse_url,
        t.creator_products,
        [
            {
                "creator_id": "20",
                "period": 30,
                "snapshot_date": today,
                "rank": 1,
                "product_id": "5",
                "revenue": 7.0,
                "sales": 3,
            },
        ],
    )
    refresh(wh, "shop_leaderboard", today)
    refresh(wh, "creator_leaderboard", today)
    shops = read(warehouse_url, "shop_leaderboard").sort_values("rank")
    assert list(shops["shop_id"]) == ["11", "10"]
    assert list(shops["name"].fillna("")) == ["Eleven", ""]
    assert shops.iloc[0]["products"] == 3 and shops["products"].isna().iloc[1]
    creators = read(warehouse_url, "creator_leaderboard")
    row = creators.iloc[0]
    assert (row["creator_id"], row["revenue"], row["products"], row["videos"]) == ("20", 7.0, 1, 4)
