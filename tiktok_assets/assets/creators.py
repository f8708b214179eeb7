"""Creator assets: totals and the products a creator promotes, per creator id and period."""

from tiktok_assets.assets.factory import fetch_asset
from tiktok_assets.assets.shaping import (
    AGGREGATE_LABEL,
    list_total_check,
    numbers_check,
    period_check,
    ranked,
    snapshot,
)
from tiktok_assets.catalog import SOURCES

# Creator ids are found in video details (see the creator discovery sensor).
DISCOVERED_FROM = ("video_detail",)

creator_total = fetch_asset(
    SOURCES["creator_total"],
    description=(
        "A creator's attributed revenue and sales, video count and followers over the last "
        "`period` days. One row per creator, period and `snapshot_date`. "
        "Partitioned by `id|period`."
    ),
    shape=snapshot("creator_total"),
    checks=[
        numbers_check("creator_total_numbers_valid", ["revenue", "sales"], AGGREGATE_LABEL),
        period_check("creator_total_period_matches"),
    ],
    lineage_from=DISCOVERED_FROM,
)

creator_products = fetch_asset(
    SOURCES["creator_products"],
    description=(
        "The products a creator promotes, with what the creator sold of each over the period. "
        "One row per creator, period, `snapshot_date` and `rank` (the API's order). "
        "Partitioned by `id|period`."
    ),
    shape=ranked("creator_products", "creator_id"),
    checks=[
        numbers_check(
            "creator_products_numbers_valid",
            ["revenue", "sales"],
            ["creator_id", "period", "product_id"],
        ),
        list_total_check("creator_products_complete"),
    ],
    lineage_from=DISCOVERED_FROM,
)
