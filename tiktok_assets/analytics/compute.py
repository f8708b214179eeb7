"""Each analytics table's rows for a day, from the warehouse: the queries, then the pure
functions. `tiktok_assets.analytics.build` calls these and writes the result (`product_movers`
it computes itself from `movers`, since its chart needs the same daily series)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tiktok_assets.analytics import leaderboards, links, newcomers, prices, queries
from tiktok_assets.warehouse import tables as t

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa


def _titles(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    details = queries.latest_profiles(
        engine, "product_detail", ["snapshot_date", "title", "shop_id"], today
    )
    shop_lists = queries.latest_lists(engine, "shop_products", ["title"], today, untitled_only=True)
    creator_lists = queries.latest_lists(
        engine, "creator_products", ["title"], today, untitled_only=True
    )
    return leaderboards.product_titles(details, shop_lists, creator_lists)


def product_leaderboard(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    totals = queries.latest_totals(engine, "product_total", today)
    previous = queries.previous_snapshot(
        engine, t.product_leaderboard, ["period", "product_id", "rank"], today
    )
    titles = _titles(engine, today) if not totals.empty else None
    if titles is None:
        import pandas as pd

        titles = pd.DataFrame(columns=["product_id", "title", "shop_id"])
    return leaderboards.product_leaderboard(totals, titles, today, previous)


def shop_leaderboard(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    totals = queries.latest_totals(engine, "shop_total", today)
    profiles = queries.latest_profiles(engine, "shop_detail", ["name"], today)
    lists = queries.latest_lists(engine, "shop_products", [], today)
    previous = queries.previous_snapshot(
        engine, t.shop_leaderboard, ["period", "shop_id", "rank"], today
    )
    return leaderboards.shop_leaderboard(totals, profiles, lists, today, previous)


def creator_leaderboard(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    totals = queries.latest_totals(engine, "creator_total", today)
    lists = queries.latest_lists(engine, "creator_products", [], today)
    previous = queries.previous_snapshot(
        engine, t.creator_leaderboard, ["period", "creator_id", "rank"], today
    )
    return leaderboards.creator_leaderboard(totals, lists, today, previous)


def new_products(engine: sa.Engine, today: dt.date, days: int = newcomers.NEW_DAYS) -> pd.DataFrame:
    since = today - dt.timedelta(days=days)
    appearances, owners = queries.list_appearances(engine, today)
    entries = newcomers.list_entries(appearances, owners)
    sales = newcomers.first_sales(queries.first_sales_dates(engine, today))
    history = queries.history_summary(engine, since, today)
    return newcomers.new_products(entries, sales, history, _titles(engine, today), today, days)


def price_changes(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    since = today - dt.timedelta(days=prices.LOOKBACK_DAYS + 30)
    details, listed = queries.observed_prices(engine, since, today)
    frame = prices.price_changes(prices.daily_prices(details, listed), today)
    titles = _titles(engine, today)[["product_id", "title"]]
    return frame.merge(titles, on="product_id", how="left")


def creator_product_links(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    lists = queries.latest_lists(engine, "creator_products", ["revenue", "sales"], today)
    videos = queries.latest_videos(engine, today)
    return links.creator_product_links(lists, videos, today)
