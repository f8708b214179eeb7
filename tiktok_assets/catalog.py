"""What each asset fetches: its endpoint, partitions, table and the requests of one partition.

This is the single map from asset keys to the API; the assets, the cost planner and the
documentation table are all built from it.
"""

from __future__ import annotations

import dataclasses
import math

from dagster import PartitionsDefinition

from tiktok_assets import partitions as p
from tiktok_assets.api import endpoints as ep
from tiktok_assets.api.endpoints import ApiRequest, Endpoint, build_request

LIST_SORT = {"sort": "revenue", "order": "desc"}


@dataclasses.dataclass(frozen=True)
class AssetSource:
    """One asset: the endpoint behind it, how it is partitioned and where it lands."""

    asset: str
    endpoint: Endpoint
    partitions_def: PartitionsDefinition
    group: str
    entity: str

    @property
    def table(self) -> str:
        return self.asset

    @property
    def has_period(self) -> bool:
        return bool(self.endpoint.periods)

    def request_params(self, period: int | None) -> dict[str, object]:
        """Parameters of the partition's request (the first page for list routes)."""
        params: dict[str, object] = {}
        if period is not None:
            params["period"] = period
        if self.endpoint is ep.SHOP_PRODUCTS:
            params.update(LIST_SORT)
        return params

    def requests(
        self, entity_id: str, period: int | None, *, page_size: int, known_total: int | None
    ) -> list[ApiRequest]:
        """The requests materializing one partition makes (pages estimated from a total)."""
        params = self.request_params(period)
        if not self.endpoint.paged:
            return [build_request(self.endpoint, entity_id, **params)]
        pages = max(1, math.ceil((known_total or 0) / page_size))
        return [
            build_request(self.endpoint, entity_id, page=page, limit=page_size, **params)
            for page in range(1, pages + 1)
        ]


SOURCES: dict[str, AssetSource] = {
    s.asset: s
    for s in (
        AssetSource("shop_detail", ep.SHOP_DETAIL, p.shop_ids, "shops", "shop"),
        AssetSource("shop_total", ep.SHOP_TOTAL, p.shop_period, "shops", "shop"),
        AssetSource("shop_products", ep.SHOP_PRODUCTS, p.shop_period, "shops", "shop"),
        AssetSource("product_detail", ep.PRODUCT_DETAIL, p.product_ids, "products", "product"),
        AssetSource("product_total", ep.PRODUCT_TOTAL, p.product_period, "products", "product"),
        AssetSource("product_history", ep.PRODUCT_HISTORY, p.product_period, "products", "product"),
        AssetSource("creator_total", ep.CREATOR_TOTAL, p.creator_period, "creators", "creator"),
        AssetSource(
            "creator_products", ep.CREATOR_PRODUCTS, p.creator_period, "creators", "creator"
        ),
        AssetSource("video_detail", ep.VIDEO_DETAIL, p.video_ids, "videos", "video"),
        AssetSource("video_metrics", ep.VIDEO_METRICS, p.video_period, "videos", "video"),
    )
}

SOURCES_OF: dict[str, tuple[str, ...]] = {
    "product_total": ("shop_products", "product_history"),
    "product_history": ("product_history",),
}
"""The derivable assets and the sources that may answer them, cheapest first (how each
source answers: `tiktok_assets.economy.sources`)."""
