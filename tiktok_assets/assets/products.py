"""Product assets: profile, totals and daily history, per product id (and period)."""

from tiktok_assets.assets.factory import fetch_asset
from tiktok_assets.assets.shaping import (
    AGGREGATE_LABEL,
    daily_series,
    history_check,
    numbers_check,
    period_check,
    revenue_check,
    snapshot,
)
from tiktok_assets.catalog import SOURCES

# Product ids are found in shop lists, creator lists and videos (see the discovery sensor).
DISCOVERED_FROM = ("shop_products", "creator_products", "video_detail")

product_detail = fetch_asset(
    SOURCES["product_detail"],
    description=(
        "A product's profile as of one day. One row per product and `snapshot_date`: title, "
        "shop, price, 30-day revenue and sales, rating, image. Partitioned by product id."
    ),
    shape=snapshot("product_detail"),
    checks=[
        numbers_check("product_detail_numbers_valid", ["price"], ["id"]),
        revenue_check("product_detail_revenue_consistent", "price", ["id"]),
    ],
    lineage_from=DISCOVERED_FROM,
)

product_total = fetch_asset(
    SOURCES["product_total"],
    description=(
        "A product's revenue, sales and average price over the last `period` days (ending "
        "yesterday). One row per product, period and `snapshot_date`. Partitioned by `id|period`."
    ),
    shape=snapshot("product_total"),
    checks=[
        numbers_check("product_total_numbers_valid", ["revenue", "sales"], AGGREGATE_LABEL),
        period_check("product_total_period_matches"),
        revenue_check("product_total_revenue_consistent", "avg_price", AGGREGATE_LABEL),
    ],
    lineage_from=DISCOVERED_FROM,
)

product_history = fetch_asset(
    SOURCES["product_history"],
    description=(
        "A product's daily revenue and sales. One row per product and `date`, merged across "
        "fetches and periods: a later fetch corrects an earlier value for the same date. "
        "Partitioned by `id|period` (the period sets how many days one fetch covers)."
    ),
    shape=daily_series,
    checks=[
        numbers_check("product_history_numbers_valid", ["revenue", "sales"], ["id", "date"]),
        history_check("product_history_complete"),
    ],
    lineage_from=DISCOVERED_FROM,
)
