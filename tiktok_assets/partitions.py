"""Every partitions definition of the project, each created once and imported everywhere.

Entity ids are dynamic partitions (the set grows as sensors discover ids); periods are the
vendor's rolling windows in days. Aggregates are partitioned by both, as `id|period`
(for example `7493920192384910|30`).
"""

from __future__ import annotations

from dagster import (
    DynamicPartitionsDefinition,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

from tiktok_assets.names import AGGREGATE_PERIODS, VIDEO_PERIODS

shop_ids = DynamicPartitionsDefinition(name="shop_ids")
product_ids = DynamicPartitionsDefinition(name="product_ids")
creator_ids = DynamicPartitionsDefinition(name="creator_ids")
video_ids = DynamicPartitionsDefinition(name="video_ids")

periods = StaticPartitionsDefinition([str(p) for p in AGGREGATE_PERIODS])
video_periods = StaticPartitionsDefinition([str(p) for p in VIDEO_PERIODS])

shop_period = MultiPartitionsDefinition({"id": shop_ids, "period": periods})
product_period = MultiPartitionsDefinition({"id": product_ids, "period": periods})
creator_period = MultiPartitionsDefinition({"id": creator_ids, "period": periods})
video_period = MultiPartitionsDefinition({"id": video_ids, "period": video_periods})

IDS_BY_ENTITY: dict[str, DynamicPartitionsDefinition] = {
    "shop": shop_ids,
    "product": product_ids,
    "creator": creator_ids,
    "video": video_ids,
}


def split_key(partition_key: str) -> tuple[str, int | None]:
    """(`id`, `period`) of a partition key: `'123|30'` -> ('123', 30); `'123'` -> ('123', None)."""
    entity_id, _, period = partition_key.partition("|")
    return entity_id, int(period) if period else None
