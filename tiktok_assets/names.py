"""The project's vocabulary, shared by every layer: the vendor's periods, asset keys, run tags
and metadata keys.

Every asset key here is also its warehouse table's name and its endpoint's name. A tag or a
metadata key is defined once, here, and imported by its writer and by its readers alike.
Imports nothing: every layer of the package may use it (the settings' validation included).
"""

from __future__ import annotations

# -- the vendor's rolling windows, in days ending yesterday ------------------------------------

AGGREGATE_PERIODS: tuple[int, ...] = (1, 7, 30, 90)
"""The periods of every aggregate route (shops, products, creators)."""
VIDEO_PERIODS: tuple[int, ...] = (1, 7, 30)
"""The periods of a video's metrics."""

# -- assets (= tables = endpoints) ------------------------------------------------------------

SHOP_DETAIL = "shop_detail"
SHOP_TOTAL = "shop_total"
SHOP_PRODUCTS = "shop_products"
PRODUCT_DETAIL = "product_detail"
PRODUCT_TOTAL = "product_total"
PRODUCT_HISTORY = "product_history"
CREATOR_TOTAL = "creator_total"
CREATOR_PRODUCTS = "creator_products"
VIDEO_DETAIL = "video_detail"
VIDEO_METRICS = "video_metrics"
API_CREDIT_SPEND = "api_credit_spend"
REFRESH_REQUESTS = "refresh_requests"

# -- run tags: Dagster's own --------------------------------------------------------------------

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# -- run tags: who launched a run, and what it covers ---------------------------------------

LAUNCHED_BY_TAG = "tiktok/launched_by"
"""The sensor or schedule (or command) that asked for the run."""
BATCH_TAG = "tiktok/batch"
"""`<job> <n>/<count>`: the run's place among its job's runs of one tick."""
IDS_TAG = "tiktok/ids"
"""How many ids the run's range spans."""
DAY_TAG = "tiktok/day"
"""The day a refresh run is for."""
FORCE_REFRESH_TAG = "tiktok/force_refresh"
"""`true`: pay again for answers the journal already holds today."""
REQUESTS_RUN_TAG = "tiktok/refresh_requests_run"
"""On a refresh run: the `refresh_requests` run that recorded it."""

# -- run tags: the refresh plan ---------------------------------------------------------------

PLAN_TAG = "tiktok/refresh_plan"
"""The day whose `refresh_plan` says which partitions of the run's range it fetches."""
POLICY_TAG = "tiktok/refresh_policy"
DEFERRED_ROUTES_TAG = "tiktok/deferred_routes"
DEFERRED_CREDITS_TAG = "tiktok/deferred_credits"

# -- run tags: the cost planner's estimate ----------------------------------------------------

PLANNED_REQUESTS_TAG = "tiktok/planned_requests"
PLANNED_CREDITS_TAG = "tiktok/planned_credits"
PLANNED_CACHED_TAG = "tiktok/planned_cached"
CREDITS_LEFT_TAG = "tiktok/credits_left"

# -- metadata of an API asset's partition materialization -------------------------------------

SNAPSHOT_DATE_KEY = "snapshot_date"
"""The day of the answer behind the partition's rows (ISO date)."""
SOURCE_KEY = "tiktok/source"
"""Where the numbers came from: `api`, or the answer of the day they were derived from."""

# -- metadata of discovery observations -------------------------------------------------------

MALFORMED_IDS_KEY = "tiktok/malformed_ids"
REPORTED_BY_KEY = "tiktok/reported_by"

# -- metadata of a `refresh_requests` materialization -----------------------------------------

RECORDED_DAY_KEY = "day"
"""The day its runs are for."""
RECORDED_REQUESTS_KEY = "requests"
"""Its runs, as JSON (`refresh.handoff.request_as_json`)."""
