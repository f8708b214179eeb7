"""Video assets: metadata per video id, and engagement per video id and period."""

from tiktok_assets.assets.factory import fetch_asset
from tiktok_assets.assets.shaping import AGGREGATE_LABEL, numbers_check, period_check, snapshot
from tiktok_assets.catalog import SOURCES

video_detail = fetch_asset(
    SOURCES["video_detail"],
    description=(
        "A video's metadata as of one day: caption, the creator who posted it, the product it "
        "promotes, when it was posted. One row per video and `snapshot_date`. Its creator and "
        "product ids feed the discovery sensors. Partitioned by video id."
    ),
    shape=snapshot("video_detail"),
    checks=[],
)

video_metrics = fetch_asset(
    SOURCES["video_metrics"],
    description=(
        "A video's views, likes, comments and shares over the last `period` days (1, 7 or 30). "
        "One row per video, period and `snapshot_date`. Partitioned by `id|period`."
    ),
    shape=snapshot("video_metrics"),
    checks=[
        numbers_check(
            "video_metrics_numbers_valid", ["views", "likes", "comments", "shares"], AGGREGATE_LABEL
        ),
        period_check("video_metrics_period_matches"),
    ],
)
