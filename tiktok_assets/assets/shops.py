"""Shop assets: profile, totals and the ranked product list, per shop id (and period)."""

from tiktok_assets.assets.factory import fetch_asset
from tiktok_assets.assets.shaping import (
    AGGREGATE_LABEL,
    list_total_check,
    numbers_check,
    period_check,
    ranked,
    revenue_check,
    snapshot,
)
from tiktok_assets.catalog import SOURCES

shop_detail = fetch_asset(
    SOURCES["shop_detail"],
    description=(
        "A shop's profile as of one day. One row per shop and `snapshot_date`: name, country, "
        "logo, product and creator counts, rating. Partitioned by shop id."
    ),
    shape=snapshot("shop_detail"),
    checks=[numbers_check("shop_detail_counts_valid", ["products_count"], ["id"])],
)

shop_total = fetch_asset(
    SOURCES["shop_total"],
    description=(
        "A shop's revenue, sales, average price and conversion rate over the last `period` days "
        "(a rolling window ending yesterday). One row per shop, period and `snapshot_date`: "
        "refreshing daily builds the history of the rolling total. Partitioned by `id|period`."
    ),
    shape=snapshot("shop_total"),
    checks=[
        numbers_check("shop_total_numbers_valid", ["revenue", "sales"], AGGREGATE_LABEL),
        period_check("shop_total_period_matches"),
        revenue_check("shop_total_revenue_consistent", "avg_price", AGGREGATE_LABEL),
    ],
)

shop_products = fetch_asset(
    SOURCES["shop_products"],
    description=(
        "A shop's whole product list ranked by revenue over the period, all pages. One row per "
        "shop, period, `snapshot_date` and `rank` (1 = most revenue), with the product's id, "
        "title, price, revenue and sales. The product discovery sensor reads it. "
        "Partitioned by `id|period`."
    ),
    shape=ranked("shop_products", "shop_id"),
    checks=[
        numbers_check(
            "shop_products_numbers_valid", ["revenue", "sales"], ["shop_id", "period", "product_id"]
        ),
        list_total_check("shop_products_complete"),
        revenue_check(
            "shop_products_revenue_consistent", "price", ["shop_id", "period", "product_id"]
        ),
    ],
)
